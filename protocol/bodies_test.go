package protocol

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// heartbeatSample is spec section 2.4's client-go heartbeat, verbatim.
const heartbeatSample = `{"clientID":"10.0.0.1@1234",
 "producerDataSet":[{"groupName":"PG"}],
 "consumerDataSet":[{"groupName":"CG","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING",
   "consumeFromWhere":"CONSUME_FROM_LAST_OFFSET",
   "subscriptionDataSet":[
     {"classFilterMode":false,"topic":"TopicA","subString":"tagA || tagB","tagsSet":["tagA","tagB"],
      "codeSet":["3552231","3552232"],"subVersion":1650000000000000000,"expressionType":"TAG"},
     {"classFilterMode":false,"topic":"%RETRY%CG","subString":"*","tagsSet":[],"codeSet":[],
      "subVersion":1650000000000000001,"expressionType":"TAG"}],
   "unitMode":false}]}`

var heartbeatWant = HeartbeatData{
	ClientID:        "10.0.0.1@1234",
	ProducerDataSet: []ProducerData{{GroupName: "PG"}},
	ConsumerDataSet: []ConsumerData{{
		GroupName:        "CG",
		ConsumeType:      ConsumePassively,
		MessageModel:     MessageModelClustering,
		ConsumeFromWhere: ConsumeFromLastOffset,
		SubscriptionDataSet: []SubscriptionData{
			{Topic: "TopicA", SubString: "tagA || tagB", TagsSet: []string{"tagA", "tagB"},
				CodeSet: CodeSet{3552231, 3552232}, SubVersion: 1650000000000000000, ExpressionType: ExpressionTag},
			{Topic: "%RETRY%CG", SubString: SubAll, TagsSet: []string{}, CodeSet: CodeSet{},
				SubVersion: 1650000000000000001, ExpressionType: ExpressionTag},
		},
	}},
}

func TestHeartbeatGolden(t *testing.T) {
	var got HeartbeatData
	if err := UnmarshalBody([]byte(heartbeatSample), &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, heartbeatWant) {
		t.Fatalf("decoded\n %+v\nwant\n %+v", got, heartbeatWant)
	}
	enc, err := MarshalBody(got)
	if err != nil {
		t.Fatal(err)
	}
	const wantEnc = `{"clientID":"10.0.0.1@1234","producerDataSet":[{"groupName":"PG"}],"consumerDataSet":[{"groupName":"CG",` +
		`"consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING","consumeFromWhere":"CONSUME_FROM_LAST_OFFSET",` +
		`"subscriptionDataSet":[{"classFilterMode":false,"topic":"TopicA","subString":"tagA || tagB","tagsSet":["tagA","tagB"],` +
		`"codeSet":[3552231,3552232],"subVersion":1650000000000000000,"expressionType":"TAG"},{"classFilterMode":false,` +
		`"topic":"%RETRY%CG","subString":"*","tagsSet":[],"codeSet":[],"subVersion":1650000000000000001,"expressionType":"TAG"}],` +
		`"unitMode":false}]}`
	if string(enc) != wantEnc {
		t.Errorf("encoded\n %s\nwant\n %s", enc, wantEnc)
	}
	var again HeartbeatData
	if err := UnmarshalBody(enc, &again); err != nil || !reflect.DeepEqual(again, heartbeatWant) {
		t.Errorf("re-decode: %v\n %+v", err, again)
	}
}

