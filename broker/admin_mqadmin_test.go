package broker_test

// The requests RocketMQ 4.9.4's mqadmin (tools module, DefaultMQAdminExt
// over MQClientAPIImpl) sends for the commands an operator runs, sent as
// Java sends them (JAVA language, version 401, header fields under their
// Java names as strings, JSON header; clusterList and consumerProgress
// also with the ROCKETMQ binary header) to an in-process name server and
// broker after real traffic, and their answers decoded with the Java
// classes' field names. Read at tag rocketmq-all-4.9.4.
//
// Golden table: command → requests (NS = name server, B = broker) → what
// the tool reads from the answer.
//
//	clusterList          NS 106 GET_BROKER_CLUSTER_INFO → clusterAddrTable, brokerAddrTable[name].brokerAddrs
//	                     B 28 GET_BROKER_RUNTIME_INFO (each address) → table: brokerVersionDesc, putTps and
//	                       getTransferedTps (split on ' ', first parsed as double; a missing one is an NPE),
//	                       sendThreadPoolQueueSize, pullThreadPoolQueueSize, send/pullThreadPoolQueueHeadWaitTimeMills,
//	                       pageCacheLockTimeMills, earliestMessageTimeStamp (long, optional), commitLogDiskRatio (double)
//	clusterList -m       as above; table: msgPutTotal{YesterdayMorning,TodayMorning,TodayNow},
//	                       msgGetTotal{YesterdayMorning,TodayMorning,TodayNow} (all parsed as long)
//	brokerStatus -b      B 28 → every table entry, printed sorted
//	topicList            NS 206 GET_ALL_TOPIC_LIST_FROM_NAMESERVER → topicList
//	topicList -c         NS 106; NS 206; per topic NS 105 GET_ROUTEINFO_BY_TOPIC {topic} → brokerDatas[0].brokerName,
//	                       B 300 QUERY_TOPIC_CONSUME_BY_WHO {topic} → groupList
//	topicRoute -t        NS 105 {topic} → queueDatas (brokerName, readQueueNums, writeQueueNums, perm,
//	                       topicSysFlag), brokerDatas (cluster, brokerName, brokerAddrs)
//	topicStatus -t       NS 105; B 202 GET_TOPIC_STATS_INFO {topic} → offsetTable{MessageQueue: minOffset,
//	                       maxOffset, lastUpdateTimestamp} (fastjson object keys: brokerName, queueId, topic)
//	topicClusterList -t  NS 106; NS 105 → brokerDatas[0].brokerName looked up in clusterAddrTable
//	consumerProgress -g  NS 105 {%RETRY%group}; B 208 GET_CONSUME_STATS {consumerGroup} (no topic) →
//	                       offsetTable{MessageQueue: brokerOffset, consumerOffset, lastTimestamp}, consumeTps;
//	                       an empty offsetTable is "not found"
//	consumerProgress     NS 206; per %RETRY% topic: the above, and consumerConnection's requests →
//	                       connectionSet size, version (min), consumeType, messageModel
//	consumerConnection   NS 105 {%RETRY%group}; B 203 GET_CONSUMER_CONNECTION_LIST {consumerGroup} →
//	                       connectionSet (clientId, clientAddr, language, version), subscriptionTable
//	                       (topic, subString), consumeType, messageModel, consumeFromWhere
//	producerConnection   NS 105 {topic}; B 204 GET_PRODUCER_CONNECTION_LIST {producerGroup} → connectionSet
//	queryMsgByKey        NS 105 {topic}; B 12 QUERY_MESSAGE {topic, key, maxNum=64, beginTimestamp=0,
//	                       endTimestamp=Long.MAX_VALUE, _UNIQUE_KEY_QUERY=false} → ext indexLastUpdateTimestamp,
//	                       body of stored records (msgId, queueId, queueOffset; KEYS must hold key, topic equal)
//	queryMsgById         B 33 VIEW_MESSAGE_BY_ID {offset} at the address in the offset id → one stored record
//	                       (topic, tags, keys, queue id/offset, commit-log offset, born/store host and time,
//	                       sysFlag, properties, body); then the message track: NS 105 {topic}; B 300 {topic};
//	                       per group NS 105 {%RETRY%g} + B 203, B 208 {consumerGroup}, NS 106 (store host =
//	                       brokerAddrs[0] and consumerOffset > queueOffset means consumed)
//	updateTopic -b       B 17 UPDATE_AND_CREATE_TOPIC {topic, defaultTopic=TBW102, readQueueNums, writeQueueNums,
//	                       perm, topicFilterType, topicSysFlag, order} → code only; with -o true also NS 106,
//	                       NS 101 GET_KV_CONFIG and NS 100 PUT_KV_CONFIG {ORDER_TOPIC_CONFIG, topic, "b:n"}
//	deleteTopic -c       NS 106; B 215 DELETE_TOPIC_IN_BROKER {topic}; NS 216 DELETE_TOPIC_IN_NAMESRV
//	                       {topic, clusterName} → code only
//	updateSubGroup -b    B 200 UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, SubscriptionGroupConfig JSON body → code only
//	deleteSubGroup -b    B 207 DELETE_SUBSCRIPTIONGROUP {groupName, removeOffset} → code only (-c adds NS 106
//	                       and deleteTopic of %RETRY%g and %DLQ%g)
//	getBrokerConfig -b   B 26 GET_BROKER_CONFIG → body as java.util.Properties text
//	consumerProgress -s, consumerConnection's requests, then per connection B 307 GET_CONSUMER_RUNNING_INFO
//	  consumerStatus       {consumerGroup, clientId, jstackEnable}, relayed by the broker to that client →
//	                       the client's ConsumerRunningInfo (mqTable keys, properties, statusTable, jstack)
//	queryMsgById -g -d   B 33 as above, then B 309 CONSUME_MESSAGE_DIRECTLY {consumerGroup, clientId, msgId} at
//	                       the store host; the broker adds brokerName and the stored message as body and relays
//	                       it to the client → the client's ConsumeMessageDirectlyResult
//	dashboard            the reads above, plus B 21 GET_ALL_TOPIC_CONFIG → topicConfigTable[topic], B 201 →
//	                       subscriptionGroupTable, B 28 → getTotalTps (split, each a BigDecimal), B 307 per client

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quivermq/quiver/broker"
	"github.com/quivermq/quiver/broker/conf"
	"github.com/quivermq/quiver/message"
	"github.com/quivermq/quiver/namesrv"
	"github.com/quivermq/quiver/netio"
	"github.com/quivermq/quiver/protocol"
)

