package topics

import (
	"strings"
	"testing"

	"github.com/quivermq/quiver/protocol"
)

func TestCheckSend(t *testing.T) {
	m := newManager(t, testOptions(t, ""))
	for _, c := range []protocol.TopicConfig{
		{TopicName: "T", ReadQueueNums: 4, WriteQueueNums: 4, Perm: 6},
		{TopicName: "Shrunk", ReadQueueNums: 8, WriteQueueNums: 2, Perm: 6},
		{TopicName: "ReadOnly", ReadQueueNums: 4, WriteQueueNums: 4, Perm: 4},
		{TopicName: "Ordered", ReadQueueNums: 4, WriteQueueNums: 4, Perm: 6, Order: true},
		{TopicName: "NoQueues", ReadQueueNums: 0, WriteQueueNums: 0, Perm: 6},
	} {
		if err := m.CreateOrUpdate(c); err != nil {
			t.Fatal(err)
		}
	}
	send := func(topic string, qid int32) SendCheck {
		return SendCheck{Topic: topic, QueueID: qid, DefaultTopic: "TBW102", DefaultTopicQueueNums: 4, Producer: "10.0.0.9:5555"}
	}
	tests := []struct {
		name    string
		req     SendCheck
		code    protocol.ResponseCode // Success = passes
		kind    error
		remark  string
		created bool
	}{
		{name: "ok", req: send("T", 0)},
		{name: "last queue", req: send("T", 3)},
		{name: "negative queue id: handler picks", req: send("T", -1)},
		{name: "queue id = write nums", req: send("T", 4), code: protocol.SystemError, kind: ErrQueueID,
			remark: "request queueId[4] is illegal, TopicConfig [topicName=T, readQueueNums=4, writeQueueNums=4, perm=RW-, topicFilterType=SINGLE_TAG, topicSysFlag=0, order=false] Producer: 10.0.0.9:5555"},
		{name: "queue id far out", req: send("T", 1<<30), code: protocol.SystemError, kind: ErrQueueID, remark: "queueId[1073741824]"},
		{name: "between write and read nums (Java: max)", req: send("Shrunk", 7)},
		{name: "past read nums", req: send("Shrunk", 8), code: protocol.SystemError, kind: ErrQueueID, remark: "writeQueueNums=2"},
		{name: "no write queues, negative id", req: send("NoQueues", -1), code: protocol.SystemError, kind: ErrQueueID, remark: "no write queue"},
		{name: "read-only topic", req: send("ReadOnly", 0), code: protocol.NoPermission, kind: ErrSendForbidden, remark: "the topic[ReadOnly] sending message is forbidden"},
		{name: "schedule topic", req: send("SCHEDULE_TOPIC_XXXX", 0), code: protocol.NoPermission, kind: ErrSendForbidden, remark: "Sending message to topic[SCHEDULE_TOPIC_XXXX] is forbidden."},
		{name: "half topic", req: send("RMQ_SYS_TRANS_HALF_TOPIC", 0), code: protocol.NoPermission, kind: ErrSendForbidden, remark: "forbidden"},
		{name: "self test", req: send("SELF_TEST_TOPIC", 0), code: protocol.NoPermission, kind: ErrSendForbidden, remark: "forbidden"},
		{name: "offset moved", req: send("OFFSET_MOVED_EVENT", 0), code: protocol.NoPermission, kind: ErrSendForbidden, remark: "forbidden"},
		{name: "blank", req: send("", 0), code: protocol.SystemError, kind: ErrInvalidTopic, remark: "blank"},
		{name: "slash", req: send("a/b", 0), code: protocol.SystemError, kind: ErrInvalidTopic, remark: "illegal characters"},
		{name: "NUL", req: send("a\x00", 0), code: protocol.SystemError, kind: ErrInvalidTopic, remark: "illegal characters"},
		{name: "128 chars", req: send(strings.Repeat("q", 128), 0), code: protocol.SystemError, kind: ErrInvalidTopic, remark: "max length"},
		{name: "auto-create", req: send("Fresh", 1), created: true},
		{name: "auto-create, queue id past the new topic", req: send("Fresh2", 4), code: protocol.SystemError, kind: ErrQueueID, created: true, remark: "queueId[4]"},
		{name: "default topic missing", req: SendCheck{Topic: "Fresh3", DefaultTopic: "Nope", DefaultTopicQueueNums: 4},
			code: protocol.TopicNotExist, kind: ErrTopicNotExist, remark: "topic[Fresh3] not exist, apply first please!"},
		{name: "retry topic falls back to 1 queue", req: SendCheck{Topic: "%RETRY%g", DefaultTopic: "Nope", DefaultTopicQueueNums: 4}, created: true},
		{name: "system topic may be sent to", req: send("BenchmarkTest", 1023)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, created, err := m.CheckSend(tt.req)
			if created != tt.created {
				t.Errorf("created = %t, want %t", created, tt.created)
			}
			if tt.code == protocol.Success {
				if err != nil {
					t.Fatalf("CheckSend = %v", err)
				}
				if cfg.TopicName != tt.req.Topic {
					t.Fatalf("cfg = %+v", cfg)
				}
				return
			}
			e := wantCode(t, err, tt.code, tt.kind)
			if !strings.Contains(e.Remark(), tt.remark) {
				t.Fatalf("remark %q, want %q", e.Remark(), tt.remark)
			}
		})
	}
	if cfg, _ := m.Get("%RETRY%g"); cfg.WriteQueueNums != 1 || cfg.Perm != 6 {
		t.Fatalf("retry topic = %+v", cfg)
	}
	if cfg, _ := m.Get("Fresh"); cfg.WriteQueueNums != 4 || cfg.Perm != 6 {
		t.Fatalf("auto-created = %+v", cfg)
	}
}