func TestHeartbeatJavaForm(t *testing.T) {
	// Java: numeric codes, filterClassSource, 5.x extras, a null set.
	const java = `{"clientID":"192.168.0.2@9527#1","consumerDataSet":[{"consumeFromWhere":"CONSUME_FROM_FIRST_OFFSET",
	"consumeType":"CONSUME_ACTIVELY","groupName":"G","messageModel":"BROADCASTING","subscriptionDataSet":[{"classFilterMode":false,
	"codeSet":[-1,2147483647],"expressionType":"SQL92","filterClassSource":"src","subString":"a > 1","subVersion":1650000000000,
	"tagsSet":null,"topic":"T"}],"unitMode":true}],"heartbeatFingerprint":42,"isWithoutSub":false,"producerDataSet":null}`
	var got HeartbeatData
	if err := UnmarshalBody([]byte(java), &got); err != nil {
		t.Fatal(err)
	}
	want := HeartbeatData{ClientID: "192.168.0.2@9527#1", ConsumerDataSet: []ConsumerData{{
		GroupName: "G", ConsumeType: ConsumeActively, MessageModel: MessageModelBroadcasting,
		ConsumeFromWhere: ConsumeFromFirstOffset, UnitMode: true,
		SubscriptionDataSet: []SubscriptionData{{Topic: "T", SubString: "a > 1", CodeSet: CodeSet{-1, 2147483647},
			SubVersion: 1650000000000, ExpressionType: ExpressionSQL92, FilterClassSource: "src"}},
	}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded\n %+v\nwant\n %+v", got, want)
	}
	for _, bad := range []string{`["x"]`, `[2147483648]`, `[1.5]`, `[true]`} {
		var c CodeSet
		if err := json.Unmarshal([]byte(bad), &c); err == nil {
			t.Errorf("codeSet %s accepted: %v", bad, c)
		}
	}
}

// clientGoRoute reproduces client-go v2.1.2's TopicRouteData.decode
// (internal/route.go): queueDatas is taken out and decoded strictly (it
// must exist); each brokerAddrs is read as raw text, stripped of its outer
// braces, split on ',' and then at the first ':', with '"' removed from both
// sides. A missing brokerAddrs panics in client-go; here it fails the test.
func clientGoRoute(t *testing.T, data []byte) ([]QueueData, []BrokerData) {
	t.Helper()
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		t.Fatalf("route is not JSON: %v", err)
	}
	qraw, ok := top["queueDatas"]
	if !ok {
		t.Fatal("client-go: queueDatas missing, decode fails")
	}
	var qds []struct {
		BrokerName     string `json:"brokerName"`
		ReadQueueNums  int    `json:"readQueueNums"`
		WriteQueueNums int    `json:"writeQueueNums"`
		Perm           int    `json:"perm"`
		TopicSynFlag   int    `json:"topicSynFlag"`
	}
	if err := json.Unmarshal(qraw, &qds); err != nil || qds == nil {
		t.Fatalf("client-go: queueDatas %s: %v", qraw, err)
	}
	var queues []QueueData
	for _, q := range qds {
		queues = append(queues, QueueData{BrokerName: q.BrokerName, Perm: int32(q.Perm),
			ReadQueueNums: int32(q.ReadQueueNums), WriteQueueNums: int32(q.WriteQueueNums)})
	}
	var bds []map[string]json.RawMessage
	if err := json.Unmarshal(top["brokerDatas"], &bds); err != nil {
		t.Fatalf("client-go: brokerDatas: %v", err)
	}
	var brokers []BrokerData
	for _, bd := range bds {
		var b BrokerData
		_ = json.Unmarshal(bd["brokerName"], &b.BrokerName)
		_ = json.Unmarshal(bd["cluster"], &b.Cluster)
		addrs := string(bd["brokerAddrs"])
		if len(addrs) < 2 {
			t.Fatal("client-go: brokerAddrs missing, client panics")
		}
		b.BrokerAddrs = map[int64]string{}
		for _, part := range strings.Split(addrs[1:len(addrs)-1], ",") {
			i := strings.Index(part, ":")
			if i < 0 {
				continue
			}
			id, _ := strconv.ParseInt(strings.ReplaceAll(part[:i], `"`, ""), 10, 64)
			b.BrokerAddrs[id] = strings.ReplaceAll(part[i+1:], `"`, "")
		}
		brokers = append(brokers, b)
	}
	return queues, brokers
}

