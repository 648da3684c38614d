package broker_test

// Tests of the admin handlers: a real broker on 127.0.0.1 in a temporary
// directory, driven with netio's client.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quivermq/quiver/broker"
	"github.com/quivermq/quiver/broker/conf"
	"github.com/quivermq/quiver/engine"
	"github.com/quivermq/quiver/message"
	"github.com/quivermq/quiver/netio"
	"github.com/quivermq/quiver/protocol"
)

// adminEnv is one broker and a client connected to it.
type adminEnv struct {
	t   *testing.T
	b   *broker.Broker
	dir string
	cl  *netio.Client
}

func adminLogger() *slog.Logger {
	level := slog.LevelError
	if os.Getenv("QUIVER_TEST_LOG") != "" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

// startAdminBroker starts a broker with no name server; extra is appended
// to its broker.conf.
func startAdminBroker(t *testing.T, extra string) *adminEnv {
	t.Helper()
	dir := t.TempDir()
	text := fmt.Sprintf(`brokerClusterName=AdminCluster
brokerName=broker-admin
brokerId=0
brokerIP1=127.0.0.1
storePathRootDir=%s
mappedFileSizeCommitLog=%d
%s
`, dir, 16<<20, extra)
	cfg, err := conf.Loader{Env: func(string) string { return "" }, Logger: adminLogger()}.Parse("broker.conf", strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	b, err := broker.New(cfg, broker.Options{ListenAddr: "127.0.0.1:0", Logger: adminLogger(),
		Engine: func(ec *engine.Config) { ec.CheckpointInterval = 200 * time.Millisecond }})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := b.Shutdown(ctx); err != nil {
			t.Errorf("broker shutdown: %v", err)
		}
	})
	cc := netio.DefaultClientConfig()
	cc.Logger = adminLogger()
	cl, err := netio.NewClient(cc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cl.Close() })
	return &adminEnv{t: t, b: b, dir: dir, cl: cl}
}

// call sends a request with code, header h (may be nil) and body, and
// returns the response.
func (e *adminEnv) call(code protocol.RequestCode, h protocol.Header, body []byte) *protocol.Command {
	e.t.Helper()
	var cmd protocol.Command
	cmd.NewRequest(code)
	if h != nil {
		h.Encode(&cmd.Ext)
	}
	cmd.Body = body
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := e.cl.Invoke(ctx, e.b.Addr(), &cmd)
	if err != nil {
		e.t.Fatalf("request %d: %v", code, err)
	}
	return resp
}

// want checks resp's code and that its remark contains remark.
func (e *adminEnv) want(resp *protocol.Command, code protocol.ResponseCode, remark string) {
	e.t.Helper()
	if resp.Code != int32(code) || !strings.Contains(string(resp.Remark), remark) {
		e.t.Fatalf("response code %d remark %q; want code %d remark containing %q", resp.Code, resp.Remark, code, remark)
	}
	if bytes.Contains(resp.Remark, []byte("runtime error")) {
		e.t.Fatalf("handler panicked: %s", resp.Remark)
	}
}

func (e *adminEnv) decode(resp *protocol.Command, v any) {
	e.t.Helper()
	if err := protocol.UnmarshalBody(resp.Body, v); err != nil {
		e.t.Fatalf("decode %T from %q: %v", v, resp.Body, err)
	}
}

func (e *adminEnv) configFile(name string) string {
	e.t.Helper()
	data, err := os.ReadFile(filepath.Join(e.dir, "config", name))
	if err != nil {
		e.t.Fatal(err)
	}
	return string(data)
}

func (e *adminEnv) createTopic(topic string, queues int32) {
	e.t.Helper()
	h := &protocol.CreateTopicRequestHeader{Topic: topic, DefaultTopic: "defaultTopic", ReadQueueNums: queues,
		WriteQueueNums: queues, Perm: 6, TopicFilterType: protocol.TopicFilterSingleTag}
	e.want(e.call(protocol.UpdateAndCreateTopic, h, nil), protocol.Success, "")
}

