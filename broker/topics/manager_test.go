package topics

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/quivermq/quiver/protocol"
)

func TestSystemTopicsAfterNew(t *testing.T) {
	type want struct {
		queues, perm int32
	}
	tests := []struct {
		name   string
		modify func(*Options)
		want   map[string]want // topics that must exist
		absent []string
	}{
		{
			name: "defaults",
			want: map[string]want{
				"SELF_TEST_TOPIC":            {1, 6},
				"TBW102":                     {8, 7},
				"BenchmarkTest":              {1024, 6},
				"DefaultCluster":             {16, 7},
				"broker-a":                   {1, 7},
				"OFFSET_MOVED_EVENT":         {1, 6},
				"SCHEDULE_TOPIC_XXXX":        {18, 6},
				"DefaultCluster_REPLY_TOPIC": {1, 6},
			},
			absent: []string{"RMQ_SYS_TRACE_TOPIC", "RMQ_SYS_TRANS_HALF_TOPIC", "RMQ_SYS_TRANS_OP_HALF_TOPIC"},
		},
		{
			name: "no auto-create, no cluster and broker topic perms, trace on",
			modify: func(o *Options) {
				o.AutoCreateTopicEnable = false
				o.ClusterTopicEnable = false
				o.BrokerTopicEnable = false
				o.TraceTopicEnable = true
				o.DefaultQueueNums = 4
				o.ClusterName = "c1"
			},
			want: map[string]want{
				"c1":                  {16, 1},
				"broker-a":            {1, 1},
				"RMQ_SYS_TRACE_TOPIC": {1, 6},
				"c1_REPLY_TOPIC":      {1, 6},
			},
			absent: []string{"TBW102", "DefaultCluster"},
		},
		{
			name:   "trace topic renamed, queue nums",
			modify: func(o *Options) { o.TraceTopicEnable, o.TraceTopicName, o.DefaultQueueNums = true, "my_trace", 4 },
			want:   map[string]want{"my_trace": {1, 6}, "TBW102": {4, 7}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := testOptions(t, "")
			if tt.modify != nil {
				tt.modify(&o)
			}
			m := newManager(t, o)
			for name, w := range tt.want {
				cfg, ok := m.Get(name)
				if !ok {
					t.Fatalf("%s missing", name)
				}
				if cfg.TopicName != name || cfg.ReadQueueNums != w.queues || cfg.WriteQueueNums != w.queues ||
					cfg.Perm != w.perm || cfg.TopicFilterType != "SINGLE_TAG" || cfg.Order || cfg.TopicSysFlag != 0 {
					t.Errorf("%s = %+v, want %d queues perm %d", name, cfg, w.queues, w.perm)
				}
				if !m.IsSystemTopic(name) {
					t.Errorf("%s is not a system topic", name)
				}
			}
			for _, name := range tt.absent {
				if _, ok := m.Get(name); ok {
					t.Errorf("%s exists", name)
				}
			}
			if tt.name == "defaults" && m.Len() != len(tt.want) {
				t.Errorf("Len = %d, want %d", m.Len(), len(tt.want))
			}
			if v := m.DataVersion(); v.Counter != 0 || v.Timestamp == 0 {
				t.Errorf("initial DataVersion = %+v", v)
			}
		})
	}
}

func TestNewValidates(t *testing.T) {
	for _, modify := range []func(*Options){
		func(o *Options) { o.BrokerName = "" },
		func(o *Options) { o.ClusterName = "" },
		func(o *Options) { o.DefaultQueueNums = 0 },
		func(o *Options) { o.BrokerPermission = 16 },
		func(o *Options) { o.TraceTopicEnable, o.TraceTopicName = true, "a/b" },
	} {
		o := testOptions(t, "")
		modify(&o)
		if _, err := New(o); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("New(%+v) = %v, want ErrInvalidConfig", o, err)
		}
	}
	o := testOptions(t, "")
	o.Clock, o.Logger = nil, nil
	if _, err := New(o); err != nil {
		t.Fatalf("nil Clock and Logger: %v", err)
	}
}