func TestTopicRouteEncode(t *testing.T) {
	route := TopicRouteData{
		QueueDatas: []QueueData{
			{BrokerName: "broker-a", Perm: 6, ReadQueueNums: 4, WriteQueueNums: 4},
			{BrokerName: "broker-b", Perm: 4, ReadQueueNums: 8, WriteQueueNums: 2, TopicSysFlag: 1},
		},
		BrokerDatas: []BrokerData{
			{Cluster: "DefaultCluster", BrokerName: "broker-a", BrokerAddrs: map[int64]string{0: "192.168.1.10:10911", 1: "192.168.1.11:10911"}},
			{Cluster: "DefaultCluster", BrokerName: "broker-b", BrokerAddrs: map[int64]string{0: "192.168.1.12:10911"}},
		},
	}
	enc, err := MarshalBody(route)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"brokerDatas":[{"brokerAddrs":{"0":"192.168.1.10:10911","1":"192.168.1.11:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"},` +
		`{"brokerAddrs":{"0":"192.168.1.12:10911"},"brokerName":"broker-b","cluster":"DefaultCluster"}],"filterServerTable":{},` +
		`"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4},` +
		`{"brokerName":"broker-b","perm":4,"readQueueNums":8,"topicSysFlag":1,"writeQueueNums":2}]}`
	if string(enc) != want {
		t.Fatalf("encoded\n %s\nwant\n %s", enc, want)
	}
	if bytes.ContainsAny(enc, " \t\r\n") {
		t.Fatalf("route JSON is not compact: %s", enc)
	}
	queues, brokers := clientGoRoute(t, enc)
	wantQueues := []QueueData{route.QueueDatas[0], route.QueueDatas[1]}
	wantQueues[1].TopicSysFlag = 0 // client-go reads topicSynFlag only
	if !reflect.DeepEqual(queues, wantQueues) || !reflect.DeepEqual(brokers, route.BrokerDatas) {
		t.Fatalf("client-go view:\n %+v\n %+v", queues, brokers)
	}
	var back TopicRouteData
	if err := UnmarshalBody(enc, &back); err != nil {
		t.Fatal(err)
	}
	route.FilterServerTable = map[string][]string{}
	if !reflect.DeepEqual(back, route) {
		t.Fatalf("round trip\n %+v\nwant\n %+v", back, route)
	}

	// Empty lists and maps are written, never null or absent.
	empty, err := MarshalBody(TopicRouteData{BrokerDatas: []BrokerData{{BrokerName: "b", Cluster: "c"}}})
	if err != nil {
		t.Fatal(err)
	}
	const wantEmpty = `{"brokerDatas":[{"brokerAddrs":{},"brokerName":"b","cluster":"c"}],"filterServerTable":{},"queueDatas":[]}`
	if string(empty) != wantEmpty {
		t.Fatalf("empty route %s", empty)
	}
	if q, b := clientGoRoute(t, empty); len(q) != 0 || len(b) != 1 || len(b[0].BrokerAddrs) != 0 {
		t.Fatalf("client-go view of empty route: %+v %+v", q, b)
	}

	withConf, _ := MarshalBody(TopicRouteData{OrderTopicConf: "broker-a:4"})
	if !bytes.Contains(withConf, []byte(`"filterServerTable":{},"orderTopicConf":"broker-a:4","queueDatas":[]`)) {
		t.Errorf("orderTopicConf: %s", withConf)
	}
}

func TestTopicRouteDecodeFastJSON(t *testing.T) {
	// Java namesrv (fastjson) with bare keys, whitespace and the old flag name.
	const java = `{"brokerDatas":[{"brokerAddrs":{0:"192.168.1.10:10911", 1 : "192.168.1.11:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}],
	"filterServerTable":{},"orderTopicConf":"x",
	"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSynFlag":3,"writeQueueNums":4}],
	"topicQueueMappingByBroker":{"broker-a":{}}}`
	var got TopicRouteData
	if err := UnmarshalBody([]byte(java), &got); err != nil {
		t.Fatal(err)
	}
	want := TopicRouteData{
		OrderTopicConf:    "x",
		QueueDatas:        []QueueData{{BrokerName: "broker-a", Perm: 6, ReadQueueNums: 4, TopicSysFlag: 3, WriteQueueNums: 4}},
		BrokerDatas:       []BrokerData{{Cluster: "DefaultCluster", BrokerName: "broker-a", BrokerAddrs: map[int64]string{0: "192.168.1.10:10911", 1: "192.168.1.11:10911"}}},
		FilterServerTable: map[string][]string{},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded\n %+v\nwant\n %+v", got, want)
	}
	if got.BrokerDatas[0].MasterAddr() != "192.168.1.10:10911" {
		t.Error("MasterAddr")
	}
}

func TestNormalizeFastJSON(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"a":1}`, `{"a":1}`},
		{`{0:"x",-1:"y"}`, `{"0":"x","-1":"y"}`},
		{`{"s":"{0:\"q\"}","m":{ 12 :[{3:4}]}}`, `{"s":"{0:\"q\"}","m":{ "12" :[{"3":4}]}}`},
		{`{{"brokerName":"b","queueId":0,"topic":"T"}:100,{"brokerName":"b", "queueId":1,"topic":"T\"}:"}:7}`,
			`{"{\"brokerName\":\"b\",\"queueId\":0,\"topic\":\"T\"}":100,"{\"brokerName\":\"b\",\"queueId\":1,\"topic\":\"T\\\"}:\"}":7}`},
		{`[{},{1:{}}]`, `[{},{"1":{}}]`},
		{`{}`, `{}`},
		{`"{0:1}"`, `"{0:1}"`},
	}
	for _, tt := range tests {
		got, err := normalizeFastJSON([]byte(tt.in))
		if err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		if string(got) != tt.want {
			t.Errorf("normalize(%s)\n got %s\nwant %s", tt.in, got, tt.want)
		}
		if !json.Valid(got) {
			t.Errorf("normalize(%s) is not valid JSON: %s", tt.in, got)
		}
	}
	for _, bad := range []string{`{"a`, `{{"a":1`, `}`, `{:1}`, `{{{{{1:2}:3}:4}:5}:6}`} {
		if got, err := normalizeFastJSON([]byte(bad)); err == nil && json.Valid(got) {
			t.Errorf("normalize(%s) = %s, want an error or invalid JSON", bad, got)
		}
	}
	valid := []byte(`{"a":[1,2,{"b":"c"}]}`)
	if got, _ := normalizeFastJSON(valid); &got[0] != &valid[0] {
		t.Error("valid JSON was copied")
	}
}

// registerSample is spec section 3.1's plain REGISTER_BROKER body.
const registerSample = `{"filterServerList":[],
 "topicConfigSerializeWrapper":{
   "dataVersion":{"counter":3,"timestamp":1650000000000},
   "topicConfigTable":{
     "TopicTest":{"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG","topicName":"TopicTest","topicSysFlag":0,"writeQueueNums":4},
     "TBW102":{"order":false,"perm":7,"readQueueNums":8,"topicFilterType":"SINGLE_TAG","topicName":"TBW102","topicSysFlag":0,"writeQueueNums":8}}}}`

var registerWant = RegisterBrokerBody{
	FilterServerList: []string{},
	TopicConfigSerializeWrapper: TopicConfigSerializeWrapper{
		DataVersion: DataVersion{Counter: 3, Timestamp: 1650000000000},
		TopicConfigTable: map[string]TopicConfig{
			"TopicTest": {TopicName: "TopicTest", ReadQueueNums: 4, WriteQueueNums: 4, Perm: 6, TopicFilterType: TopicFilterSingleTag},
			"TBW102":    {TopicName: "TBW102", ReadQueueNums: 8, WriteQueueNums: 8, Perm: 7, TopicFilterType: TopicFilterSingleTag},
		},
	},
}