// send stores one message on queue qid with properties props and returns
// its commit-log offset.
func (e *adminEnv) send(topic string, qid int32, body []byte, props []byte) int64 {
	e.t.Helper()
	h := &protocol.SendMessageRequestHeader{ProducerGroup: []byte("PG"), Topic: []byte(topic),
		DefaultTopic: []byte("TBW102"), DefaultTopicQueueNums: 4, QueueID: qid,
		BornTimestamp: time.Now().UnixMilli(), Properties: props}
	resp := e.call(protocol.SendMessage, h, body)
	e.want(resp, protocol.Success, "")
	var rh protocol.SendMessageResponseHeader
	if err := rh.Decode(&resp.Ext); err != nil {
		e.t.Fatal(err)
	}
	_, off, err := message.ParseOffsetID(rh.MsgID)
	if err != nil {
		e.t.Fatal(err)
	}
	return off
}

func (e *adminEnv) commitOffset(group, topic string, qid int32, off int64) {
	e.t.Helper()
	h := &protocol.UpdateConsumerOffsetRequestHeader{ConsumerGroup: []byte(group), Topic: []byte(topic), QueueID: qid, CommitOffset: off}
	e.want(e.call(protocol.UpdateConsumerOffset, h, nil), protocol.Success, "")
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestAdminTopicCreateDelete(t *testing.T) {
	e := startAdminBroker(t, "")
	e.createTopic("AdminT1", 4)

	var all protocol.TopicConfigSerializeWrapper
	e.decode(e.call(protocol.GetAllTopicConfig, nil, nil), &all)
	tc, ok := all.TopicConfigTable["AdminT1"]
	if !ok || tc.ReadQueueNums != 4 || tc.WriteQueueNums != 4 || tc.Perm != 6 {
		t.Fatalf("GET_ALL_TOPIC_CONFIG: AdminT1 = %+v, %v", tc, ok)
	}
	if _, ok := all.TopicConfigTable["TBW102"]; !ok {
		t.Fatal("GET_ALL_TOPIC_CONFIG lacks TBW102")
	}
	// The answer came after the write.
	if !strings.Contains(e.configFile("topics.json"), `"AdminT1"`) {
		t.Fatal("topics.json lacks AdminT1 after the answer")
	}

	// Update in place.
	h := &protocol.CreateTopicRequestHeader{Topic: "AdminT1", DefaultTopic: "defaultTopic", ReadQueueNums: 2,
		WriteQueueNums: 2, Perm: 4, TopicFilterType: protocol.TopicFilterSingleTag}
	e.want(e.call(protocol.UpdateAndCreateTopic, h, nil), protocol.Success, "")
	all = protocol.TopicConfigSerializeWrapper{}
	e.decode(e.call(protocol.GetAllTopicConfig, nil, nil), &all)
	if tc := all.TopicConfigTable["AdminT1"]; tc.WriteQueueNums != 2 || tc.Perm != 4 {
		t.Fatalf("after update: %+v", tc)
	}

	// Refusals.
	for _, c := range []struct {
		name   string
		h      protocol.Header
		code   protocol.ResponseCode
		remark string
	}{
		{"illegal chars", &protocol.CreateTopicRequestHeader{Topic: "bad topic!", DefaultTopic: "d", ReadQueueNums: 1, WriteQueueNums: 1, Perm: 6, TopicFilterType: "SINGLE_TAG"},
			protocol.SystemError, "illegal characters"},
		{"too long", &protocol.CreateTopicRequestHeader{Topic: strings.Repeat("a", 128), DefaultTopic: "d", ReadQueueNums: 1, WriteQueueNums: 1, Perm: 6, TopicFilterType: "SINGLE_TAG"},
			protocol.SystemError, "longer than topic max length"},
		{"blank", &protocol.CreateTopicRequestHeader{Topic: " ", DefaultTopic: "d", ReadQueueNums: 1, WriteQueueNums: 1, Perm: 6, TopicFilterType: "SINGLE_TAG"},
			protocol.SystemError, "blank"},
		{"system", &protocol.CreateTopicRequestHeader{Topic: "SCHEDULE_TOPIC_XXXX", DefaultTopic: "d", ReadQueueNums: 1, WriteQueueNums: 1, Perm: 6, TopicFilterType: "SINGLE_TAG"},
			protocol.SystemError, "conflict with system topic"},
		{"cluster name", &protocol.CreateTopicRequestHeader{Topic: "AdminCluster", DefaultTopic: "d", ReadQueueNums: 1, WriteQueueNums: 1, Perm: 6, TopicFilterType: "SINGLE_TAG"},
			protocol.SystemError, "conflict with system topic"},
		{"perm", &protocol.CreateTopicRequestHeader{Topic: "AdminT2", DefaultTopic: "d", ReadQueueNums: 1, WriteQueueNums: 1, Perm: 99, TopicFilterType: "SINGLE_TAG"},
			protocol.SystemError, "perm"},
		{"negative queues", &protocol.CreateTopicRequestHeader{Topic: "AdminT2", DefaultTopic: "d", ReadQueueNums: -1, WriteQueueNums: 1, Perm: 6, TopicFilterType: "SINGLE_TAG"},
			protocol.SystemError, "negative"},
		{"too many queues", &protocol.CreateTopicRequestHeader{Topic: "AdminT2", DefaultTopic: "d", ReadQueueNums: 1, WriteQueueNums: 1 << 20, Perm: 6, TopicFilterType: "SINGLE_TAG"},
			protocol.SystemError, "the most a topic may have is 65536"},
		{"filter type", &protocol.CreateTopicRequestHeader{Topic: "AdminT2", DefaultTopic: "d", ReadQueueNums: 1, WriteQueueNums: 1, Perm: 6, TopicFilterType: "X"},
			protocol.SystemError, "topicFilterType"},
		{"no header", nil, protocol.SystemError, "<topic> is null"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e.want(e.call(protocol.UpdateAndCreateTopic, c.h, nil), c.code, c.remark)
		})
	}
	all = protocol.TopicConfigSerializeWrapper{}
	e.decode(e.call(protocol.GetAllTopicConfig, nil, nil), &all)
	if _, ok := all.TopicConfigTable["AdminT2"]; ok {
		t.Fatal("a refused topic was created")
	}

	// Delete: the topic and its offsets go, in memory and on disk.
	e.commitOffset("GDel", "AdminT1", 0, 5)
	e.commitOffset("GDel", "AdminKeep", 0, 7)
	e.want(e.call(protocol.DeleteTopicInBroker, &protocol.DeleteTopicRequestHeader{Topic: "AdminT1"}, nil), protocol.Success, "")
	all = protocol.TopicConfigSerializeWrapper{}
	e.decode(e.call(protocol.GetAllTopicConfig, nil, nil), &all)
	if _, ok := all.TopicConfigTable["AdminT1"]; ok {
		t.Fatal("AdminT1 still in GET_ALL_TOPIC_CONFIG after delete")
	}
	if strings.Contains(e.configFile("topics.json"), `"AdminT1"`) {
		t.Fatal("topics.json still has AdminT1 after the delete's answer")
	}
	var offs protocol.ConsumerOffsetSerializeWrapper
	e.decode(e.call(protocol.GetAllConsumerOffset, nil, nil), &offs)
	if _, ok := offs.OffsetTable["AdminT1@GDel"]; ok {
		t.Fatal("offsets of the deleted topic remain")
	}
	if offs.OffsetTable["AdminKeep@GDel"][0] != 7 {
		t.Fatalf("other offsets lost: %v", offs.OffsetTable)
	}
	if f := e.configFile("consumerOffset.json"); strings.Contains(f, "AdminT1@") || !strings.Contains(f, "AdminKeep@GDel") {
		t.Fatalf("consumerOffset.json after delete: %s", f)
	}
	// Deleting again, or an unknown topic, succeeds; system topics do not.
	e.want(e.call(protocol.DeleteTopicInBroker, &protocol.DeleteTopicRequestHeader{Topic: "AdminT1"}, nil), protocol.Success, "")
	e.want(e.call(protocol.DeleteTopicInBroker, &protocol.DeleteTopicRequestHeader{Topic: "TBW102"}, nil), protocol.SystemError, "conflict with system topic")
	e.want(e.call(protocol.DeleteTopicInBroker, &protocol.DeleteTopicRequestHeader{Topic: "a/b"}, nil), protocol.SystemError, "illegal characters")
	e.want(e.call(protocol.DeleteTopicInBroker, nil, nil), protocol.SystemError, "<topic> is null")
}