func TestCreateOrUpdateAndDelete(t *testing.T) {
	m := newManager(t, testOptions(t, ""))
	v0 := m.DataVersion()

	cfg := protocol.TopicConfig{TopicName: "TopicTest", ReadQueueNums: 8, WriteQueueNums: 8, Perm: 6}
	if err := m.CreateOrUpdate(cfg); err != nil {
		t.Fatal(err)
	}
	got, ok := m.Get("TopicTest")
	cfg.TopicFilterType = "SINGLE_TAG"
	if !ok || got != cfg {
		t.Fatalf("Get = %+v %t, want %+v", got, ok, cfg)
	}
	v1 := m.DataVersion()
	if v1.Counter != v0.Counter+1 || v1.Timestamp <= v0.Timestamp {
		t.Fatalf("version %+v after %+v", v1, v0)
	}
	select {
	case <-m.Changed():
	default:
		t.Fatal("no Changed signal after create")
	}

	cfg.WriteQueueNums, cfg.Perm, cfg.TopicFilterType, cfg.Order = 4, 4, "MULTI_TAG", true
	if err := m.CreateOrUpdate(cfg); err != nil {
		t.Fatal(err)
	}
	if got, _ := m.Get("TopicTest"); got != cfg {
		t.Fatalf("after update %+v, want %+v", got, cfg)
	}
	// Java bumps the version even for an identical update.
	if err := m.CreateOrUpdate(cfg); err != nil {
		t.Fatal(err)
	}
	if v := m.DataVersion(); v.Counter != v0.Counter+3 {
		t.Fatalf("counter %d, want %d", v.Counter, v0.Counter+3)
	}

	deleted, err := m.Delete("TopicTest")
	if err != nil || !deleted {
		t.Fatalf("Delete = %t, %v", deleted, err)
	}
	if _, ok := m.Get("TopicTest"); ok {
		t.Fatal("still there after Delete")
	}
	if v := m.DataVersion(); v.Counter != v0.Counter+4 {
		t.Fatalf("counter %d after delete", v.Counter)
	}
	deleted, err = m.Delete("TopicTest")
	if err != nil || deleted {
		t.Fatalf("second Delete = %t, %v", deleted, err)
	}
	if v := m.DataVersion(); v.Counter != v0.Counter+4 {
		t.Fatal("deleting an absent topic changed the version")
	}
}

func TestCreateOrUpdateRefusals(t *testing.T) {
	m := newManager(t, testOptions(t, ""))
	ok := protocol.TopicConfig{TopicName: "T", ReadQueueNums: 4, WriteQueueNums: 4, Perm: 6}
	tests := []struct {
		name   string
		modify func(*protocol.TopicConfig)
		kind   error
		remark string
	}{
		{"blank", func(c *protocol.TopicConfig) { c.TopicName = "" }, ErrInvalidTopic, "blank"},
		{"slash", func(c *protocol.TopicConfig) { c.TopicName = "a/b" }, ErrInvalidTopic, "illegal"},
		{"dotdot", func(c *protocol.TopicConfig) { c.TopicName = ".." }, ErrInvalidTopic, "illegal"},
		{"too long", func(c *protocol.TopicConfig) { c.TopicName = strings.Repeat("t", 128) }, ErrInvalidTopic, "max length"},
		{"TBW102", func(c *protocol.TopicConfig) { c.TopicName = "TBW102" }, ErrSystemTopic, "The topic[TBW102] is conflict with system topic."},
		{"schedule", func(c *protocol.TopicConfig) { c.TopicName = "SCHEDULE_TOPIC_XXXX" }, ErrSystemTopic, "conflict"},
		{"cluster", func(c *protocol.TopicConfig) { c.TopicName = "DefaultCluster" }, ErrSystemTopic, "conflict"},
		{"broker", func(c *protocol.TopicConfig) { c.TopicName = "broker-a" }, ErrSystemTopic, "conflict"},
		{"rmq_sys_", func(c *protocol.TopicConfig) { c.TopicName = "rmq_sys_x" }, ErrSystemTopic, "conflict"},
		{"negative queues", func(c *protocol.TopicConfig) { c.WriteQueueNums = -1 }, ErrInvalidConfig, "negative"},
		{"perm", func(c *protocol.TopicConfig) { c.Perm = 16 }, ErrInvalidConfig, "perm"},
		{"filter", func(c *protocol.TopicConfig) { c.TopicFilterType = "SQL92" }, ErrInvalidConfig, "topicFilterType"},
	}
	for _, tt := range tests {
		cfg := ok
		tt.modify(&cfg)
		e := wantCode(t, m.CreateOrUpdate(cfg), protocol.SystemError, tt.kind)
		if !strings.Contains(e.Remark(), tt.remark) {
			t.Errorf("%s: remark %q, want %q", tt.name, e.Remark(), tt.remark)
		}
	}
	if m.DataVersion().Counter != 0 {
		t.Fatal("a refused request changed the table")
	}
	for _, topic := range []string{"TBW102", "SELF_TEST_TOPIC", "DefaultCluster", "a/b", ""} {
		if _, err := m.Delete(topic); err == nil {
			t.Errorf("Delete(%q) succeeded", topic)
		}
	}
	if _, ok := m.Get("TBW102"); !ok {
		t.Fatal("TBW102 deleted")
	}
}

