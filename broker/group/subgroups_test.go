package group

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quivermq/quiver/protocol"
)

func TestSubscriptionGroupsDefaults(t *testing.T) {
	clk := newFakeClock()
	s := NewSubscriptionGroups(testConfig(clk))
	for _, g := range []string{"TOOLS_CONSUMER", "FILTERSRV_CONSUMER", "SELF_TEST_C_GROUP", "CID_ONS-HTTP-PROXY",
		"CID_ONSAPI_PULL", "CID_ONSAPI_PERMISSION", "CID_ONSAPI_OWNER", "CID_RMQ_SYS_TRANS"} {
		if _, ok := s.Get(g); !ok {
			t.Errorf("system group %s missing", g)
		}
	}
	if s.Dirty() {
		t.Fatal("system groups make the table dirty")
	}
	if _, ok := s.Get("G"); ok {
		t.Fatal("G exists")
	}
	c, ok := s.Find("G")
	want := protocol.SubscriptionGroupConfig{GroupName: "G", ConsumeEnable: true, ConsumeFromMinEnable: true,
		ConsumeBroadcastEnable: true, RetryQueueNums: 1, RetryMaxTimes: 16, BrokerID: 0,
		WhichBrokerWhenConsumeSlowly: 1, NotifyConsumerIDsChangedEnable: true}
	if !ok || c != want {
		t.Fatalf("auto-created %+v", c)
	}
	if v := s.DataVersion(); v.Counter != 1 || v.Timestamp != clk.Now().UnixMilli() {
		t.Fatalf("data version %+v", v)
	}
	if !s.Dirty() {
		t.Fatal("auto-create not dirty")
	}
	if _, ok := s.Find(""); ok {
		t.Fatal("empty group created")
	}

	cfg := testConfig(clk)
	cfg.AutoCreateSubscriptionGroup = false
	s2 := NewSubscriptionGroups(cfg)
	if _, ok := s2.Find("G"); ok {
		t.Fatal("created with auto-create off")
	}
	if _, ok := s2.Find("CID_RMQ_SYS_X"); !ok {
		t.Fatal("system group not created with auto-create off")
	}
}

func TestSubscriptionGroupsPutDelete(t *testing.T) {
	clk := newFakeClock()
	s := NewSubscriptionGroups(testConfig(clk))
	if err := s.Put(protocol.SubscriptionGroupConfig{}); !errors.Is(err, ErrInvalidGroup) {
		t.Fatalf("empty name: %v", err)
	}
	c := protocol.NewSubscriptionGroupConfig("G")
	c.RetryMaxTimes = 3
	c.ConsumeEnable = false
	if err := s.Put(c); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Second)
	if got, ok := s.Find("G"); !ok || got != c {
		t.Fatalf("got %+v", got)
	}
	if !slices.Contains(s.Groups(), "G") {
		t.Fatal("Groups")
	}
	all := s.All()
	if all.SubscriptionGroupTable["G"] != c || all.DataVersion.Counter != 1 {
		t.Fatalf("All %+v", all)
	}
	if !s.Delete("G") || s.Delete("G") {
		t.Fatal("delete")
	}
	if v := s.DataVersion(); v.Counter != 2 || v.Timestamp != clk.Now().UnixMilli() {
		t.Fatalf("version %+v", v)
	}
}