func TestAdminSubscriptionGroups(t *testing.T) {
	e := startAdminBroker(t, "")
	e.want(e.call(protocol.UpdateAndCreateSubscriptionGroup, nil, []byte(`{"groupName":"GA","retryMaxTimes":3,"consumeBroadcastEnable":false}`)), protocol.Success, "")

	var w protocol.SubscriptionGroupWrapper
	e.decode(e.call(protocol.GetAllSubscriptionGroupConfig, nil, nil), &w)
	g, ok := w.SubscriptionGroupTable["GA"]
	if !ok || g.RetryMaxTimes != 3 || g.ConsumeBroadcastEnable || !g.ConsumeEnable || g.RetryQueueNums != 1 {
		t.Fatalf("GA = %+v, %v", g, ok)
	}
	if _, ok := w.SubscriptionGroupTable["TOOLS_CONSUMER"]; !ok {
		t.Fatal("system groups missing")
	}
	if w.DataVersion.Counter == 0 {
		t.Fatalf("data version did not advance: %+v", w.DataVersion)
	}
	if !strings.Contains(e.configFile("subscriptionGroup.json"), `"GA"`) {
		t.Fatal("subscriptionGroup.json lacks GA after the answer")
	}
	// The body client-go's admin decodes with encoding/json.
	resp := e.call(protocol.GetAllSubscriptionGroupConfig, nil, nil)
	var std map[string]json.RawMessage
	if err := json.Unmarshal(resp.Body, &std); err != nil || std["subscriptionGroupTable"] == nil || std["dataVersion"] == nil {
		t.Fatalf("body is not the standard JSON client-go reads: %v %s", err, resp.Body)
	}

	for _, c := range []struct {
		name, body, remark string
	}{
		{"empty", "", "without a body"},
		{"not json", "{", "bad UPDATE_AND_CREATE_SUBSCRIPTIONGROUP body"},
		{"no name", `{"retryMaxTimes":3}`, "no groupName"},
		{"negative retry queues", `{"groupName":"GB","retryQueueNums":-1}`, "negative"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e.want(e.call(protocol.UpdateAndCreateSubscriptionGroup, nil, []byte(c.body)), protocol.SystemError, c.remark)
		})
	}

	e.commitOffset("GA", "SomeTopic", 0, 3)
	e.want(e.call(protocol.DeleteSubscriptionGroup, &protocol.DeleteSubscriptionGroupRequestHeader{GroupName: "GA", RemoveOffset: true}, nil), protocol.Success, "")
	w = protocol.SubscriptionGroupWrapper{}
	e.decode(e.call(protocol.GetAllSubscriptionGroupConfig, nil, nil), &w)
	if _, ok := w.SubscriptionGroupTable["GA"]; ok {
		t.Fatal("GA still there after delete")
	}
	if strings.Contains(e.configFile("subscriptionGroup.json"), `"GA"`) {
		t.Fatal("subscriptionGroup.json still has GA after the delete's answer")
	}
	if strings.Contains(e.configFile("consumerOffset.json"), "@GA") {
		t.Fatal("removeOffset left GA's offsets on disk")
	}
	e.want(e.call(protocol.DeleteSubscriptionGroup, &protocol.DeleteSubscriptionGroupRequestHeader{GroupName: "nobody"}, nil), protocol.Success, "")
	e.want(e.call(protocol.DeleteSubscriptionGroup, nil, nil), protocol.SystemError, "<groupName> is null")
}