// Java body classes, with their field names.
type (
	jKVTable struct {
		Table map[string]string `json:"table"`
	}
	jBrokerData struct {
		Cluster     string           `json:"cluster"`
		BrokerName  string           `json:"brokerName"`
		BrokerAddrs map[int64]string `json:"brokerAddrs"`
	}
	jClusterInfo struct {
		BrokerAddrTable  map[string]jBrokerData `json:"brokerAddrTable"`
		ClusterAddrTable map[string][]string    `json:"clusterAddrTable"`
	}
	jTopicList struct {
		TopicList []string `json:"topicList"`
	}
	jQueueData struct {
		BrokerName     string `json:"brokerName"`
		ReadQueueNums  int32  `json:"readQueueNums"`
		WriteQueueNums int32  `json:"writeQueueNums"`
		Perm           int32  `json:"perm"`
		TopicSysFlag   int32  `json:"topicSysFlag"`
	}
	jTopicRouteData struct {
		QueueDatas  []jQueueData  `json:"queueDatas"`
		BrokerDatas []jBrokerData `json:"brokerDatas"`
	}
	jMessageQueue struct {
		Topic      string `json:"topic"`
		BrokerName string `json:"brokerName"`
		QueueID    int32  `json:"queueId"`
	}
	jTopicOffset struct {
		MinOffset           int64 `json:"minOffset"`
		MaxOffset           int64 `json:"maxOffset"`
		LastUpdateTimestamp int64 `json:"lastUpdateTimestamp"`
	}
	jTopicStatsTable struct {
		OffsetTable map[string]jTopicOffset `json:"offsetTable"`
	}
	jOffsetWrapper struct {
		BrokerOffset   int64 `json:"brokerOffset"`
		ConsumerOffset int64 `json:"consumerOffset"`
		LastTimestamp  int64 `json:"lastTimestamp"`
	}
	jConsumeStats struct {
		OffsetTable map[string]jOffsetWrapper `json:"offsetTable"`
		ConsumeTps  float64                   `json:"consumeTps"`
	}
	jConnection struct {
		ClientID   string `json:"clientId"`
		ClientAddr string `json:"clientAddr"`
		Language   string `json:"language"`
		Version    int32  `json:"version"`
	}
	jSubscriptionData struct {
		Topic     string `json:"topic"`
		SubString string `json:"subString"`
	}
	jConsumerConnection struct {
		ConnectionSet     []jConnection                `json:"connectionSet"`
		SubscriptionTable map[string]jSubscriptionData `json:"subscriptionTable"`
		ConsumeType       string                       `json:"consumeType"`
		MessageModel      string                       `json:"messageModel"`
		ConsumeFromWhere  string                       `json:"consumeFromWhere"`
	}
	jProducerConnection struct {
		ConnectionSet []jConnection `json:"connectionSet"`
	}
	jGroupList struct {
		GroupList []string `json:"groupList"`
	}
	jSubscriptionGroupConfig struct {
		GroupName     string `json:"groupName"`
		RetryMaxTimes int32  `json:"retryMaxTimes"`
		ConsumeEnable bool   `json:"consumeEnable"`
	}
	jSubscriptionGroupWrapper struct {
		SubscriptionGroupTable map[string]jSubscriptionGroupConfig `json:"subscriptionGroupTable"`
	}
)

const (
	mqCluster = "MQAdminCluster"
	mqBroker  = "broker-mq"
	mqTopic   = "MQAdminTopic"
	mqGroup   = "MQAdminGroup"
	mqPGroup  = "MQAdminProducer"
	mqClient  = "127.0.0.1@mqadmin-test"
)

// mqEnv is a name server, a broker registered with it, the admin tool's
// connection and an application's connection (which heartbeats as a
// producer and a consumer).
type mqEnv struct {
	t      *testing.T
	ns, br string
	tool   *netio.Client
	app    *netio.Client
	phys   []int64  // commit-log offsets of the sent messages
	ids    []string // their offset message ids
	// relayed receives what the broker relays to the application.
	relayed chan relayedRequest
}

func startMQAdminEnv(t *testing.T) *mqEnv {
	t.Helper()
	nc := namesrv.DefaultConfig()
	nc.ListenAddr = "127.0.0.1:0"
	nc.KVConfigPath = filepath.Join(t.TempDir(), "kvConfig.json")
	nc.Logger = adminLogger()
	ns, err := namesrv.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if err := ns.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ns.Shutdown(context.Background()) })

	text := fmt.Sprintf("brokerClusterName=%s\nbrokerName=%s\nbrokerIP1=127.0.0.1\nnamesrvAddr=%s\nstorePathRootDir=%s\nmappedFileSizeCommitLog=%d\n",
		mqCluster, mqBroker, ns.Addr().String(), t.TempDir(), 16<<20)
	cfg, err := conf.Loader{Env: func(string) string { return "" }, Logger: adminLogger()}.Parse("broker.conf", strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	b, err := broker.New(cfg, broker.Options{ListenAddr: "127.0.0.1:0", Logger: adminLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = b.Shutdown(ctx)
	})
	e := &mqEnv{t: t, ns: ns.Addr().String(), br: b.Addr(), relayed: make(chan relayedRequest, 4)}
	for _, cl := range []**netio.Client{&e.tool, &e.app} {
		cc := netio.DefaultClientConfig()
		cc.Logger = adminLogger()
		c, err := netio.NewClient(cc)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		*cl = c
	}
	// The application answers what the broker relays to it, as a Java
	// consumer's ClientRemotingProcessor does.
	e.app.Register(protocol.GetConsumerRunningInfo, func(req *netio.Request) {
		e.record(relayedRequest{code: protocol.GetConsumerRunningInfo, ext: extMap(&req.Command().Ext)})
		resp := req.Response(protocol.Success)
		resp.Body = []byte(`{"jstack":"","mqTable":{{"brokerName":"` + mqBroker + `","queueId":0,"topic":"` + mqTopic + `"}:{"cachedMsgCount":0,"commitOffset":2,"droped":false,"locked":false}},"properties":{"PROP_CONSUME_TYPE":"CONSUME_PASSIVELY","PROP_CLIENT_VERSION":"V4_9_4"},"statusTable":{},"subscriptionSet":[]}`)
		_ = req.Reply(resp)
	})
	e.app.Register(protocol.ConsumeMessageDirectly, func(req *netio.Request) {
		e.record(relayedRequest{code: protocol.ConsumeMessageDirectly, ext: extMap(&req.Command().Ext), body: slices.Clone(req.Command().Body)})
		resp := req.Response(protocol.Success)
		resp.Body = []byte(`{"autoCommit":true,"consumeResult":"CR_SUCCESS","order":false,"remark":"","spentTimeMills":1}`)
		_ = req.Reply(resp)
	})
	return e
}

// relayedRequest is a request the broker relayed to the application.
type relayedRequest struct {
	code protocol.RequestCode
	ext  map[string]string
	body []byte
}