func TestAutoCreateOnSend(t *testing.T) {
	m := newManager(t, testOptions(t, ""))
	cfg, created, err := m.AutoCreateOnSend("NewTopic", "TBW102", 4, 0)
	if err != nil || !created {
		t.Fatalf("AutoCreateOnSend = %+v %t %v", cfg, created, err)
	}
	want := protocol.TopicConfig{TopicName: "NewTopic", ReadQueueNums: 4, WriteQueueNums: 4, Perm: 6, TopicFilterType: "SINGLE_TAG"}
	if cfg != want {
		t.Fatalf("created %+v, want %+v", cfg, want)
	}
	if got, _ := m.Get("NewTopic"); got != want {
		t.Fatalf("stored %+v", got)
	}
	select {
	case <-m.Changed():
	default:
		t.Fatal("no Changed signal after auto-create")
	}
	// Exists now: no second creation, no version change.
	v := m.DataVersion()
	if _, created, err := m.AutoCreateOnSend("NewTopic", "TBW102", 4, 0); created || err != nil {
		t.Fatalf("second call created=%t err=%v", created, err)
	}
	if m.DataVersion() != v {
		t.Fatal("version changed without a creation")
	}

	// min(requested, TBW102's 8 write queues); sysFlag carried.
	cfg, _, err = m.AutoCreateOnSend("Big", "TBW102", 100, 1)
	if err != nil || cfg.WriteQueueNums != 8 || cfg.ReadQueueNums != 8 || cfg.TopicSysFlag != 1 {
		t.Fatalf("Big = %+v, %v", cfg, err)
	}

	// Another default topic with inherit works (the cluster topic is RWX).
	cfg, _, err = m.AutoCreateOnSend("FromCluster", "DefaultCluster", 4, 0)
	if err != nil || cfg.Perm != 6 || cfg.WriteQueueNums != 4 {
		t.Fatalf("FromCluster = %+v, %v", cfg, err)
	}

	// A default topic without inherit, or missing, refuses.
	for _, def := range []string{"SELF_TEST_TOPIC", "NoSuchDefault", "NewTopic"} {
		_, created, err := m.AutoCreateOnSend("X_"+def, def, 4, 0)
		e := wantCode(t, err, protocol.TopicNotExist, ErrTopicNotExist)
		if created || !strings.Contains(e.Remark(), "topic[X_"+def+"] not exist") || !strings.Contains(e.Remark(), def) {
			t.Errorf("default %s: created=%t remark %q", def, created, e.Remark())
		}
	}
	// 0 or negative queue nums.
	for _, n := range []int32{0, -3} {
		_, _, err := m.AutoCreateOnSend("Zero", "TBW102", n, 0)
		wantCode(t, err, protocol.TopicNotExist, ErrTopicNotExist)
	}
	// Bad names.
	for _, name := range []string{"a/b", "..", "", strings.Repeat("z", 128)} {
		_, _, err := m.AutoCreateOnSend(name, "TBW102", 4, 0)
		wantCode(t, err, protocol.SystemError, ErrInvalidTopic)
	}
}