func TestAdminStatsAndMessages(t *testing.T) {
	e := startAdminBroker(t, "")
	const topic = "AdminS"
	e.createTopic(topic, 2)
	var phys []int64
	for i := 0; i < 3; i++ {
		props := message.AppendProperty(nil, message.PropertyKeys, fmt.Sprintf("order-%d common", i))
		props = message.AppendProperty(props, message.PropertyUniqKey, fmt.Sprintf("UNIQ%02d", i))
		phys = append(phys, e.send(topic, 0, []byte(fmt.Sprintf("body-%d", i)), props))
	}
	waitFor(t, "dispatch", func() bool { return e.b.Store().MaxOffset(topic, 0) == 3 })

	// GET_TOPIC_STATS_INFO.
	var ts protocol.TopicStatsTable
	e.decode(e.call(protocol.GetTopicStatsInfo, &protocol.GetTopicStatsInfoRequestHeader{Topic: topic}, nil), &ts)
	q0 := ts.OffsetTable[protocol.MessageQueue{Topic: topic, BrokerName: "broker-admin", QueueID: 0}]
	q1, ok1 := ts.OffsetTable[protocol.MessageQueue{Topic: topic, BrokerName: "broker-admin", QueueID: 1}]
	if len(ts.OffsetTable) != 2 || q0.MaxOffset != 3 || q0.MinOffset != 0 || q0.LastUpdateTimestamp <= 0 || !ok1 || q1.MaxOffset != 0 || q1.LastUpdateTimestamp != 0 {
		t.Fatalf("topic stats: %+v", ts.OffsetTable)
	}
	// fastjson's object keys, which Java and client-go read.
	resp := e.call(protocol.GetTopicStatsInfo, &protocol.GetTopicStatsInfoRequestHeader{Topic: topic}, nil)
	if !bytes.Contains(resp.Body, []byte(`{"offsetTable":{{"brokerName":"broker-admin","queueId":0,"topic":"AdminS"}:{`)) {
		t.Fatalf("topic stats body: %s", resp.Body)
	}
	e.want(e.call(protocol.GetTopicStatsInfo, &protocol.GetTopicStatsInfoRequestHeader{Topic: "Nope"}, nil), protocol.TopicNotExist, "topic[Nope] not exist")

	// GET_CONSUME_STATS and QUERY_TOPIC_CONSUME_BY_WHO.
	e.commitOffset("GS", topic, 0, 2)
	var cs protocol.ConsumeStats
	e.decode(e.call(protocol.GetConsumeStats, &protocol.GetConsumeStatsRequestHeader{ConsumerGroup: "GS", Topic: topic}, nil), &cs)
	w0 := cs.OffsetTable[protocol.MessageQueue{Topic: topic, BrokerName: "broker-admin", QueueID: 0}]
	w1 := cs.OffsetTable[protocol.MessageQueue{Topic: topic, BrokerName: "broker-admin", QueueID: 1}]
	if len(cs.OffsetTable) != 2 || w0.BrokerOffset != 3 || w0.ConsumerOffset != 2 || w0.LastTimestamp <= 0 || w1.BrokerOffset != 0 || w1.ConsumerOffset != 0 {
		t.Fatalf("consume stats: %+v", cs.OffsetTable)
	}
	// Without a topic: every topic the group has offsets for.
	cs = protocol.ConsumeStats{}
	e.decode(e.call(protocol.GetConsumeStats, &protocol.GetConsumeStatsRequestHeader{ConsumerGroup: "GS"}, nil), &cs)
	if len(cs.OffsetTable) != 2 {
		t.Fatalf("consume stats without topic: %+v", cs.OffsetTable)
	}
	var gl protocol.GroupList
	e.decode(e.call(protocol.QueryTopicConsumeByWho, &protocol.QueryTopicConsumeByWhoRequestHeader{Topic: topic}, nil), &gl)
	if len(gl.GroupList) != 1 || gl.GroupList[0] != "GS" {
		t.Fatalf("consumed by: %v", gl.GroupList)
	}

	// CLONE_GROUP_OFFSET.
	e.want(e.call(protocol.CloneGroupOffset, &protocol.CloneGroupOffsetRequestHeader{SrcGroup: "GS", DestGroup: "GS2", Topic: topic}, nil), protocol.Success, "")
	var offs protocol.ConsumerOffsetSerializeWrapper
	e.decode(e.call(protocol.GetAllConsumerOffset, nil, nil), &offs)
	if offs.OffsetTable[topic+"@GS2"][0] != 2 {
		t.Fatalf("clone: %v", offs.OffsetTable)
	}

	// VIEW_MESSAGE_BY_ID returns the stored record.
	for i, off := range phys {
		resp := e.call(protocol.ViewMessageByID, &protocol.ViewMessageRequestHeader{Offset: off}, nil)
		e.want(resp, protocol.Success, "")
		rec := message.Record(resp.Body)
		if err := rec.Check(); err != nil {
			t.Fatal(err)
		}
		if int(rec.TotalSize()) != len(resp.Body) || string(rec.Body()) != fmt.Sprintf("body-%d", i) || rec.PhysicalOffset() != off {
			t.Fatalf("view %d: body %q size %d/%d phys %d", off, rec.Body(), rec.TotalSize(), len(resp.Body), rec.PhysicalOffset())
		}
	}
	e.want(e.call(protocol.ViewMessageByID, &protocol.ViewMessageRequestHeader{Offset: 1 << 40}, nil), protocol.SystemError, "can not find message by the offset, 1099511627776")
	e.want(e.call(protocol.ViewMessageByID, &protocol.ViewMessageRequestHeader{Offset: -1}, nil), protocol.SystemError, "can not find message by the offset, -1")
	e.want(e.call(protocol.ViewMessageByID, &protocol.ViewMessageRequestHeader{Offset: phys[0] + 1}, nil), protocol.SystemError, "can not find message by the offset")
	e.want(e.call(protocol.ViewMessageByID, nil, nil), protocol.SystemError, "<offset> is null")

	// QUERY_MESSAGE by a KEYS value (the index is written by the
	// dispatcher: poll).
	query := func(key string, maxNum int32, uniq bool) *protocol.Command {
		return e.call(protocol.QueryMessage, &protocol.QueryMessageRequestHeader{Topic: topic, Key: key, MaxNum: maxNum,
			BeginTimestamp: 0, EndTimestamp: time.Now().Add(time.Hour).UnixMilli(), UniqueKeyQuery: uniq}, nil)
	}
	waitFor(t, "index", func() bool { return query("order-1", 32, false).Code == int32(protocol.Success) })
	resp = query("order-1", 32, false)
	recs := splitRecords(t, resp.Body)
	if len(recs) != 1 || string(recs[0].Body()) != "body-1" {
		t.Fatalf("query order-1: %d records", len(recs))
	}
	var qh protocol.QueryMessageResponseHeader
	if err := qh.Decode(&resp.Ext); err != nil || qh.IndexLastUpdatePhyoffset < phys[2] || qh.IndexLastUpdateTimestamp <= 0 {
		t.Fatalf("query response header %+v: %v", qh, err)
	}
	recs = splitRecords(t, query("common", 32, false).Body)
	if len(recs) != 3 {
		t.Fatalf("query common: %d records", len(recs))
	}
	recs = splitRecords(t, query("common", 2, false).Body)
	if len(recs) != 2 {
		t.Fatalf("query common maxNum 2: %d records", len(recs))
	}
	// _UNIQUE_KEY_QUERY replaces maxNum with defaultQueryMaxNum.
	recs = splitRecords(t, query("UNIQ02", 0, true).Body)
	if len(recs) != 1 || string(recs[0].Body()) != "body-2" {
		t.Fatalf("unique key query: %d records", len(recs))
	}
	resp = query("absent", 32, false)
	e.want(resp, protocol.QueryNotFound, "can not find message")
	if err := qh.Decode(&resp.Ext); err != nil {
		t.Fatalf("QUERY_NOT_FOUND without the index header: %v", err)
	}
	e.want(e.call(protocol.QueryMessage, nil, nil), protocol.SystemError, "is null")

	// GET_BROKER_RUNTIME_INFO counts the sends.
	var kv protocol.KVTable
	e.decode(e.call(protocol.GetBrokerRuntimeInfo, nil, nil), &kv)
	for _, k := range []string{"brokerVersionDesc", "brokerVersion", "bootTimestamp", "commitLogDiskRatio",
		"commitLogMinOffset", "commitLogMaxOffset", "dispatchBehindBytes", "pageCacheLockTimeMills",
		"putMessageTimesTotal", "msgPutTotalTodayNow", "putTps", "runtime"} {
		if _, ok := kv.Table[k]; !ok {
			t.Errorf("runtime info lacks %s: %v", k, kv.Table)
		}
	}
	if kv.Table["putMessageTimesTotal"] != "3" || kv.Table["brokerVersionDesc"] != "V4_9_4" || kv.Table["pageCacheLockTimeMills"] != "0" {
		t.Fatalf("runtime info: %v", kv.Table)
	}
}