func extMap(e *protocol.ExtFields) map[string]string {
	m := make(map[string]string, e.Len())
	for i := 0; i < e.Len(); i++ {
		k, v := e.At(i)
		m[string(k)] = string(v)
	}
	return m
}

// record keeps r for nextRelayed; it never blocks the client's loop (a
// request beyond the buffer is dropped, and the test waiting for it fails).
func (e *mqEnv) record(r relayedRequest) {
	select {
	case e.relayed <- r:
	default:
	}
}

// nextRelayed waits for the request the broker relayed to the application.
func (e *mqEnv) nextRelayed() relayedRequest {
	e.t.Helper()
	select {
	case r := <-e.relayed:
		return r
	case <-time.After(10 * time.Second):
		e.t.Fatal("the broker relayed nothing to the client")
		return relayedRequest{}
	}
}

// javaCall sends what Java's RemotingCommand.createRequestCommand plus
// makeCustomHeaderToNet produce: code, language JAVA, version 401, the
// header fields kv (name, value, ...) as strings, and body.
func javaCall(t *testing.T, cl *netio.Client, addr string, ser protocol.SerializeType, code protocol.RequestCode, body []byte, kv ...string) *protocol.Command {
	t.Helper()
	var cmd protocol.Command
	cmd.NewRequest(code)
	cmd.Serialize = ser
	for i := 0; i+1 < len(kv); i += 2 {
		cmd.Ext.AddString(kv[i], kv[i+1])
	}
	cmd.Body = body
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := cl.Invoke(ctx, addr, &cmd)
	if err != nil {
		t.Fatalf("request %d to %s: %v", code, addr, err)
	}
	if resp.Serialize != ser {
		t.Fatalf("request %d sent as %v answered as %v", code, ser, resp.Serialize)
	}
	return resp
}

// toolCall sends a request of the admin tool with the JSON header.
func (e *mqEnv) toolCall(addr string, code protocol.RequestCode, body []byte, kv ...string) *protocol.Command {
	e.t.Helper()
	return javaCall(e.t, e.tool, addr, protocol.SerializeJSON, code, body, kv...)
}

// ok checks that resp is SUCCESS and decodes its body into v (if not nil).
func (e *mqEnv) ok(resp *protocol.Command, v any) {
	e.t.Helper()
	if resp.Code != int32(protocol.Success) {
		e.t.Fatalf("response code %d remark %q", resp.Code, resp.Remark)
	}
	e.t.Logf("body %T: %.600s", v, resp.Body)
	if v != nil {
		if err := protocol.UnmarshalBody(resp.Body, v); err != nil {
			e.t.Fatalf("decode %T from %s: %v", v, resp.Body, err)
		}
	}
}

// fields checks that the JSON object body has every key in names (a Java
// field the tool reads must be written, not left to a default).
func (e *mqEnv) fields(body []byte, names ...string) {
	e.t.Helper()
	var m map[string]json.RawMessage
	if err := protocol.UnmarshalBody(body, &m); err != nil {
		e.t.Fatalf("body %s: %v", body, err)
	}
	for _, n := range names {
		if _, ok := m[n]; !ok {
			e.t.Errorf("body lacks %q: %s", n, body)
		}
	}
}

// mqMap turns a fastjson MessageQueue-keyed map (object keys, normalized
// to strings by UnmarshalBody) into a map by queue, checking that each key
// is exactly a MessageQueue's three fields.
func mqMap[V any](t *testing.T, m map[string]V) map[jMessageQueue]V {
	t.Helper()
	out := make(map[jMessageQueue]V, len(m))
	for k, v := range m {
		var raw map[string]json.RawMessage
		var mq jMessageQueue
		if err := json.Unmarshal([]byte(k), &raw); err != nil || len(raw) != 3 {
			t.Fatalf("map key %q is not a MessageQueue object", k)
		}
		if err := json.Unmarshal([]byte(k), &mq); err != nil {
			t.Fatalf("map key %q: %v", k, err)
		}
		out[mq] = v
	}
	return out
}

// route is GET_ROUTEINFO_BY_TOPIC as the tool sends it.
func (e *mqEnv) route(topic string) (jTopicRouteData, bool) {
	e.t.Helper()
	resp := e.toolCall(e.ns, protocol.GetRouteInfoByTopic, nil, "topic", topic)
	if resp.Code != int32(protocol.Success) {
		return jTopicRouteData{}, false
	}
	var rd jTopicRouteData
	e.ok(resp, &rd)
	return rd, true
}

// master is BrokerData.selectBrokerAddr of the route's first broker.
func (e *mqEnv) master(topic string) string {
	e.t.Helper()
	rd, ok := e.route(topic)
	if !ok || len(rd.BrokerDatas) == 0 {
		e.t.Fatalf("no route for %s", topic)
	}
	addr := rd.BrokerDatas[0].BrokerAddrs[0]
	if addr != e.br {
		e.t.Fatalf("route of %s names master %q, want %s", topic, addr, e.br)
	}
	return addr
}