func TestAutoCreateDisabled(t *testing.T) {
	o := testOptions(t, "")
	o.AutoCreateTopicEnable = false
	m := newManager(t, o)
	_, created, err := m.AutoCreateOnSend("NewTopic", "TBW102", 4, 0)
	e := wantCode(t, err, protocol.TopicNotExist, ErrTopicNotExist)
	if created || !strings.Contains(e.Remark(), "NewTopic") {
		t.Fatalf("created=%t remark %q", created, e.Remark())
	}

	// A TBW102 kept from an earlier run (loaded) does not help either.
	tbw := protocol.NewTopicConfig("TBW102")
	tbw.Perm = 7
	m.mu.Lock()
	table := map[string]protocol.TopicConfig{"TBW102": tbw}
	for k, v := range m.snap.Load().table {
		table[k] = v
	}
	m.commitLocked(table)
	_, _, err = m.AutoCreateOnSend("NewTopic", "TBW102", 4, 0)
	wantCode(t, err, protocol.TopicNotExist, ErrTopicNotExist)
	if cfg, _ := m.Get("TBW102"); cfg.Perm != 7 {
		t.Fatalf("TBW102 perm rewritten to %d", cfg.Perm)
	}
}

func TestCreateRetryAndSystemTopics(t *testing.T) {
	m := newManager(t, testOptions(t, ""))
	cfg, created, err := m.CreateRetryTopicIfAbsent("%RETRY%g1", 1, 6, 0)
	if err != nil || !created || cfg.WriteQueueNums != 1 || cfg.ReadQueueNums != 1 || cfg.Perm != 6 {
		t.Fatalf("retry = %+v %t %v", cfg, created, err)
	}
	// Present: returned as stored, even with other arguments.
	cfg, created, err = m.CreateRetryTopicIfAbsent("%RETRY%g1", 3, 4, 0)
	if err != nil || created || cfg.WriteQueueNums != 1 || cfg.Perm != 6 {
		t.Fatalf("retry again = %+v %t %v", cfg, created, err)
	}
	for _, bad := range []string{"g1", "%RETRY%", "%RETRY%a/b", "%DLQ%g1"} {
		if _, _, err := m.CreateRetryTopicIfAbsent(bad, 1, 6, 0); !errors.Is(err, ErrInvalidTopic) {
			t.Errorf("CreateRetryTopicIfAbsent(%q) = %v", bad, err)
		}
	}
	if _, _, err := m.CreateRetryTopicIfAbsent("%RETRY%g2", 0, 6, 0); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("0 queues: %v", err)
	}

	for _, topic := range []string{DLQTopic("g1"), TopicTransHalf, TopicTransOpHalf, TopicTransCheckMaxTime} {
		cfg, created, err := m.CreateSystemIfAbsent(topic, 1, 6)
		if err != nil || !created || cfg.TopicName != topic || cfg.WriteQueueNums != 1 {
			t.Fatalf("%s = %+v %t %v", topic, cfg, created, err)
		}
	}
	if _, _, err := m.CreateSystemIfAbsent("a/../b", 1, 6); !errors.Is(err, ErrInvalidTopic) {
		t.Fatalf("bad system topic name: %v", err)
	}
	if _, _, err := m.CreateSystemIfAbsent("x", 1, 99); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("bad perm: %v", err)
	}
}