// splitRecords splits a QUERY_MESSAGE body into its records.
func splitRecords(t *testing.T, body []byte) []message.Record {
	t.Helper()
	var out []message.Record
	for len(body) > 0 {
		if len(body) < 4 {
			t.Fatalf("trailing %d bytes", len(body))
		}
		r := message.Record(body)
		n := int(r.TotalSize())
		if n <= 0 || n > len(body) {
			t.Fatalf("bad record size %d of %d", n, len(body))
		}
		r = r[:n:n]
		if err := r.Check(); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
		body = body[n:]
	}
	return out
}

func TestAdminQueryMessageIndexDisabled(t *testing.T) {
	e := startAdminBroker(t, "messageIndexEnable=false")
	resp := e.call(protocol.QueryMessage, &protocol.QueryMessageRequestHeader{Topic: "T", Key: "k", MaxNum: 1, EndTimestamp: 1}, nil)
	e.want(resp, protocol.SystemError, "messageIndexEnable=false")
}

func TestAdminBrokerConfig(t *testing.T) {
	e := startAdminBroker(t, "")
	resp := e.call(protocol.GetBrokerConfig, nil, nil)
	e.want(resp, protocol.Success, "")
	body := string(resp.Body)
	for _, line := range []string{"brokerName=broker-admin\n", "brokerClusterName=AdminCluster\n", "storePathRootDir=" + e.dir + "\n", "messageIndexEnable=true\n"} {
		if !strings.Contains(body, line) {
			t.Errorf("config lacks %q", line)
		}
	}
	var h protocol.GetBrokerConfigResponseHeader
	if err := h.Decode(&resp.Ext); err != nil {
		t.Fatal(err)
	}
	var dv protocol.DataVersion
	if err := json.Unmarshal([]byte(h.Version), &dv); err != nil || dv.Timestamp <= 0 {
		t.Fatalf("version header %q: %v", h.Version, err)
	}
	e.want(e.call(protocol.UpdateBrokerConfig, nil, []byte("brokerPermission=4\n")), protocol.NoPermission, "edit broker.conf and restart")
}