// traffic creates the topic as updateTopic does, sends messages as a Java
// producer (SEND_MESSAGE_V2), heartbeats a producer and a push consumer
// group and commits offsets as the consumer does.
func (e *mqEnv) traffic() {
	t := e.t
	// updateTopic -b addr -t MQAdminTopic -r 4 -w 4
	resp := e.toolCall(e.br, protocol.UpdateAndCreateTopic, nil,
		"topic", mqTopic, "defaultTopic", "TBW102", "readQueueNums", "4", "writeQueueNums", "4",
		"perm", "6", "topicFilterType", "SINGLE_TAG", "topicSysFlag", "0", "order", "false")
	e.ok(resp, nil)
	waitFor(t, "the topic's route", func() bool { _, ok := e.route(mqTopic); return ok })

	for i := 0; i < 6; i++ {
		props := message.AppendProperty(nil, message.PropertyKeys, fmt.Sprintf("mqkey-%d shared", i))
		props = message.AppendProperty(props, message.PropertyTags, "TagA")
		props = message.AppendProperty(props, message.PropertyUniqKey, fmt.Sprintf("7F00000100002A9F0000000000%06d", i))
		props = message.AppendProperty(props, "WAIT", "true")
		resp := javaCall(t, e.app, e.br, protocol.SerializeJSON, protocol.SendMessageV2, []byte(fmt.Sprintf("hello %d", i)),
			"a", mqPGroup, "b", mqTopic, "c", "TBW102", "d", "4", "e", strconv.Itoa(i%2), "f", "0",
			"g", strconv.FormatInt(time.Now().UnixMilli(), 10), "h", "0", "i", string(props), "j", "0",
			"k", "false", "m", "false")
		e.ok(resp, nil)
		id := resp.Ext.GetString("msgId")
		_, off, err := message.ParseOffsetID(id)
		if err != nil {
			t.Fatalf("send answer msgId %q: %v", id, err)
		}
		e.ids = append(e.ids, id)
		e.phys = append(e.phys, off)
	}

	// Sends are answered before the dispatcher writes the consume queues.
	waitFor(t, "dispatch", func() bool {
		for q := 0; q < 2; q++ {
			resp := javaCall(t, e.app, e.br, protocol.SerializeJSON, protocol.GetMaxOffset, nil, "topic", mqTopic, "queueId", strconv.Itoa(q))
			if resp.Code != int32(protocol.Success) || resp.Ext.GetString("offset") != "3" {
				return false
			}
		}
		return true
	})

	hb := fmt.Sprintf(`{"clientID":%q,"consumerDataSet":[{"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY","groupName":%q,"messageModel":"CLUSTERING","subscriptionDataSet":[{"classFilterMode":false,"codeSet":[2598919,2598920],"expressionType":"TAG","subString":"TagA || TagB","subVersion":%d,"tagsSet":["TagA","TagB"],"topic":%q},{"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"*","subVersion":%d,"tagsSet":[],"topic":"%%RETRY%%%s"}],"unitMode":false}],"producerDataSet":[{"groupName":%q},{"groupName":"CLIENT_INNER_PRODUCER"}]}`,
		mqClient, mqGroup, time.Now().UnixMilli(), mqTopic, time.Now().UnixMilli(), mqGroup, mqPGroup)
	e.ok(javaCall(t, e.app, e.br, protocol.SerializeJSON, protocol.HeartBeat, []byte(hb)), nil)

	// Queue 0 holds messages 0, 2, 4; queue 1 holds 1, 3, 5. The consumer
	// has consumed two of queue 0 and all of queue 1.
	for q, off := range []int64{2, 3} {
		resp := javaCall(t, e.app, e.br, protocol.SerializeJSON, protocol.UpdateConsumerOffset, nil,
			"consumerGroup", mqGroup, "topic", mqTopic, "queueId", strconv.Itoa(q), "commitOffset", strconv.FormatInt(off, 10))
		e.ok(resp, nil)
	}
	// The heartbeat created the retry topic; its route is how the tools
	// find the group's broker.
	waitFor(t, "the retry topic's route", func() bool { _, ok := e.route("%RETRY%" + mqGroup); return ok })
}

// with returns a copy of e whose helpers fail t (a subtest's).
func (e *mqEnv) with(t *testing.T) *mqEnv {
	c := *e
	c.t = t
	return &c
}

// runtimeInfo is GET_BROKER_RUNTIME_INFO (no header fields).
func (e *mqEnv) runtimeInfo(ser protocol.SerializeType) jKVTable {
	e.t.Helper()
	var kv jKVTable
	e.ok(javaCall(e.t, e.tool, e.br, ser, protocol.GetBrokerRuntimeInfo, nil), &kv)
	return kv
}

// consumeStats is examineConsumeStats(group): the retry topic's route,
// then GET_CONSUME_STATS with no topic field.
func (e *mqEnv) consumeStats(ser protocol.SerializeType) map[jMessageQueue]jOffsetWrapper {
	e.t.Helper()
	addr := e.master("%RETRY%" + mqGroup)
	resp := javaCall(e.t, e.tool, addr, ser, protocol.GetConsumeStats, nil, "consumerGroup", mqGroup)
	var cs jConsumeStats
	e.ok(resp, &cs)
	e.fields(resp.Body, "offsetTable", "consumeTps")
	return mqMap(e.t, cs.OffsetTable)
}

// consumerConnection is examineConsumerConnectionInfo(group).
func (e *mqEnv) consumerConnection() jConsumerConnection {
	e.t.Helper()
	resp := e.toolCall(e.master("%RETRY%"+mqGroup), protocol.GetConsumerConnectionList, nil, "consumerGroup", mqGroup)
	var cc jConsumerConnection
	e.ok(resp, &cc)
	e.fields(resp.Body, "connectionSet", "subscriptionTable", "consumeType", "messageModel", "consumeFromWhere")
	return cc
}