func TestForRegistrationBrokerPerm(t *testing.T) {
	m := newManager(t, testOptions(t, ""))
	if err := m.CreateOrUpdate(protocol.TopicConfig{TopicName: "T", ReadQueueNums: 2, WriteQueueNums: 3, Perm: 6, TopicFilterType: "MULTI_TAG", Order: true}); err != nil {
		t.Fatal(err)
	}
	<-m.Changed()
	w := m.ForRegistration()
	if w.TopicConfigTable["T"].Perm != 6 || w.TopicConfigTable["TBW102"].Perm != 7 || w.DataVersion != m.DataVersion() {
		t.Fatalf("full perm: %+v", w)
	}
	// The caller owns the map.
	delete(w.TopicConfigTable, "T")
	if _, ok := m.Get("T"); !ok {
		t.Fatal("All shares its map")
	}

	if err := m.SetBrokerPermission(PermRead); err != nil {
		t.Fatal(err)
	}
	select {
	case <-m.Changed():
	default:
		t.Fatal("no Changed signal after SetBrokerPermission")
	}
	w = m.ForRegistration()
	got := w.TopicConfigTable["T"]
	want := protocol.TopicConfig{TopicName: "T", ReadQueueNums: 2, WriteQueueNums: 3, Perm: 4, TopicFilterType: "SINGLE_TAG"}
	if got != want || w.TopicConfigTable["TBW102"].Perm != 4 {
		t.Fatalf("read-only broker: %+v, want %+v", got, want)
	}
	if cfg, _ := m.Get("T"); cfg.Perm != 6 {
		t.Fatal("ForRegistration changed the table")
	}
	if err := m.SetBrokerPermission(-1); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("SetBrokerPermission(-1) = %v", err)
	}
}

func TestGetAllocs(t *testing.T) {
	m := newManager(t, testOptions(t, ""))
	for i := range 100 {
		if err := m.CreateOrUpdate(protocol.TopicConfig{TopicName: fmt.Sprintf("T%d", i), ReadQueueNums: 4, WriteQueueNums: 4, Perm: 6}); err != nil {
			t.Fatal(err)
		}
	}
	name := string([]byte("T42")) // not a constant
	var sink protocol.TopicConfig
	n := testing.AllocsPerRun(1000, func() {
		cfg, ok := m.Get(name)
		if !ok {
			panic("missing")
		}
		sink = cfg
		_, _ = m.Get("absent")
	})
	if n != 0 {
		t.Fatalf("Get allocates %v times per run", n)
	}
	_ = sink
}

// TestConcurrent runs readers against writers; run it with -race.
func TestConcurrent(t *testing.T) {
	m := newManager(t, testOptions(t, t.TempDir()))
	const writers, readers, perWriter = 3, 4, 60
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for r := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if cfg, ok := m.Get("TBW102"); !ok || cfg.Perm != 7 {
					t.Error("TBW102 lost")
					return
				}
				if cfg, ok := m.Get(fmt.Sprintf("w0-%d", i%perWriter)); ok && cfg.WriteQueueNums == 0 {
					t.Error("torn config")
					return
				}
				if _, _, err := m.CheckSend(SendCheck{Topic: "SELF_TEST_TOPIC"}); err == nil {
					t.Error("send to SELF_TEST_TOPIC allowed")
					return
				}
				if r == 0 && i%50 == 0 {
					_ = m.All()
				}
			}
		}()
	}
	var ww sync.WaitGroup
	for w := range writers {
		ww.Add(1)
		go func() {
			defer ww.Done()
			for i := range perWriter {
				name := fmt.Sprintf("w%d-%d", w, i)
				switch i % 4 {
				case 0, 1:
					if err := m.CreateOrUpdate(protocol.TopicConfig{TopicName: name, ReadQueueNums: 4, WriteQueueNums: 4, Perm: 6}); err != nil {
						t.Error(err)
					}
				case 2:
					if _, _, err := m.AutoCreateOnSend(name, "TBW102", 4, 0); err != nil {
						t.Error(err)
					}
				case 3:
					if _, err := m.Delete(fmt.Sprintf("w%d-%d", w, i-1)); err != nil {
						t.Error(err)
					}
				}
			}
		}()
	}
	ww.Wait()
	close(stop)
	wg.Wait()
	// 3 writers × 60 ops, of which 45 create or update and 15 delete.
	if got, want := m.DataVersion().Counter, int64(writers*perWriter); got != want {
		t.Fatalf("counter %d, want %d", got, want)
	}
	// The file holds the final table.
	m2 := newManager(t, m.opts)
	if err := m2.Load(); err != nil {
		t.Fatal(err)
	}
	if a, b := m.All(), m2.All(); len(a.TopicConfigTable) != len(b.TopicConfigTable) || a.DataVersion != b.DataVersion {
		t.Fatalf("reloaded %d topics %+v, want %d %+v", len(b.TopicConfigTable), b.DataVersion, len(a.TopicConfigTable), a.DataVersion)
	}
}