func TestRegisterBrokerBodyPlain(t *testing.T) {
	got, err := DecodeRegisterBrokerBody([]byte(registerSample), false)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*got, registerWant) {
		t.Fatalf("decoded\n %+v\nwant\n %+v", *got, registerWant)
	}
	enc, err := EncodeRegisterBrokerBody(got, false)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":3,"timestamp":1650000000000},"topicConfigTable":{` +
		`"TBW102":{"topicName":"TBW102","readQueueNums":8,"writeQueueNums":8,"perm":7,"topicFilterType":"SINGLE_TAG","topicSysFlag":0,"order":false},` +
		`"TopicTest":{"topicName":"TopicTest","readQueueNums":4,"writeQueueNums":4,"perm":6,"topicFilterType":"SINGLE_TAG","topicSysFlag":0,"order":false}}}}`
	if string(enc) != want {
		t.Errorf("encoded\n %s\nwant\n %s", enc, want)
	}
	empty, _ := EncodeRegisterBrokerBody(&RegisterBrokerBody{}, false)
	if string(empty) != `{"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":0,"timestamp":0},"topicConfigTable":{}}}` {
		t.Errorf("empty body %s", empty)
	}

	// 5.x extras are ignored; absent topic fields take Java's defaults.
	const v5 = `{"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":1,"stateVersion":0,"timestamp":2},
	"topicConfigTable":{"T":{"attributes":{},"topicName":"T","perm":6}},"topicQueueMappingInfoMap":{}}}`
	got, err = DecodeRegisterBrokerBody([]byte(v5), false)
	if err != nil {
		t.Fatal(err)
	}
	if tc := got.TopicConfigSerializeWrapper.TopicConfigTable["T"]; tc != NewTopicConfig("T") {
		t.Errorf("defaults: %+v", tc)
	}
}

// javaCompressed builds a compressed register body as Java's
// RegisterBrokerBody.encode(true) writes it, independently of the encoder.
func javaCompressed(t *testing.T, dataVersion string, records []string, filters string) []byte {
	t.Helper()
	var raw bytes.Buffer
	block := func(s string) {
		_ = binary.Write(&raw, binary.BigEndian, int32(len(s)))
		raw.WriteString(s)
	}
	block(dataVersion)
	_ = binary.Write(&raw, binary.BigEndian, int32(len(records)))
	for _, r := range records {
		block(r)
	}
	block(filters)
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	zw.Write(raw.Bytes())
	zw.Close()
	return z.Bytes()
}

func TestRegisterBrokerBodyCompressed(t *testing.T) {
	body := javaCompressed(t, `{"counter":3,"timestamp":1650000000000}`,
		[]string{"TopicTest 4 4 6 SINGLE_TAG", "TBW102 8 8 7 SINGLE_TAG"}, `[]`)
	got, err := DecodeRegisterBrokerBody(body, true)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*got, registerWant) {
		t.Fatalf("decoded\n %+v\nwant\n %+v", *got, registerWant)
	}

	// Our encoder's output decodes back, and matches Java's layout byte for
	// byte once inflated (records in name order).
	enc, err := EncodeRegisterBrokerBody(&registerWant, true)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeRegisterBrokerBody(enc, true)
	if err != nil || !reflect.DeepEqual(*back, registerWant) {
		t.Fatalf("round trip: %v\n %+v", err, back)
	}
	inflate := func(b []byte) []byte {
		zr, err := zlib.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		out.ReadFrom(zr)
		return out.Bytes()
	}
	javaOrder := javaCompressed(t, `{"counter":3,"timestamp":1650000000000}`,
		[]string{"TBW102 8 8 7 SINGLE_TAG", "TopicTest 4 4 6 SINGLE_TAG"}, `[]`)
	if !bytes.Equal(inflate(enc), inflate(javaOrder)) {
		t.Errorf("inflated layout differs from Java's")
	}

	// topicSysFlag and order do not survive the compressed form.
	lossy := RegisterBrokerBody{TopicConfigSerializeWrapper: TopicConfigSerializeWrapper{
		TopicConfigTable: map[string]TopicConfig{"O": {TopicName: "O", ReadQueueNums: 1, WriteQueueNums: 1, Perm: 6,
			TopicFilterType: TopicFilterSingleTag, TopicSysFlag: 1, Order: true}}}}
	enc, _ = EncodeRegisterBrokerBody(&lossy, true)
	back, err = DecodeRegisterBrokerBody(enc, true)
	if err != nil {
		t.Fatal(err)
	}
	if tc := back.TopicConfigSerializeWrapper.TopicConfigTable["O"]; tc.TopicSysFlag != 0 || tc.Order {
		t.Errorf("compressed form kept %+v", tc)
	}
}