func TestAdminConnections(t *testing.T) {
	e := startAdminBroker(t, "")
	e.createTopic("AdminC", 4)
	hb := protocol.HeartbeatData{
		ClientID:        "10.0.0.9@admin-test",
		ProducerDataSet: []protocol.ProducerData{{GroupName: "PGA"}},
		ConsumerDataSet: []protocol.ConsumerData{{
			GroupName: "GC", ConsumeType: protocol.ConsumePassively, MessageModel: protocol.MessageModelClustering,
			ConsumeFromWhere: protocol.ConsumeFromFirstOffset,
			SubscriptionDataSet: []protocol.SubscriptionData{{Topic: "AdminC", SubString: "a || b", ExpressionType: "TAG", SubVersion: 1},
				{Topic: "%RETRY%GC", SubString: "*", ExpressionType: "TAG", SubVersion: 1}},
		}},
	}
	data, err := protocol.MarshalBody(hb)
	if err != nil {
		t.Fatal(err)
	}
	e.want(e.call(protocol.HeartBeat, nil, data), protocol.Success, "")

	var cc protocol.ConsumerConnection
	resp := e.call(protocol.GetConsumerConnectionList, &protocol.GetConsumerConnectionListRequestHeader{ConsumerGroup: "GC"}, nil)
	e.want(resp, protocol.Success, "")
	e.decode(resp, &cc)
	if len(cc.ConnectionSet) != 1 || cc.ConnectionSet[0].ClientID != hb.ClientID || cc.ConnectionSet[0].Language != "JAVA" ||
		cc.ConnectionSet[0].Version != int32(protocol.CurrentVersion) || !strings.HasPrefix(cc.ConnectionSet[0].ClientAddr, "127.0.0.1:") {
		t.Fatalf("connections: %+v", cc.ConnectionSet)
	}
	if cc.ConsumeType != protocol.ConsumePassively || cc.MessageModel != protocol.MessageModelClustering || cc.ConsumeFromWhere != protocol.ConsumeFromFirstOffset {
		t.Fatalf("consumer connection: %+v", cc)
	}
	sd, ok := cc.SubscriptionTable["AdminC"]
	if !ok || sd.SubString != "a || b" || len(sd.TagsSet) != 2 || len(sd.CodeSet) != 2 || sd.CodeSet[0] != message.JavaHashCode("a") {
		t.Fatalf("subscription table: %+v", cc.SubscriptionTable)
	}
	e.want(e.call(protocol.GetConsumerConnectionList, &protocol.GetConsumerConnectionListRequestHeader{ConsumerGroup: "nobody"}, nil),
		protocol.ConsumerNotOnline, "the consumer group[nobody] not online")

	var pc protocol.ProducerConnection
	e.decode(e.call(protocol.GetProducerConnectionList, &protocol.GetProducerConnectionListRequestHeader{ProducerGroup: "PGA"}, nil), &pc)
	if len(pc.ConnectionSet) != 1 || pc.ConnectionSet[0].ClientID != hb.ClientID {
		t.Fatalf("producer connections: %+v", pc)
	}
	e.want(e.call(protocol.GetProducerConnectionList, &protocol.GetProducerConnectionListRequestHeader{ProducerGroup: "nobody"}, nil),
		protocol.SystemError, "the producer group[nobody] not exist")

	// The online group's subscriptions decide the consumed-by answer and
	// which topics consume stats cover.
	var gl protocol.GroupList
	e.decode(e.call(protocol.QueryTopicConsumeByWho, &protocol.QueryTopicConsumeByWhoRequestHeader{Topic: "AdminC"}, nil), &gl)
	if len(gl.GroupList) != 1 || gl.GroupList[0] != "GC" {
		t.Fatalf("consumed by: %v", gl.GroupList)
	}
	e.commitOffset("GC", "TBW102", 0, 1) // a topic GC does not subscribe to
	var cs protocol.ConsumeStats
	e.decode(e.call(protocol.GetConsumeStats, &protocol.GetConsumeStatsRequestHeader{ConsumerGroup: "GC"}, nil), &cs)
	if len(cs.OffsetTable) != 0 {
		t.Fatalf("consume stats of unsubscribed topics: %+v", cs.OffsetTable)
	}
}