func TestSubscriptionGroupsPersistLoad(t *testing.T) {
	clk := newFakeClock()
	path := filepath.Join(t.TempDir(), "config", "subscriptionGroup.json")
	s := NewSubscriptionGroups(testConfig(clk))
	c := protocol.NewSubscriptionGroupConfig("G")
	c.WhichBrokerWhenConsumeSlowly = 2
	s.Put(c)
	s.Find("Auto")
	if err := s.Persist(path); err != nil {
		t.Fatal(err)
	}
	if s.Dirty() {
		t.Fatal("dirty after persist")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Field names as Java's SubscriptionGroupConfig and DataVersion.
	var raw struct {
		DataVersion            map[string]int64                      `json:"dataVersion"`
		SubscriptionGroupTable map[string]map[string]json.RawMessage `json:"subscriptionGroupTable"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	if raw.DataVersion["counter"] != 2 || raw.DataVersion["timestamp"] != clk.Now().UnixMilli() {
		t.Fatalf("dataVersion %v", raw.DataVersion)
	}
	var keys []string
	for k := range raw.SubscriptionGroupTable["G"] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	wantKeys := []string{"brokerId", "consumeBroadcastEnable", "consumeEnable", "consumeFromMinEnable", "groupName",
		"notifyConsumerIdsChangedEnable", "retryMaxTimes", "retryQueueNums", "whichBrokerWhenConsumeSlowly"}
	if !slices.Equal(keys, wantKeys) {
		t.Fatalf("keys %v", keys)
	}
	if len(raw.SubscriptionGroupTable) != len(systemGroups)+2 {
		t.Fatalf("%d groups", len(raw.SubscriptionGroupTable))
	}

	s2 := NewSubscriptionGroups(testConfig(clk))
	if err := s2.Load(path); err != nil {
		t.Fatal(err)
	}
	if got, ok := s2.Get("G"); !ok || got != c {
		t.Fatalf("loaded %+v", got)
	}
	if _, ok := s2.Get("Auto"); !ok {
		t.Fatal("Auto lost")
	}
	if s2.DataVersion() != s.DataVersion() || s2.Dirty() {
		t.Fatalf("version %+v dirty %v", s2.DataVersion(), s2.Dirty())
	}
	a, _ := s.Encode()
	b, _ := s2.Encode()
	if string(a) != string(b) {
		t.Fatalf("re-encoded\n%s\nwant\n%s", b, a)
	}
}

// A Java broker's subscriptionGroup.json (fastjson, pretty); the missing
// fields take the defaults and unknown ones are ignored.
const javaSubGroups = `{
	"dataVersion":{
		"counter":5,
		"timestamp":1650000000000
	},
	"subscriptionGroupTable":{
		"SELF_TEST_C_GROUP":{
			"brokerId":0,
			"consumeBroadcastEnable":true,
			"consumeEnable":true,
			"consumeFromMinEnable":true,
			"groupName":"SELF_TEST_C_GROUP",
			"notifyConsumerIdsChangedEnable":true,
			"retryMaxTimes":16,
			"retryQueueNums":1,
			"whichBrokerWhenConsumeSlowly":1
		},
		"my_group":{
			"brokerId":0,
			"consumeBroadcastEnable":false,
			"consumeEnable":true,
			"groupName":"my_group",
			"retryMaxTimes":5,
			"someFutureField":[1,2]
		}
	}
}`

func TestSubscriptionGroupsLoadJava(t *testing.T) {
	path := filepath.Join(t.TempDir(), "subscriptionGroup.json")
	os.WriteFile(path, []byte(javaSubGroups), 0o644)
	s := NewSubscriptionGroups(testConfig(newFakeClock()))
	if err := s.Load(path); err != nil {
		t.Fatal(err)
	}
	c, ok := s.Get("my_group")
	if !ok || c.ConsumeBroadcastEnable || c.RetryMaxTimes != 5 || !c.ConsumeFromMinEnable || c.RetryQueueNums != 1 ||
		!c.NotifyConsumerIDsChangedEnable || c.WhichBrokerWhenConsumeSlowly != 1 {
		t.Fatalf("my_group %+v", c)
	}
	if v := s.DataVersion(); v.Counter != 5 || v.Timestamp != 1650000000000 {
		t.Fatalf("version %+v", v)
	}
	if _, ok := s.Get("TOOLS_CONSUMER"); !ok {
		t.Fatal("system group dropped by load")
	}
}

func TestSubscriptionGroupsCorrupt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "subscriptionGroup.json")
	os.WriteFile(path, []byte(`{"subscriptionGroupTable":{"G":`), 0o644)
	s := NewSubscriptionGroups(testConfig(newFakeClock()))
	err := s.Load(path)
	if !errors.Is(err, ErrCorruptFile) || !strings.Contains(err.Error(), "subscriptionGroup.json") {
		t.Fatalf("err %v", err)
	}
	os.WriteFile(path+BakSuffix, []byte(`{"subscriptionGroupTable":{"G":{"groupName":"G"}}}`), 0o644)
	if err := s.Load(path); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Get("G"); !ok {
		t.Fatal("bak not loaded")
	}
}

func TestSubscriptionGroupsGetDoesNotAllocate(t *testing.T) {
	s := NewSubscriptionGroups(testConfig(newFakeClock()))
	s.Find("GroupName")
	g := "GroupName"
	n := testing.AllocsPerRun(1000, func() {
		if c, ok := s.Find(g); !ok || !c.ConsumeEnable {
			panic("not found")
		}
	})
	if n != 0 {
		t.Fatalf("%v allocations", n)
	}
}

func TestNames(t *testing.T) {
	if RetryTopic("G") != "%RETRY%G" || DLQTopic("G") != "%DLQ%G" || !IsSysConsumerGroup("CID_RMQ_SYS_TRANS") || IsSysConsumerGroup("G") {
		t.Fatal("names")
	}
}