func TestRegisterBrokerBodyCompressedErrors(t *testing.T) {
	dv := `{"counter":1,"timestamp":2}`
	cases := map[string][]byte{
		"not zlib":       []byte("{}"),
		"bad record":     javaCompressed(t, dv, []string{"T 4 4 6"}, `[]`),
		"bad number":     javaCompressed(t, dv, []string{"T 4 x 6 SINGLE_TAG"}, `[]`),
		"bad filterType": javaCompressed(t, dv, []string{"T 4 4 6 NONE"}, `[]`),
		"bad version":    javaCompressed(t, `{"counter":`, nil, `[]`),
		"bad filters":    javaCompressed(t, dv, nil, `[`),
	}
	// Truncated stream: drop the filter list.
	var raw bytes.Buffer
	binary.Write(&raw, binary.BigEndian, int32(len(dv)))
	raw.WriteString(dv)
	binary.Write(&raw, binary.BigEndian, int32(0))
	cases["truncated"] = zlibOf(raw.Bytes())
	// A length claiming more than the inflate limit is refused before
	// allocating.
	raw.Reset()
	binary.Write(&raw, binary.BigEndian, int32(MaxRegisterBodyInflated+1))
	cases["huge length"] = zlibOf(raw.Bytes())
	raw.Reset()
	binary.Write(&raw, binary.BigEndian, int32(-5))
	cases["negative length"] = zlibOf(raw.Bytes())
	raw.Reset()
	binary.Write(&raw, binary.BigEndian, int32(len(dv)))
	raw.WriteString(dv)
	binary.Write(&raw, binary.BigEndian, int32(1<<30))
	cases["huge count"] = zlibOf(raw.Bytes())

	for name, body := range cases {
		if _, err := DecodeRegisterBrokerBody(body, true); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestRegisterBrokerBodyZipBomb inflates past the limit with one topic
// record whose length is within the limit: the read stops at the limit.
// It uses a 1 MiB limit; the real one is MaxRegisterBodyInflated.
func TestRegisterBrokerBodyZipBomb(t *testing.T) {
	const limit = 1 << 20
	dv := `{"counter":1,"timestamp":2}`
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	var hdr []byte
	hdr = binary.BigEndian.AppendUint32(hdr, uint32(len(dv)))
	hdr = append(hdr, dv...)
	hdr = binary.BigEndian.AppendUint32(hdr, 2)
	recLen := limit - 100
	hdr = binary.BigEndian.AppendUint32(hdr, uint32(recLen))
	zw.Write(hdr)
	zw.Write(make([]byte, recLen))
	zw.Write(binary.BigEndian.AppendUint32(nil, 1000)) // next record: past the limit
	zw.Write(make([]byte, 1000))
	zw.Close()
	if z.Len() > 16<<10 {
		t.Fatalf("bomb is %d bytes", z.Len())
	}
	if _, err := decodeRegisterBrokerBody(z.Bytes(), true, limit); err == nil {
		t.Fatal("zip bomb accepted")
	}
	// The same stream is fine under the real limit (the record is not a
	// valid topic, so it fails on parsing instead).
	_, err := DecodeRegisterBrokerBody(z.Bytes(), true)
	if err == nil || !strings.Contains(err.Error(), "does not have 5 fields") {
		t.Fatalf("under the real limit: %v", err)
	}
}

func zlibOf(b []byte) []byte {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(b)
	zw.Close()
	return z.Bytes()
}

func TestBodyCRC32(t *testing.T) {
	// java.util.zip.CRC32 of "hello" is 0x3610a686; the mask keeps 31 bits.
	if got := BodyCRC32([]byte("hello")); got != 0x3610a686 {
		t.Errorf("BodyCRC32(hello) = %#x", got)
	}
	// "The quick brown fox jumps over the lazy dog": 0x414fa339.
	if got := BodyCRC32([]byte("The quick brown fox jumps over the lazy dog")); got != 0x414fa339 {
		t.Errorf("BodyCRC32(fox) = %#x", got)
	}
	// A CRC with the top bit set is masked: crc32("a") = 0xe8b7be43.
	if got := BodyCRC32([]byte("a")); got != 0x68b7be43 {
		t.Errorf("BodyCRC32(a) = %#x", got)
	}
	if BodyCRC32(nil) != 0 || !CheckBodyCRC32([]byte("x"), 0) || CheckBodyCRC32([]byte("a"), 1) || !CheckBodyCRC32([]byte("a"), 0x68b7be43) {
		t.Error("CheckBodyCRC32")
	}
}

// clientGoResetOffsets reproduces client-go v2.1.2's parseFastJsonFormat
// (internal/model.go), used when the body is not valid JSON: take the
// offsetTable text, drop "{{" and the last "}", split on ",{", split each
// part on "}:", re-add the braces and parse the queue, Atoi the offset.
func clientGoResetOffsets(t *testing.T, body string) map[MessageQueue]int64 {
	t.Helper()
	if json.Valid([]byte(body)) {
		t.Fatal("client-go would take the gson path for valid JSON")
	}
	const key = `"offsetTable":`
	i := strings.Index(body, key)
	if i < 0 || !strings.HasSuffix(body, "}") {
		t.Fatalf("no offsetTable in %s", body)
	}
	offsetStr := body[i+len(key) : len(body)-1] // gjson's raw value of offsetTable
	out := map[MessageQueue]int64{}
	if len(offsetStr) <= 2 {
		return out
	}
	trim := offsetStr[2 : len(offsetStr)-1]
	for _, v := range strings.Split(trim, ",{") {
		tuple := strings.Split(v, "}:")
		if len(tuple) != 2 {
			t.Fatalf("client-go would index out of range on %q", v)
		}
		offset, err := strconv.Atoi(tuple[1])
		if err != nil {
			t.Fatalf("client-go offset %q: %v", tuple[1], err)
		}
		var q MessageQueue
		if err := json.Unmarshal([]byte("{"+tuple[0]+"}"), &q); err != nil {
			t.Fatalf("client-go queue %q: %v", tuple[0], err)
		}
		out[q] = int64(offset)
	}
	return out
}

func TestResetOffsetBody(t *testing.T) {
	body := ResetOffsetBody{OffsetTable: map[MessageQueue]int64{
		{Topic: "T", BrokerName: "b", QueueID: 1}:        7,
		{Topic: "T", BrokerName: "b", QueueID: 0}:        100,
		{Topic: "T", BrokerName: "a", QueueID: 3}:        -1,
		{Topic: "%RETRY%G", BrokerName: "b", QueueID: 0}: 1 << 40,
	}}
	enc, err := MarshalBody(body)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"%RETRY%G"}:1099511627776,` +
		`{"brokerName":"a","queueId":3,"topic":"T"}:-1,{"brokerName":"b","queueId":0,"topic":"T"}:100,` +
		`{"brokerName":"b","queueId":1,"topic":"T"}:7}}`
	if string(enc) != want {
		t.Fatalf("encoded\n %s\nwant\n %s", enc, want)
	}
	if got := clientGoResetOffsets(t, string(enc)); !reflect.DeepEqual(got, body.OffsetTable) {
		t.Fatalf("client-go view %v", got)
	}
	var back ResetOffsetBody
	if err := UnmarshalBody(enc, &back); err != nil || !reflect.DeepEqual(back, body) {
		t.Fatalf("round trip: %v %v", err, back)
	}
	// Also by pointer, and empty.
	if enc2, _ := MarshalBody(&body); !bytes.Equal(enc2, enc) {
		t.Error("MarshalBody(&body) differs")
	}
	if enc3, _ := MarshalBody(ResetOffsetBody{}); string(enc3) != `{"offsetTable":{}}` {
		t.Errorf("empty: %s", enc3)
	}
	// gson's form, which client-go also accepts, decodes too.
	var gson ResetOffsetBody
	if err := UnmarshalBody([]byte(`{"offsetTable":[[{"topic":"T","brokerName":"b","queueId":0},100]]}`), &gson); err != nil ||
		gson.OffsetTable[MessageQueue{Topic: "T", BrokerName: "b"}] != 100 {
		t.Errorf("gson form: %v %v", err, gson)
	}
	if _, err := json.Marshal(body); err == nil {
		t.Error("encoding/json must refuse ResetOffsetBody (its standard form would mislead client-go)")
	}
}

func TestStatsBodies(t *testing.T) {
	q0 := MessageQueue{Topic: "T", BrokerName: "b", QueueID: 0}
	q1 := MessageQueue{Topic: "T", BrokerName: "b", QueueID: 1}

	cs := ConsumeStats{ConsumeTPS: 1.5, OffsetTable: map[MessageQueue]OffsetWrapper{
		q0: {BrokerOffset: 10, ConsumerOffset: 8, LastTimestamp: 99}, q1: {BrokerOffset: 3}}}
	enc, err := MarshalBody(cs)
	if err != nil {
		t.Fatal(err)
	}
	const wantCS = `{"consumeTps":1.5,"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:{"brokerOffset":10,"consumerOffset":8,"lastTimestamp":99},` +
		`{"brokerName":"b","queueId":1,"topic":"T"}:{"brokerOffset":3,"consumerOffset":0,"lastTimestamp":0}}}`
	if string(enc) != wantCS {
		t.Errorf("ConsumeStats\n %s\nwant\n %s", enc, wantCS)
	}
	var cs2 ConsumeStats
	if err := UnmarshalBody(enc, &cs2); err != nil || !reflect.DeepEqual(cs2, cs) {
		t.Errorf("ConsumeStats round trip: %v %+v", err, cs2)
	}

	ts := TopicStatsTable{OffsetTable: map[MessageQueue]TopicOffset{q0: {MinOffset: 1, MaxOffset: 5, LastUpdateTimestamp: 7}}}
	enc, _ = MarshalBody(ts)
	var ts2 TopicStatsTable
	if err := UnmarshalBody(enc, &ts2); err != nil || !reflect.DeepEqual(ts2, ts) {
		t.Errorf("TopicStatsTable round trip: %v %+v (%s)", err, ts2, enc)
	}
	// Java's fastjson output, pretty-printed, decodes.
	javaTS := `{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:{"lastUpdateTimestamp":7,"maxOffset":5,"minOffset":1}}}`
	if err := UnmarshalBody([]byte(javaTS), &ts2); err != nil || !reflect.DeepEqual(ts2, ts) {
		t.Errorf("TopicStatsTable from Java: %v %+v", err, ts2)
	}

	ri := ConsumerRunningInfo{
		Properties:      map[string]string{"PROP_CONSUME_TYPE": "CONSUME_PASSIVELY"},
		SubscriptionSet: []SubscriptionData{{Topic: "T", SubString: "*", TagsSet: []string{}, CodeSet: CodeSet{}, ExpressionType: "TAG"}},
		MQTable:         map[MessageQueue]ProcessQueueInfo{q1: {CommitOffset: 4, Locked: true, Dropped: true}},
		StatusTable:     map[string]ConsumeStatus{"T": {PullRT: 1.25, ConsumeFailedMsgs: 2}},
		Jstack:          "goroutine 1",
	}
	enc, err = MarshalBody(ri)
	if err != nil {
		t.Fatal(err)
	}
	var ri2 ConsumerRunningInfo
	if err := UnmarshalBody(enc, &ri2); err != nil || !reflect.DeepEqual(ri2, ri) {
		t.Errorf("ConsumerRunningInfo round trip: %v\n %+v\n %s", err, ri2, enc)
	}
	// client-go's encoding: "dropped", a space before "jstack".
	goForm := `{"properties":{},"statusTable":{},"subscriptionSet":[],"mqTable":{{"topic":"T","brokerName":"b","queueId":1}:{"commitOffset":4,"dropped":true}}, "jstack":"" }`
	if err := UnmarshalBody([]byte(goForm), &ri2); err != nil || !ri2.MQTable[q1].Dropped || ri2.MQTable[q1].CommitOffset != 4 {
		t.Errorf("client-go running info: %v %+v", err, ri2)
	}

	st := ConsumerStatusBody{MessageQueueTable: map[MessageQueue]int64{q0: 5},
		ConsumerTable: map[string]map[MessageQueue]int64{"ip@1": {q1: 6}}}
	enc, _ = MarshalBody(st)
	var st2 ConsumerStatusBody
	if err := UnmarshalBody(enc, &st2); err != nil || !reflect.DeepEqual(st2, st) {
		t.Errorf("ConsumerStatusBody round trip: %v %+v (%s)", err, st2, enc)
	}

	cc := ConsumerConnection{
		ConnectionSet:     []Connection{{ClientID: "ip@1", ClientAddr: "10.0.0.1:5555", Language: "GO", Version: 317}},
		SubscriptionTable: map[string]SubscriptionData{"T": {Topic: "T", SubString: "*", TagsSet: []string{}, CodeSet: CodeSet{}}},
		ConsumeType:       ConsumePassively, MessageModel: MessageModelClustering, ConsumeFromWhere: ConsumeFromLastOffset,
	}
	enc, _ = MarshalBody(cc)
	var cc2 ConsumerConnection
	if err := UnmarshalBody(enc, &cc2); err != nil || !reflect.DeepEqual(cc2, cc) {
		t.Errorf("ConsumerConnection round trip: %v %+v", err, cc2)
	}

	var cm ConsumeMessageDirectlyResult
	if err := UnmarshalBody([]byte(`{"order":false,"autoCommit":true,"consumeResult":1,"remark":"r","spentTimeMills":3}`), &cm); err != nil || cm.ConsumeResult != CRLater {
		t.Errorf("client-go consume result: %v %+v", err, cm)
	}
	if err := UnmarshalBody([]byte(`{"consumeResult":"CR_RETURN_NULL"}`), &cm); err != nil || cm.ConsumeResult != CRReturnNull {
		t.Errorf("Java consume result: %v %+v", err, cm)
	}
	if err := UnmarshalBody([]byte(`{"consumeResult":6}`), &cm); err == nil {
		t.Error("consumeResult 6 accepted")
	}
}