// TestAdminMalformed sends every admin code with no header and no body:
// each gets an answer, none panics.
func TestAdminMalformed(t *testing.T) {
	e := startAdminBroker(t, "")
	for _, code := range []protocol.RequestCode{
		protocol.UpdateAndCreateTopic, protocol.DeleteTopicInBroker, protocol.GetAllTopicConfig,
		protocol.GetTopicStatsInfo, protocol.QueryTopicConsumeByWho, protocol.UpdateAndCreateSubscriptionGroup,
		protocol.GetAllSubscriptionGroupConfig, protocol.DeleteSubscriptionGroup, protocol.GetConsumerConnectionList,
		protocol.GetProducerConnectionList, protocol.GetConsumeStats, protocol.GetAllConsumerOffset,
		protocol.CloneGroupOffset, protocol.ViewMessageByID, protocol.QueryMessage, protocol.GetBrokerRuntimeInfo,
		protocol.GetBrokerConfig, protocol.UpdateBrokerConfig, protocol.GetConsumerRunningInfo,
		protocol.ConsumeMessageDirectly,
	} {
		for _, body := range [][]byte{nil, []byte("\x00{[garbage"), bytes.Repeat([]byte("{"), 10000)} {
			resp := e.call(code, nil, body)
			if bytes.Contains(resp.Remark, []byte("runtime error")) || bytes.Contains(resp.Remark, []byte("panic")) {
				t.Errorf("code %d: %s", code, resp.Remark)
			}
		}
	}
	// Headers with values of the wrong type.
	var cmd protocol.Command
	cmd.NewRequest(protocol.ViewMessageByID)
	cmd.Ext.AddString("offset", "twelve")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := e.cl.Invoke(ctx, e.b.Addr(), &cmd)
	if err != nil {
		t.Fatal(err)
	}
	e.want(resp, protocol.SystemError, "offset")
}