func TestCheckSendUnitMode(t *testing.T) {
	m := newManager(t, testOptions(t, ""))
	cfg, _, err := m.CheckSend(SendCheck{Topic: "U", DefaultTopic: "TBW102", DefaultTopicQueueNums: 4, UnitMode: true})
	if err != nil || cfg.TopicSysFlag != TopicSysFlagUnit {
		t.Fatalf("unit topic = %+v %v", cfg, err)
	}
	o := testOptions(t, "")
	o.AutoCreateTopicEnable = false
	m = newManager(t, o)
	cfg, _, err = m.CheckSend(SendCheck{Topic: "%RETRY%u", DefaultTopic: "TBW102", DefaultTopicQueueNums: 4, UnitMode: true})
	if err != nil || cfg.TopicSysFlag != TopicSysFlagUnitSub || cfg.WriteQueueNums != 1 {
		t.Fatalf("unit retry topic = %+v %v", cfg, err)
	}
}

func TestCheckSendAutoCreateDisabled(t *testing.T) {
	o := testOptions(t, "")
	o.AutoCreateTopicEnable = false
	m := newManager(t, o)
	_, created, err := m.CheckSend(SendCheck{Topic: "NewTopic", DefaultTopic: "TBW102", DefaultTopicQueueNums: 4})
	e := wantCode(t, err, protocol.TopicNotExist, ErrTopicNotExist)
	if created || !strings.HasPrefix(e.Remark(), "topic[NewTopic] not exist, apply first please!") {
		t.Fatalf("created=%t remark %q", created, e.Remark())
	}
	if _, ok := m.Get("NewTopic"); ok {
		t.Fatal("topic created")
	}
}

func TestCheckSendBrokerPermission(t *testing.T) {
	m := newManager(t, testOptions(t, ""))
	for _, c := range []protocol.TopicConfig{
		{TopicName: "T", ReadQueueNums: 4, WriteQueueNums: 4, Perm: 6},
		{TopicName: "Ordered", ReadQueueNums: 4, WriteQueueNums: 4, Perm: 6, Order: true},
	} {
		if err := m.CreateOrUpdate(c); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.SetBrokerPermission(PermRead); err != nil {
		t.Fatal(err)
	}
	if m.BrokerPermission() != PermRead {
		t.Fatal("BrokerPermission")
	}
	// Java refuses only order topics when the broker lost write.
	_, _, err := m.CheckSend(SendCheck{Topic: "Ordered"})
	e := wantCode(t, err, protocol.NoPermission, ErrSendForbidden)
	if e.Remark() != "the broker[broker-a] sending message is forbidden" {
		t.Fatalf("remark %q", e.Remark())
	}
	if _, _, err := m.CheckSend(SendCheck{Topic: "T"}); err != nil {
		t.Fatalf("non-order topic on a read-only broker: %v", err)
	}
	if err := m.SetBrokerPermission(PermRead | PermWrite); err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.CheckSend(SendCheck{Topic: "Ordered"}); err != nil {
		t.Fatal(err)
	}
}

func TestCheckSendAllocs(t *testing.T) {
	m := newManager(t, testOptions(t, ""))
	if err := m.CreateOrUpdate(protocol.TopicConfig{TopicName: "TopicTest", ReadQueueNums: 4, WriteQueueNums: 4, Perm: 6}); err != nil {
		t.Fatal(err)
	}
	topic := string([]byte("TopicTest"))
	ok := SendCheck{Topic: topic, QueueID: 3, DefaultTopic: "TBW102", DefaultTopicQueueNums: 4, Producer: "1.2.3.4:5"}
	forbidden := SendCheck{Topic: string([]byte("SCHEDULE_TOPIC_XXXX"))}
	bad := SendCheck{Topic: string([]byte("a/b"))}
	n := testing.AllocsPerRun(1000, func() {
		if _, _, err := m.CheckSend(ok); err != nil {
			panic(err)
		}
		if _, _, err := m.CheckSend(forbidden); err == nil {
			panic("allowed")
		}
		if _, _, err := m.CheckSend(bad); err == nil {
			panic("allowed")
		}
	})
	if n != 0 {
		t.Fatalf("CheckSend allocates %v times per run", n)
	}
}

func BenchmarkGet(b *testing.B) {
	m := newManager(b, testOptions(b, ""))
	topic := string([]byte("TBW102"))
	b.ReportAllocs()
	for range b.N {
		if _, ok := m.Get(topic); !ok {
			b.Fatal("missing")
		}
	}
}

func BenchmarkCheckSend(b *testing.B) {
	m := newManager(b, testOptions(b, ""))
	if err := m.CreateOrUpdate(protocol.TopicConfig{TopicName: "TopicTest", ReadQueueNums: 4, WriteQueueNums: 4, Perm: 6}); err != nil {
		b.Fatal(err)
	}
	r := SendCheck{Topic: string([]byte("TopicTest")), QueueID: 2, DefaultTopic: "TBW102", DefaultTopicQueueNums: 4}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := m.CheckSend(r); err != nil {
				b.Fatal(err)
			}
		}
	})
}