func TestSmallBodies(t *testing.T) {
	check := func(v any, want string) {
		t.Helper()
		enc, err := MarshalBody(v)
		if err != nil {
			t.Fatal(err)
		}
		if string(enc) != want {
			t.Errorf("%T\n %s\nwant\n %s", v, enc, want)
		}
		back := reflect.New(reflect.TypeOf(v))
		if err := UnmarshalBody(enc, back.Interface()); err != nil {
			t.Fatalf("%T: %v", v, err)
		}
		again, _ := MarshalBody(back.Elem().Interface())
		if !bytes.Equal(again, enc) {
			t.Errorf("%T re-encoded %s", v, again)
		}
	}
	check(ClusterInfo{}, `{"brokerAddrTable":{},"clusterAddrTable":{}}`)
	check(ClusterInfo{
		BrokerAddrTable:  map[string]BrokerData{"b": {BrokerName: "b", Cluster: "c", BrokerAddrs: map[int64]string{0: "1.2.3.4:10911"}}},
		ClusterAddrTable: map[string][]string{"c": {"b"}},
	}, `{"brokerAddrTable":{"b":{"brokerAddrs":{"0":"1.2.3.4:10911"},"brokerName":"b","cluster":"c"}},"clusterAddrTable":{"c":["b"]}}`)
	check(TopicList{}, `{"topicList":[]}`)
	check(TopicList{TopicList: []string{"A", "B"}, BrokerAddr: "x:1"}, `{"topicList":["A","B"],"brokerAddr":"x:1"}`)
	check(KVTable{Table: map[string]string{"k": "v<&>"}}, `{"table":{"k":"v<&>"}}`)
	check(KVTable{}, `{"table":{}}`)
	check(ConsumerListByGroupResponseBody{}, `{"consumerIdList":[]}`)
	check(ConsumerListByGroupResponseBody{ConsumerIDList: []string{"ip@1"}}, `{"consumerIdList":["ip@1"]}`)
	check(LockBatchRequestBody{ConsumerGroup: "G", ClientID: "ip@x", MQSet: []MessageQueue{{Topic: "T", BrokerName: "b"}}},
		`{"consumerGroup":"G","clientId":"ip@x","mqSet":[{"brokerName":"b","queueId":0,"topic":"T"}]}`)
	check(LockBatchResponseBody{}, `{"lockOKMQSet":[]}`)
	check(GroupList{GroupList: []string{"G"}}, `{"groupList":["G"]}`)
	check(QueryCorrectionOffsetBody{CorrectionOffsets: map[int32]int64{0: 12}}, `{"correctionOffsets":{"0":12}}`)
	check(ConsumerOffsetSerializeWrapper{OffsetTable: map[string]map[int32]int64{"T@G": {0: 12, 1: 3}}},
		`{"offsetTable":{"T@G":{"0":12,"1":3}}}`)
	check(CheckClientRequestBody{ClientID: "c", Group: "G", SubscriptionData: SubscriptionData{Topic: "T", SubString: "a > 1", ExpressionType: ExpressionSQL92}},
		`{"clientId":"c","group":"G","subscriptionData":{"classFilterMode":false,"topic":"T","subString":"a > 1","tagsSet":[],"codeSet":[],"subVersion":0,"expressionType":"SQL92"}}`)

	// fastjson's bare int keys in the offset store.
	var off ConsumerOffsetSerializeWrapper
	if err := UnmarshalBody([]byte(`{"offsetTable":{"T@G":{0:12,1:3},"%RETRY%G@G":{0:0}}}`), &off); err != nil ||
		off.OffsetTable["T@G"][1] != 3 || len(off.OffsetTable) != 2 {
		t.Errorf("offset table: %v %+v", err, off)
	}
	// client-go's lock request: field order and a Java-style body both decode.
	var lock LockBatchRequestBody
	if err := UnmarshalBody([]byte(`{"consumerGroup":"G","clientId":"ip@x","mqSet":[{"topic":"T","brokerName":"b","queueId":3}]}`), &lock); err != nil ||
		lock.MQSet[0] != (MessageQueue{Topic: "T", BrokerName: "b", QueueID: 3}) {
		t.Errorf("lock body: %v %+v", err, lock)
	}
}