// TestAdminConcurrentCreates creates topics from many requests at once:
// each answer comes after a write that holds its topic.
func TestAdminConcurrentCreates(t *testing.T) {
	e := startAdminBroker(t, "")
	const n = 32
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func(i int) {
			topic := fmt.Sprintf("AdminConc%02d", i)
			var cmd protocol.Command
			cmd.NewRequest(protocol.UpdateAndCreateTopic)
			(&protocol.CreateTopicRequestHeader{Topic: topic, DefaultTopic: "d", ReadQueueNums: 1, WriteQueueNums: 1,
				Perm: 6, TopicFilterType: "SINGLE_TAG"}).Encode(&cmd.Ext)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			resp, err := e.cl.Invoke(ctx, e.b.Addr(), &cmd)
			switch {
			case err != nil:
				errs <- err
			case resp.Code != int32(protocol.Success):
				errs <- fmt.Errorf("%s: code %d %s", topic, resp.Code, resp.Remark)
			default:
				data, err := os.ReadFile(filepath.Join(e.dir, "config", "topics.json"))
				if err == nil && !bytes.Contains(data, []byte(`"`+topic+`"`)) {
					err = fmt.Errorf("%s not in topics.json after its answer", topic)
				}
				errs <- err
			}
		}(i)
	}
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