func TestMQAdminCommands(t *testing.T) {
	e := startMQAdminEnv(t)
	e.traffic()

	t.Run("clusterList", func(t *testing.T) {
		e := e.with(t)
		for _, ser := range []protocol.SerializeType{protocol.SerializeJSON, protocol.SerializeRocketMQ} {
			resp := javaCall(t, e.tool, e.ns, ser, protocol.GetBrokerClusterInfo, nil)
			var ci jClusterInfo
			e.ok(resp, &ci)
			e.fields(resp.Body, "brokerAddrTable", "clusterAddrTable")
			if !slices.Contains(ci.ClusterAddrTable[mqCluster], mqBroker) {
				t.Fatalf("clusterAddrTable: %v", ci.ClusterAddrTable)
			}
			bd := ci.BrokerAddrTable[mqBroker]
			if bd.Cluster != mqCluster || bd.BrokerName != mqBroker || bd.BrokerAddrs[0] != e.br {
				t.Fatalf("brokerAddrTable: %+v", ci.BrokerAddrTable)
			}
			kv := e.runtimeInfo(ser)
			tb := kv.Table
			for _, k := range []string{"putTps", "getTransferedTps"} {
				first, _, _ := strings.Cut(tb[k], " ")
				if _, err := strconv.ParseFloat(first, 64); err != nil {
					t.Errorf("%s = %q: clusterList parses its first field as a double: %v", k, tb[k], err)
				}
			}
			if tb["brokerVersionDesc"] != "V4_9_4" {
				t.Errorf("brokerVersionDesc = %q", tb["brokerVersionDesc"])
			}
			for _, k := range []string{"sendThreadPoolQueueSize", "pullThreadPoolQueueSize", "sendThreadPoolQueueHeadWaitTimeMills",
				"pullThreadPoolQueueHeadWaitTimeMills", "pageCacheLockTimeMills"} {
				if _, err := strconv.ParseInt(tb[k], 10, 64); err != nil {
					t.Errorf("%s = %q: %v", k, tb[k], err)
				}
			}
			if r, err := strconv.ParseFloat(tb["commitLogDiskRatio"], 64); err != nil || r < 0 || r > 1 {
				t.Errorf("commitLogDiskRatio = %q", tb["commitLogDiskRatio"])
			}
			// #Hour: (now - earliestMessageTimeStamp) / 1h.
			if ts, err := strconv.ParseInt(tb["earliestMessageTimeStamp"], 10, 64); err != nil || ts <= 0 || time.Since(time.UnixMilli(ts)) > time.Hour {
				t.Errorf("earliestMessageTimeStamp = %q", tb["earliestMessageTimeStamp"])
			}
			// clusterList -m: six longs, parsed without a check.
			for _, k := range []string{"msgPutTotalYesterdayMorning", "msgPutTotalTodayMorning", "msgPutTotalTodayNow",
				"msgGetTotalYesterdayMorning", "msgGetTotalTodayMorning", "msgGetTotalTodayNow"} {
				if _, err := strconv.ParseInt(tb[k], 10, 64); err != nil {
					t.Errorf("%s = %q: %v", k, tb[k], err)
				}
			}
			if n, _ := strconv.ParseInt(tb["msgPutTotalTodayNow"], 10, 64); n < 6 {
				t.Errorf("msgPutTotalTodayNow = %q after 6 sends", tb["msgPutTotalTodayNow"])
			}
		}
	})

	t.Run("brokerStatus", func(t *testing.T) {
		e := e.with(t)
		tb := e.runtimeInfo(protocol.SerializeJSON).Table
		// Every key 4.9.4's prepareRuntimeInfo and the store's runtime info
		// always write (the latency and distribution keys aside).
		for _, k := range []string{"brokerVersionDesc", "brokerVersion", "bootTimestamp", "runtime",
			"putMessageTimesTotal", "putMessageSizeTotal", "putMessageAverageSize", "putTps", "getFoundTps", "getMissTps",
			"getTotalTps", "getTransferedTps", "msgPutTotalYesterdayMorning", "msgPutTotalTodayMorning", "msgPutTotalTodayNow",
			"msgGetTotalYesterdayMorning", "msgGetTotalTodayMorning", "msgGetTotalTodayNow",
			"sendThreadPoolQueueSize", "sendThreadPoolQueueCapacity", "pullThreadPoolQueueSize", "pullThreadPoolQueueCapacity",
			"queryThreadPoolQueueSize", "queryThreadPoolQueueCapacity", "EndTransactionQueueSize",
			"EndTransactionThreadPoolQueueCapacity", "dispatchBehindBytes", "pageCacheLockTimeMills",
			"sendThreadPoolQueueHeadWaitTimeMills", "pullThreadPoolQueueHeadWaitTimeMills", "queryThreadPoolQueueHeadWaitTimeMills",
			"earliestMessageTimeStamp", "startAcceptSendRequestTimeStamp", "remainTransientStoreBufferNumbs",
			"remainHowManyDataToFlush", "commitLogDirCapacity", "commitLogDiskRatio", "consumeQueueDiskRatio",
			"commitLogMinOffset", "commitLogMaxOffset"} {
			if _, ok := tb[k]; !ok {
				t.Errorf("runtime info lacks %s", k)
			}
		}
		if tb["putMessageTimesTotal"] != "6" || tb["commitLogMinOffset"] != "0" || tb["sendThreadPoolQueueCapacity"] != "10000" {
			t.Errorf("runtime info: %v", tb)
		}
		if max, _ := strconv.ParseInt(tb["commitLogMaxOffset"], 10, 64); max <= e.phys[len(e.phys)-1] {
			t.Errorf("commitLogMaxOffset %s, last message at %d", tb["commitLogMaxOffset"], e.phys[len(e.phys)-1])
		}
		// The dashboard's collector sums getTotalTps's fields as BigDecimals.
		for _, f := range strings.Fields(tb["getTotalTps"]) {
			if _, err := strconv.ParseFloat(f, 64); err != nil {
				t.Errorf("getTotalTps %q: %v", tb["getTotalTps"], err)
			}
		}
		// remainHowManyDataToFlush is MixAll.humanReadableByteCount's "N B".
		if f := strings.Fields(tb["remainHowManyDataToFlush"]); len(f) != 2 || !strings.HasSuffix(f[1], "B") {
			t.Errorf("remainHowManyDataToFlush = %q", tb["remainHowManyDataToFlush"])
		}
	})

	t.Run("topicList", func(t *testing.T) {
		e := e.with(t)
		var tl jTopicList
		resp := e.toolCall(e.ns, protocol.GetAllTopicListFromNameserver, nil)
		e.ok(resp, &tl)
		e.fields(resp.Body, "topicList")
		for _, want := range []string{mqTopic, "%RETRY%" + mqGroup, "TBW102"} {
			if !slices.Contains(tl.TopicList, want) {
				t.Errorf("topicList lacks %s: %v", want, tl.TopicList)
			}
		}
		// topicList -c: the cluster of each topic and who consumes it.
		var ci jClusterInfo
		e.ok(e.toolCall(e.ns, protocol.GetBrokerClusterInfo, nil), &ci)
		rd, ok := e.route(mqTopic)
		if !ok || len(rd.BrokerDatas) == 0 || !slices.Contains(ci.ClusterAddrTable[mqCluster], rd.BrokerDatas[0].BrokerName) {
			t.Fatalf("route %+v, clusters %v", rd, ci.ClusterAddrTable)
		}
		var gl jGroupList
		resp = e.toolCall(e.master(mqTopic), protocol.QueryTopicConsumeByWho, nil, "topic", mqTopic)
		e.ok(resp, &gl)
		e.fields(resp.Body, "groupList")
		if !slices.Equal(gl.GroupList, []string{mqGroup}) {
			t.Errorf("groupList = %v", gl.GroupList)
		}
	})

	t.Run("topicRoute", func(t *testing.T) {
		e := e.with(t)
		resp := e.toolCall(e.ns, protocol.GetRouteInfoByTopic, nil, "topic", mqTopic)
		var rd jTopicRouteData
		e.ok(resp, &rd)
		e.fields(resp.Body, "queueDatas", "brokerDatas")
		if len(rd.QueueDatas) != 1 || len(rd.BrokerDatas) != 1 {
			t.Fatalf("route: %s", resp.Body)
		}
		qd, bd := rd.QueueDatas[0], rd.BrokerDatas[0]
		if qd.BrokerName != mqBroker || qd.ReadQueueNums != 4 || qd.WriteQueueNums != 4 || qd.Perm != 6 || qd.TopicSysFlag != 0 {
			t.Errorf("queue data: %+v", qd)
		}
		if bd.Cluster != mqCluster || bd.BrokerName != mqBroker || bd.BrokerAddrs[0] != e.br {
			t.Errorf("broker data: %+v", bd)
		}
	})

	t.Run("topicStatus", func(t *testing.T) {
		e := e.with(t)
		resp := e.toolCall(e.master(mqTopic), protocol.GetTopicStatsInfo, nil, "topic", mqTopic)
		var ts jTopicStatsTable
		e.ok(resp, &ts)
		e.fields(resp.Body, "offsetTable")
		table := mqMap(t, ts.OffsetTable)
		if len(table) != 4 {
			t.Fatalf("offsetTable has %d queues: %s", len(table), resp.Body)
		}
		for q := int32(0); q < 4; q++ {
			o, ok := table[jMessageQueue{Topic: mqTopic, BrokerName: mqBroker, QueueID: q}]
			want := int64(0)
			if q < 2 {
				want = 3
			}
			if !ok || o.MinOffset != 0 || o.MaxOffset != want || (want > 0) != (o.LastUpdateTimestamp > 0) {
				t.Errorf("queue %d: %+v", q, o)
			}
		}
	})

	t.Run("topicClusterList", func(t *testing.T) {
		e := e.with(t)
		var ci jClusterInfo
		e.ok(e.toolCall(e.ns, protocol.GetBrokerClusterInfo, nil), &ci)
		rd, _ := e.route(mqTopic)
		var clusters []string
		for c, names := range ci.ClusterAddrTable {
			if slices.Contains(names, rd.BrokerDatas[0].BrokerName) {
				clusters = append(clusters, c)
			}
		}
		if !slices.Equal(clusters, []string{mqCluster}) {
			t.Errorf("clusters of %s: %v", mqTopic, clusters)
		}
	})

	t.Run("consumerProgress", func(t *testing.T) {
		e := e.with(t)
		for _, ser := range []protocol.SerializeType{protocol.SerializeJSON, protocol.SerializeRocketMQ} {
			table := e.consumeStats(ser)
			if len(table) == 0 {
				t.Fatal("empty offsetTable: the tool reports the group not found")
			}
			var diff int64
			for mq, w := range table {
				if mq.Topic != mqTopic && mq.Topic != "%RETRY%"+mqGroup {
					t.Errorf("queue of a topic the group does not consume: %+v", mq)
				}
				diff += w.BrokerOffset - w.ConsumerOffset
			}
			q0 := table[jMessageQueue{Topic: mqTopic, BrokerName: mqBroker, QueueID: 0}]
			q1 := table[jMessageQueue{Topic: mqTopic, BrokerName: mqBroker, QueueID: 1}]
			if q0.BrokerOffset != 3 || q0.ConsumerOffset != 2 || q0.LastTimestamp <= 0 ||
				q1.BrokerOffset != 3 || q1.ConsumerOffset != 3 || q1.LastTimestamp <= 0 || diff != 1 {
				t.Errorf("queue 0 %+v, queue 1 %+v, diff total %d", q0, q1, diff)
			}
		}
		// Without -g: every %RETRY% topic of the name server's list.
		var tl jTopicList
		e.ok(e.toolCall(e.ns, protocol.GetAllTopicListFromNameserver, nil), &tl)
		var groups []string
		for _, topic := range tl.TopicList {
			if g, ok := strings.CutPrefix(topic, "%RETRY%"); ok {
				groups = append(groups, g)
			}
		}
		if !slices.Contains(groups, mqGroup) {
			t.Errorf("groups found from the topic list: %v", groups)
		}
	})

	t.Run("consumerConnection", func(t *testing.T) {
		e := e.with(t)
		cc := e.consumerConnection()
		if len(cc.ConnectionSet) != 1 {
			t.Fatalf("connectionSet: %+v", cc.ConnectionSet)
		}
		c := cc.ConnectionSet[0]
		if c.ClientID != mqClient || !strings.HasPrefix(c.ClientAddr, "127.0.0.1:") || c.Language != "JAVA" || c.Version != 401 {
			t.Errorf("connection: %+v", c)
		}
		sd := cc.SubscriptionTable[mqTopic]
		if sd.Topic != mqTopic || sd.SubString != "TagA || TagB" {
			t.Errorf("subscriptionTable: %+v", cc.SubscriptionTable)
		}
		if cc.ConsumeType != "CONSUME_PASSIVELY" || cc.MessageModel != "CLUSTERING" || cc.ConsumeFromWhere != "CONSUME_FROM_LAST_OFFSET" {
			t.Errorf("consumeType %q messageModel %q consumeFromWhere %q", cc.ConsumeType, cc.MessageModel, cc.ConsumeFromWhere)
		}
	})

	t.Run("producerConnection", func(t *testing.T) {
		e := e.with(t)
		resp := e.toolCall(e.master(mqTopic), protocol.GetProducerConnectionList, nil, "producerGroup", mqPGroup)
		var pc jProducerConnection
		e.ok(resp, &pc)
		e.fields(resp.Body, "connectionSet")
		if len(pc.ConnectionSet) != 1 || pc.ConnectionSet[0].ClientID != mqClient || pc.ConnectionSet[0].Language != "JAVA" {
			t.Errorf("connectionSet: %+v", pc.ConnectionSet)
		}
	})

	t.Run("queryMsgByKey", func(t *testing.T) {
		e := e.with(t)
		addr := e.master(mqTopic)
		query := func(key string) *protocol.Command {
			return e.toolCall(addr, protocol.QueryMessage, nil, "topic", mqTopic, "key", key, "maxNum", "64",
				"beginTimestamp", "0", "endTimestamp", "9223372036854775807", "_UNIQUE_KEY_QUERY", "false")
		}
		waitFor(t, "the index", func() bool { return query("mqkey-5").Code == int32(protocol.Success) })
		resp := query("shared")
		e.ok(resp, nil)
		if ts, err := strconv.ParseInt(resp.Ext.GetString("indexLastUpdateTimestamp"), 10, 64); err != nil || ts <= 0 {
			t.Errorf("indexLastUpdateTimestamp = %q", resp.Ext.GetString("indexLastUpdateTimestamp"))
		}
		recs := splitRecords(t, resp.Body)
		if len(recs) != 6 {
			t.Fatalf("%d messages with key shared, want 6", len(recs))
		}
		for _, r := range recs {
			// The tool keeps a message only if its KEYS hold the key and
			// its topic is the topic.
			if string(r.Topic()) != mqTopic || !slices.Contains(strings.Fields(string(r.Keys())), "shared") {
				t.Errorf("message topic %q keys %q", r.Topic(), r.Keys())
			}
			id := message.AppendOffsetID(nil, r.StoreHost(), r.PhysicalOffset())
			if !slices.Contains(e.ids, string(id)) || r.QueueID() > 1 || r.QueueOffset() > 2 {
				t.Errorf("message id %s queue %d offset %d", id, r.QueueID(), r.QueueOffset())
			}
		}
		resp = query("mqkey-3")
		e.ok(resp, nil)
		if recs := splitRecords(t, resp.Body); len(recs) != 1 || string(recs[0].Body()) != "hello 3" {
			t.Errorf("mqkey-3: %d messages", len(recs))
		}
		// The dashboard's and viewMessage(topic, msgId)'s fallback for a
		// client (UNIQ_KEY) id: queryMessageByUniqKey, maxNum 32, from the
		// id's time minus 1 s.
		uniq := fmt.Sprintf("7F00000100002A9F0000000000%06d", 4)
		resp = e.toolCall(addr, protocol.QueryMessage, nil, "topic", mqTopic, "key", uniq, "maxNum", "32",
			"beginTimestamp", strconv.FormatInt(time.Now().Add(-time.Hour).UnixMilli(), 10),
			"endTimestamp", "9223372036854775807", "_UNIQUE_KEY_QUERY", "true")
		e.ok(resp, nil)
		if recs := splitRecords(t, resp.Body); len(recs) != 1 || string(recs[0].Body()) != "hello 4" {
			t.Errorf("unique key %s: %d messages", uniq, len(recs))
		} else if v, _ := recs[0].Property(message.PropertyUniqKey); string(v) != uniq {
			t.Errorf("unique key query found UNIQ_KEY %q", v)
		}
	})

	t.Run("queryMsgById", func(t *testing.T) {
		e := e.with(t)
		id := e.ids[2] // queue 0, offset 1: consumed
		host, off, err := message.ParseOffsetID(id)
		if err != nil {
			t.Fatal(err)
		}
		addr := host.AddrPort().String()
		if addr != e.br {
			t.Fatalf("offset id %s names %s, broker is %s", id, addr, e.br)
		}
		resp := e.toolCall(addr, protocol.ViewMessageByID, nil, "offset", strconv.FormatInt(off, 10))
		e.ok(resp, nil)
		r := message.Record(resp.Body)
		if err := r.Check(); err != nil || int(r.TotalSize()) != len(resp.Body) {
			t.Fatalf("record: %v (size %d of %d)", err, r.TotalSize(), len(resp.Body))
		}
		if string(r.Topic()) != mqTopic || string(r.Tags()) != "TagA" || string(r.Keys()) != "mqkey-2 shared" ||
			r.QueueID() != 0 || r.QueueOffset() != 1 || r.PhysicalOffset() != off || string(r.Body()) != "hello 2" ||
			r.StoreTimestamp() <= 0 || r.BornTimestamp() <= 0 || r.StoreHost().AddrPort().String() != e.br {
			t.Errorf("record: topic %q tags %q keys %q queue %d/%d phys %d body %q", r.Topic(), r.Tags(), r.Keys(),
				r.QueueID(), r.QueueOffset(), r.PhysicalOffset(), r.Body())
		}
		// The message track: who consumes the topic, and whether each
		// group's offset of the message's queue is past it.
		var gl jGroupList
		e.ok(e.toolCall(e.master(mqTopic), protocol.QueryTopicConsumeByWho, nil, "topic", mqTopic), &gl)
		if !slices.Contains(gl.GroupList, mqGroup) {
			t.Fatalf("groupList %v", gl.GroupList)
		}
		if cc := e.consumerConnection(); cc.ConsumeType != "CONSUME_PASSIVELY" {
			t.Fatalf("consumeType %q", cc.ConsumeType)
		}
		var ci jClusterInfo
		e.ok(e.toolCall(e.ns, protocol.GetBrokerClusterInfo, nil), &ci)
		consumed := false
		for mq, w := range e.consumeStats(protocol.SerializeJSON) {
			if mq.Topic == mqTopic && mq.QueueID == r.QueueID() && ci.BrokerAddrTable[mq.BrokerName].BrokerAddrs[0] == r.StoreHost().AddrPort().String() {
				consumed = w.ConsumerOffset > r.QueueOffset()
			}
		}
		if !consumed {
			t.Error("the track does not show the message consumed")
		}
	})

	t.Run("consumerStatus/consumerProgress -s", func(t *testing.T) {
		e := e.with(t)
		// getConsumerRunningInfo(group, clientId, jstack=false) for each
		// connection consumerConnection lists.
		cc := e.consumerConnection()
		resp := e.toolCall(e.master("%RETRY%"+mqGroup), protocol.GetConsumerRunningInfo, nil,
			"consumerGroup", mqGroup, "clientId", cc.ConnectionSet[0].ClientID, "jstackEnable", "false")
		r := e.nextRelayed()
		if r.code != protocol.GetConsumerRunningInfo || r.ext["consumerGroup"] != mqGroup || r.ext["clientId"] != mqClient || r.ext["jstackEnable"] != "false" {
			t.Errorf("relayed %d %v", r.code, r.ext)
		}
		var info struct {
			MQTable    map[string]struct{ CommitOffset int64 } `json:"mqTable"`
			Properties map[string]string                       `json:"properties"`
		}
		e.ok(resp, &info)
		mqs := mqMap(t, info.MQTable)
		if mqs[jMessageQueue{Topic: mqTopic, BrokerName: mqBroker, QueueID: 0}].CommitOffset != 2 || info.Properties["PROP_CONSUME_TYPE"] != "CONSUME_PASSIVELY" {
			t.Errorf("running info: %s", resp.Body)
		}
		resp = e.toolCall(e.br, protocol.GetConsumerRunningInfo, nil, "consumerGroup", mqGroup, "clientId", "nobody", "jstackEnable", "false")
		if resp.Code != int32(protocol.SystemError) || string(resp.Remark) != "The Consumer <"+mqGroup+"> <nobody> not online" {
			t.Errorf("unknown client: code %d remark %q", resp.Code, resp.Remark)
		}
	})

	t.Run("queryMsgById -g -d", func(t *testing.T) {
		e := e.with(t)
		id := e.ids[3]
		host, off, _ := message.ParseOffsetID(id)
		resp := e.toolCall(host.AddrPort().String(), protocol.ConsumeMessageDirectly, nil,
			"consumerGroup", mqGroup, "clientId", mqClient, "msgId", id)
		r := e.nextRelayed()
		if r.code != protocol.ConsumeMessageDirectly || r.ext["msgId"] != id || r.ext["brokerName"] != mqBroker || r.ext["clientId"] != mqClient {
			t.Errorf("relayed %d %v", r.code, r.ext)
		}
		if rec := message.Record(r.body); rec.Check() != nil || rec.PhysicalOffset() != off || string(rec.Body()) != "hello 3" {
			t.Errorf("relayed body is not the stored message at %d", off)
		}
		var res struct {
			ConsumeResult string `json:"consumeResult"`
			AutoCommit    bool   `json:"autoCommit"`
		}
		e.ok(resp, &res)
		if res.ConsumeResult != "CR_SUCCESS" || !res.AutoCommit {
			t.Errorf("result: %s", resp.Body)
		}
		resp = e.toolCall(e.br, protocol.ConsumeMessageDirectly, nil, "consumerGroup", mqGroup, "clientId", mqClient, "msgId", "nonsense")
		if resp.Code != int32(protocol.SystemError) {
			t.Errorf("bad msgId: code %d remark %q", resp.Code, resp.Remark)
		}
	})

	t.Run("dashboard topic and consumer pages", func(t *testing.T) {
		e := e.with(t)
		// examineTopicConfig: GET_ALL_TOPIC_CONFIG (21), topicConfigTable[topic].
		resp := e.toolCall(e.br, protocol.GetAllTopicConfig, nil)
		var tw struct {
			TopicConfigTable map[string]struct {
				TopicName       string `json:"topicName"`
				ReadQueueNums   int32  `json:"readQueueNums"`
				WriteQueueNums  int32  `json:"writeQueueNums"`
				Perm            int32  `json:"perm"`
				TopicFilterType string `json:"topicFilterType"`
				Order           bool   `json:"order"`
			} `json:"topicConfigTable"`
		}
		e.ok(resp, &tw)
		e.fields(resp.Body, "topicConfigTable", "dataVersion")
		if tc := tw.TopicConfigTable[mqTopic]; tc.TopicName != mqTopic || tc.ReadQueueNums != 4 || tc.Perm != 6 || tc.TopicFilterType != "SINGLE_TAG" {
			t.Errorf("topic config: %+v", tc)
		}
		// The consumer page's group config: GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201).
		var w jSubscriptionGroupWrapper
		e.ok(e.toolCall(e.br, protocol.GetAllSubscriptionGroupConfig, nil), &w)
		if g := w.SubscriptionGroupTable[mqGroup]; g.GroupName != mqGroup || !g.ConsumeEnable || g.RetryMaxTimes != 16 {
			t.Errorf("group config: %+v", g)
		}
	})

	t.Run("getBrokerConfig", func(t *testing.T) {
		e := e.with(t)
		resp := e.toolCall(e.br, protocol.GetBrokerConfig, nil)
		e.ok(resp, nil)
		props := map[string]string{}
		for _, line := range strings.Split(string(resp.Body), "\n") {
			if k, v, ok := strings.Cut(line, "="); ok {
				props[k] = v
			}
		}
		if props["brokerName"] != mqBroker || props["brokerClusterName"] != mqCluster || props["namesrvAddr"] != e.ns {
			t.Errorf("config: brokerName %q brokerClusterName %q namesrvAddr %q", props["brokerName"], props["brokerClusterName"], props["namesrvAddr"])
		}
	})

	t.Run("updateSubGroup/deleteSubGroup", func(t *testing.T) {
		e := e.with(t)
		body := `{"brokerId":0,"consumeBroadcastEnable":false,"consumeEnable":true,"consumeFromMinEnable":false,"groupName":"MQAdminSubGroup","notifyConsumerIdsChangedEnable":true,"retryMaxTimes":5,"retryQueueNums":1,"whichBrokerWhenConsumeSlowly":1}`
		e.ok(e.toolCall(e.br, protocol.UpdateAndCreateSubscriptionGroup, []byte(body)), nil)
		var w jSubscriptionGroupWrapper
		e.ok(e.toolCall(e.br, protocol.GetAllSubscriptionGroupConfig, nil), &w)
		if g := w.SubscriptionGroupTable["MQAdminSubGroup"]; g.RetryMaxTimes != 5 || !g.ConsumeEnable {
			t.Fatalf("group after updateSubGroup: %+v", g)
		}
		e.ok(e.toolCall(e.br, protocol.DeleteSubscriptionGroup, nil, "groupName", "MQAdminSubGroup", "removeOffset", "false"), nil)
		// deleteSubGroup -c also deletes the group's retry and DLQ topics,
		// which need not exist.
		for _, topic := range []string{"%RETRY%MQAdminSubGroup", "%DLQ%MQAdminSubGroup"} {
			e.ok(e.toolCall(e.br, protocol.DeleteTopicInBroker, nil, "topic", topic), nil)
			e.ok(e.toolCall(e.ns, protocol.DeleteTopicInNamesrv, nil, "topic", topic, "clusterName", mqCluster), nil)
		}
		w = jSubscriptionGroupWrapper{}
		e.ok(e.toolCall(e.br, protocol.GetAllSubscriptionGroupConfig, nil), &w)
		if _, ok := w.SubscriptionGroupTable["MQAdminSubGroup"]; ok {
			t.Fatal("group still there after deleteSubGroup")
		}
	})

	t.Run("updateTopic/deleteTopic", func(t *testing.T) {
		e := e.with(t)
		const topic = "MQAdminOrdered"
		// updateTopic -b addr -t MQAdminOrdered -o true
		e.ok(e.toolCall(e.br, protocol.UpdateAndCreateTopic, nil,
			"topic", topic, "defaultTopic", "TBW102", "readQueueNums", "8", "writeQueueNums", "8",
			"perm", "6", "topicFilterType", "SINGLE_TAG", "topicSysFlag", "0", "order", "true"), nil)
		var ci jClusterInfo
		e.ok(e.toolCall(e.ns, protocol.GetBrokerClusterInfo, nil), &ci) // fetchBrokerNameByAddr
		if resp := e.toolCall(e.ns, protocol.GetKVConfig, nil, "namespace", "ORDER_TOPIC_CONFIG", "key", topic); resp.Code != int32(protocol.QueryNotFound) {
			t.Errorf("GET_KV_CONFIG of a new order conf: code %d", resp.Code)
		}
		e.ok(e.toolCall(e.ns, protocol.PutKVConfig, nil, "namespace", "ORDER_TOPIC_CONFIG", "key", topic, "value", mqBroker+":8"), nil)
		waitFor(t, "the new topic's route", func() bool {
			rd, ok := e.route(topic)
			return ok && len(rd.QueueDatas) == 1 && rd.QueueDatas[0].WriteQueueNums == 8
		})

		// deleteTopic -c MQAdminCluster -t MQAdminOrdered
		e.ok(e.toolCall(e.ns, protocol.GetBrokerClusterInfo, nil), &ci)
		for _, addr := range ci.BrokerAddrTable[mqBroker].BrokerAddrs {
			e.ok(e.toolCall(addr, protocol.DeleteTopicInBroker, nil, "topic", topic), nil)
		}
		e.ok(e.toolCall(e.ns, protocol.DeleteTopicInNamesrv, nil, "topic", topic, "clusterName", mqCluster), nil)
		if _, ok := e.route(topic); ok {
			t.Error("route still there after deleteTopic")
		}
		var tl jTopicList
		e.ok(e.toolCall(e.ns, protocol.GetAllTopicListFromNameserver, nil), &tl)
		if slices.Contains(tl.TopicList, topic) {
			t.Error("topic still listed after deleteTopic")
		}
	})
}