func TestSubscriptionGroupDefaults(t *testing.T) {
	var w SubscriptionGroupWrapper
	in := `{"subscriptionGroupTable":{"G":{"groupName":"G"},"H":{"groupName":"H","consumeEnable":false,"retryMaxTimes":3,"brokerId":1}},` +
		`"dataVersion":{"counter":2,"timestamp":5}}`
	if err := UnmarshalBody([]byte(in), &w); err != nil {
		t.Fatal(err)
	}
	if w.SubscriptionGroupTable["G"] != NewSubscriptionGroupConfig("G") {
		t.Errorf("defaults: %+v", w.SubscriptionGroupTable["G"])
	}
	h := NewSubscriptionGroupConfig("H")
	h.ConsumeEnable, h.RetryMaxTimes, h.BrokerID = false, 3, 1
	if w.SubscriptionGroupTable["H"] != h || w.DataVersion != (DataVersion{Counter: 2, Timestamp: 5}) {
		t.Errorf("decoded %+v", w)
	}
	d := NewSubscriptionGroupConfig("G")
	if !d.ConsumeEnable || !d.ConsumeFromMinEnable || !d.ConsumeBroadcastEnable || d.RetryQueueNums != 1 ||
		d.RetryMaxTimes != 16 || d.BrokerID != 0 || d.WhichBrokerWhenConsumeSlowly != 1 || !d.NotifyConsumerIDsChangedEnable {
		t.Errorf("spec 5.2 defaults: %+v", d)
	}
	enc, _ := MarshalBody(SubscriptionGroupWrapper{})
	if string(enc) != `{"subscriptionGroupTable":{},"dataVersion":{"counter":0,"timestamp":0}}` {
		t.Errorf("empty wrapper %s", enc)
	}
	var v DataVersion
	v.Next(77)
	v.Next(78)
	if v != (DataVersion{Counter: 2, Timestamp: 78}) {
		t.Errorf("Next: %+v", v)
	}
}

