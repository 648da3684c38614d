package topics

import (
	"strings"
	"testing"

	"github.com/quivermq/quiver/protocol"
)

func TestValidateTopic(t *testing.T) {
	tests := []struct {
		topic  string
		remark string // "" = valid
	}{
		{"TopicTest", ""},
		{"a", ""},
		{"%RETRY%group_1", ""},
		{"%DLQ%g-1", ""},
		{"a|b", ""},
		{"0-9_AZaz", ""},
		{strings.Repeat("x", 127), ""},
		{strings.Repeat("x", 128), "longer than topic max length"},
		{strings.Repeat("x", 100000), "longer than topic max length"},
		{"", "blank"},
		{"   ", "blank"},
		{"\t\n", "blank"},
		{"a/b", "illegal characters"},
		{"/", "illegal characters"},
		{"..", "illegal characters"},
		{"../etc", "illegal characters"},
		{".", "illegal characters"},
		{"a.b", "illegal characters"},
		{"a\x00b", "illegal characters"},
		{"\x00", "illegal characters"},
		{"a b", "illegal characters"},
		{"a\\b", "illegal characters"},
		{"tópico", "illegal characters"},
		{"主题", "illegal characters"},
		{"a\xffb", "illegal characters"}, // invalid UTF-8
		{"topic*", "illegal characters"},
		{"a:b", "illegal characters"},
	}
	for _, tt := range tests {
		err := ValidateTopic(tt.topic)
		if tt.remark == "" {
			if err != nil {
				t.Errorf("ValidateTopic(%q) = %v, want nil", tt.topic, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("ValidateTopic(%q) = nil, want %q", tt.topic, tt.remark)
			continue
		}
		e := wantCode(t, err, protocol.SystemError, ErrInvalidTopic)
		if !strings.Contains(e.Remark(), tt.remark) {
			t.Errorf("ValidateTopic(%q) remark %q, want it to contain %q", tt.topic, e.Remark(), tt.remark)
		}
	}
}

func TestValidateTopicAllocs(t *testing.T) {
	bad := "a/b"
	good := "TopicTest"
	if n := testing.AllocsPerRun(100, func() {
		_ = ValidateTopic(good)
		_ = ValidateTopic(bad)
	}); n != 0 {
		t.Fatalf("ValidateTopic allocates %v times", n)
	}
}

func TestNotAllowedSend(t *testing.T) {
	for _, topic := range []string{TopicSchedule, TopicTransHalf, TopicTransOpHalf, TopicTransCheckMaxTime, TopicSelfTest, TopicOffsetMoved} {
		if !NotAllowedSend(topic) {
			t.Errorf("NotAllowedSend(%q) = false", topic)
		}
	}
	for _, topic := range []string{TopicAutoCreate, TopicBenchmark, TopicTrace, "TopicTest", "%RETRY%g", "DefaultCluster"} {
		if NotAllowedSend(topic) {
			t.Errorf("NotAllowedSend(%q) = true", topic)
		}
	}
}

func TestIsSystemTopic(t *testing.T) {
	o := testOptions(t, "")
	o.ClusterName = "c1"
	m := newManager(t, o)
	for _, topic := range []string{
		TopicAutoCreate, TopicSchedule, TopicBenchmark, TopicTransHalf, TopicTrace, TopicTransOpHalf,
		TopicTransCheckMaxTime, TopicSelfTest, TopicOffsetMoved, "rmq_sys_anything",
		"c1", "broker-a", "c1_REPLY_TOPIC",
	} {
		if !m.IsSystemTopic(topic) {
			t.Errorf("IsSystemTopic(%q) = false", topic)
		}
	}
	for _, topic := range []string{"TopicTest", "%RETRY%g", "%DLQ%g", "DefaultCluster", "RMQ_SYS_X", "broker-b"} {
		if m.IsSystemTopic(topic) {
			t.Errorf("IsSystemTopic(%q) = true", topic)
		}
	}
}

func TestPerm(t *testing.T) {
	tests := []struct {
		perm      int32
		r, w, inh bool
		s         string
	}{
		{0, false, false, false, "---"},
		{1, false, false, true, "--X"},
		{2, false, true, false, "-W-"},
		{4, true, false, false, "R--"},
		{6, true, true, false, "RW-"},
		{7, true, true, true, "RWX"},
		{8 | 6, true, true, false, "RW-"},
	}
	for _, tt := range tests {
		if IsReadable(tt.perm) != tt.r || IsWriteable(tt.perm) != tt.w || IsInherited(tt.perm) != tt.inh {
			t.Errorf("perm %d: got r=%t w=%t x=%t", tt.perm, IsReadable(tt.perm), IsWriteable(tt.perm), IsInherited(tt.perm))
		}
		if got := PermString(tt.perm); got != tt.s {
			t.Errorf("PermString(%d) = %q, want %q", tt.perm, got, tt.s)
		}
	}
	if PermRead != 4 || PermWrite != 2 || PermInherit != 1 || PermPriority != 8 {
		t.Fatal("perm constants changed")
	}
}

func TestNames(t *testing.T) {
	if RetryTopic("g") != "%RETRY%g" || DLQTopic("g") != "%DLQ%g" || ReplyTopic("c") != "c_REPLY_TOPIC" {
		t.Fatal("name helpers")
	}
}