func TestUnmarshalBodyErrors(t *testing.T) {
	for _, bad := range []string{``, `{`, `{"brokerDatas":[{"brokerAddrs":{0:}}]}`, `{"queueDatas":{}}`, `[1,2`} {
		var r TopicRouteData
		if err := UnmarshalBody([]byte(bad), &r); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	var r ResetOffsetBody
	err := UnmarshalBody([]byte(`{"offsetTable":{"notaqueue":1}}`), &r)
	if err == nil {
		t.Error("bad queue key accepted")
	}
	if errors.Is(err, errFastJSON) {
		t.Error("a key error is not a syntax error")
	}
}

func TestProperties(t *testing.T) {
	in := "# comment\n! also\n\n  brokerName = broker-a\nlistenPort:10911\nnamesrvAddr 127.0.0.1:9876;127.0.0.2:9876\r\n" +
		"storePathRootDir=/data/store \\\n    /more\nemptyValue=\nkeyOnly\nesc\\=aped\\ key=v\\tx\\u00e9\\uD83D\\uDE00\n" +
		"multi=a\\\\\nlast=end\\"
	got, err := DecodeProperties([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"brokerName":       "broker-a",
		"listenPort":       "10911",
		"namesrvAddr":      "127.0.0.1:9876;127.0.0.2:9876",
		"storePathRootDir": "/data/store /more",
		"emptyValue":       "",
		"keyOnly":          "",
		"esc=aped key":     "v\txé😀",
		"multi":            `a\`,
		"last":             "end",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded\n %q\nwant\n %q", got, want)
	}
	enc := EncodeProperties(want)
	back, err := DecodeProperties(enc)
	if err != nil || !reflect.DeepEqual(back, want) {
		t.Fatalf("round trip %v\n %q\n%s", err, back, enc)
	}
	if string(EncodeProperties(map[string]string{"b": "2", "a": "x=y"})) != "a=x=y\nb=2\n" {
		t.Errorf("plain encode %q", EncodeProperties(map[string]string{"b": "2", "a": "x=y"}))
	}
	if bytes.ContainsFunc(enc, func(r rune) bool { return r > 0x7f }) {
		t.Errorf("non-ASCII left in %q", enc)
	}
	if _, err := DecodeProperties([]byte(`k=\u12`)); err == nil {
		t.Error("short \\u accepted")
	}
	if _, err := DecodeProperties([]byte(`k=\uzzzz`)); err == nil {
		t.Error("bad \\u accepted")
	}
}

func TestMessageQueue(t *testing.T) {
	q := MessageQueue{Topic: "T", BrokerName: "b", QueueID: 2}
	enc, _ := json.Marshal(q)
	if string(enc) != `{"brokerName":"b","queueId":2,"topic":"T"}` {
		t.Errorf("json %s", enc)
	}
	var back MessageQueue
	if err := json.Unmarshal(enc, &back); err != nil || back != q {
		t.Errorf("round trip %v %+v", err, back)
	}
	if q.String() != "MessageQueue [topic=T, brokerName=b, queueId=2]" {
		t.Error(q.String())
	}
	if q.Compare(MessageQueue{Topic: "T", BrokerName: "b", QueueID: 3}) >= 0 ||
		q.Compare(MessageQueue{Topic: "S", BrokerName: "z", QueueID: 9}) <= 0 || q.Compare(q) != 0 {
		t.Error("Compare")
	}
}
