package protocol

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// headerCase is one typed header filled with distinct non-zero values
// (strings that do not look like numbers), and the keys Java marks
// @CFNotNull.
type headerCase struct {
	name     string
	full     Header
	required []string
}

func headerCases() []headerCase {
	return []headerCase{
		// name server
		{"RegisterBrokerRequest", &RegisterBrokerRequestHeader{
			BrokerName: "broker-a", BrokerAddr: "10.0.0.1:10911", ClusterName: "DefaultCluster",
			HAServerAddr: "10.0.0.1:10912", BrokerID: 1, Compressed: true, BodyCRC32: 123456789,
			HeartbeatTimeoutMillis: 120000, EnableActingMaster: true,
		}, []string{"brokerName", "brokerAddr", "clusterName", "haServerAddr", "brokerId"}},
		{"RegisterBrokerResponse", &RegisterBrokerResponseHeader{HAServerAddr: "m:10912", MasterAddr: "m:10911"}, nil},
		{"BrokerIdentity", &BrokerIdentityHeader{BrokerName: "b", BrokerAddr: "a:1", ClusterName: "c", BrokerID: 2},
			[]string{"brokerName", "brokerAddr", "clusterName", "brokerId"}},
		{"QueryDataVersionResponse", &QueryDataVersionResponseHeader{Changed: true}, []string{"changed"}},
		{"GetRouteInfoRequest", &GetRouteInfoRequestHeader{Topic: "T", AcceptStandardJSONOnly: true}, []string{"topic"}},
		{"DeleteTopicFromNamesrvRequest", &DeleteTopicFromNamesrvRequestHeader{Topic: "T", ClusterName: "c"}, []string{"topic"}},
		{"PutKVConfigRequest", &PutKVConfigRequestHeader{Namespace: "ns", Key: "k", Value: "v"}, []string{"namespace", "key", "value"}},
		{"KVConfigKey", &KVConfigKeyHeader{Namespace: "ns", Key: "k"}, []string{"namespace", "key"}},
		{"GetKVConfigResponse", &GetKVConfigResponseHeader{Value: "v"}, nil},
		{"GetKVListByNamespaceRequest", &GetKVListByNamespaceRequestHeader{Namespace: "ns"}, []string{"namespace"}},
		{"BrokerName", &BrokerNameHeader{BrokerName: "b"}, []string{"brokerName"}},
		{"WipeWritePermOfBrokerResponse", &WipeWritePermOfBrokerResponseHeader{WipeTopicCount: 7}, []string{"wipeTopicCount"}},
		{"AddWritePermOfBrokerResponse", &AddWritePermOfBrokerResponseHeader{AddTopicCount: 8}, []string{"addTopicCount"}},
		{"GetTopicsByClusterRequest", &GetTopicsByClusterRequestHeader{Cluster: "c"}, []string{"cluster"}},

		// consumer side
		{"QueryConsumerOffsetRequest", &QueryConsumerOffsetRequestHeader{ConsumerGroup: []byte("G"), Topic: []byte("T"), QueueID: 3},
			[]string{"consumerGroup", "topic", "queueId"}},
		{"UpdateConsumerOffsetRequest", &UpdateConsumerOffsetRequestHeader{ConsumerGroup: []byte("G"), Topic: []byte("T"), QueueID: 3, CommitOffset: 1 << 40},
			[]string{"consumerGroup", "topic", "queueId", "commitOffset"}},
		{"OffsetResponse", &OffsetResponseHeader{Offset: -1}, []string{"offset"}},
		{"TopicQueue", &TopicQueueHeader{Topic: "T", QueueID: 2}, []string{"topic", "queueId"}},
		{"GetEarliestMsgStoreTimeResponse", &GetEarliestMsgStoreTimeResponseHeader{Timestamp: 1650000000000}, []string{"timestamp"}},
		{"SearchOffsetRequest", &SearchOffsetRequestHeader{Topic: "T", QueueID: 1, Timestamp: 1650000000000},
			[]string{"topic", "queueId", "timestamp"}},
		{"QueryMessageRequest", &QueryMessageRequestHeader{Topic: "T", Key: "k", MaxNum: 32, BeginTimestamp: 1, EndTimestamp: 2, UniqueKeyQuery: true},
			[]string{"topic", "key", "maxNum", "beginTimestamp", "endTimestamp"}},
		{"QueryMessageResponse", &QueryMessageResponseHeader{IndexLastUpdateTimestamp: 5, IndexLastUpdatePhyoffset: 6},
			[]string{"indexLastUpdateTimestamp", "indexLastUpdatePhyoffset"}},
		{"ViewMessageRequest", &ViewMessageRequestHeader{Offset: 4096}, []string{"offset"}},
		{"UnregisterClientRequest", &UnregisterClientRequestHeader{ClientID: "ip@1", ProducerGroup: "PG", ConsumerGroup: "CG"}, []string{"clientID"}},
		{"ConsumerSendMsgBackRequest", &ConsumerSendMsgBackRequestHeader{Offset: 99, Group: "G", DelayLevel: -1, OriginMsgID: "m",
			OriginTopic: "T", UnitMode: true, MaxReconsumeTimes: 16, HasMaxReconsumeTimes: true},
			[]string{"offset", "group", "delayLevel"}},
		{"ConsumerGroup", &ConsumerGroupHeader{ConsumerGroup: "G"}, []string{"consumerGroup"}},

		// transactions
		{"EndTransactionRequest", &EndTransactionRequestHeader{ProducerGroup: "PG", TranStateTableOffset: 3, CommitLogOffset: 4,
			CommitOrRollback: TransactionCommitType, FromTransactionCheck: true, MsgID: "m", TransactionID: "t"},
			[]string{"producerGroup", "tranStateTableOffset", "commitLogOffset", "commitOrRollback", "msgId"}},
		{"CheckTransactionStateRequest", &CheckTransactionStateRequestHeader{TranStateTableOffset: 3, CommitLogOffset: 4,
			MsgID: "m", TransactionID: "t", OffsetMsgID: "o"}, []string{"tranStateTableOffset", "commitLogOffset"}},

		// admin
		{"CreateTopicRequest", &CreateTopicRequestHeader{Topic: "T", DefaultTopic: "TBW102", ReadQueueNums: 8, WriteQueueNums: 4,
			Perm: 6, TopicFilterType: TopicFilterMultiTag, TopicSysFlag: 1, Order: true},
			[]string{"topic", "defaultTopic", "readQueueNums", "writeQueueNums", "perm", "topicFilterType", "order"}},
		{"Topic", &TopicHeader{Topic: "T"}, []string{"topic"}},
		{"DeleteSubscriptionGroupRequest", &DeleteSubscriptionGroupRequestHeader{GroupName: "G", RemoveOffset: true}, []string{"groupName"}},
		{"GetConsumeStatsRequest", &GetConsumeStatsRequestHeader{ConsumerGroup: "G", Topic: "T"}, []string{"consumerGroup"}},
		{"GetProducerConnectionListRequest", &GetProducerConnectionListRequestHeader{ProducerGroup: "PG"}, []string{"producerGroup"}},
		{"ResetOffsetRequest", &ResetOffsetRequestHeader{Topic: "T", Group: "G", Timestamp: 1650000000000, IsForce: true},
			[]string{"topic", "group", "timestamp", "isForce"}},
		{"GetConsumerStatusRequest", &GetConsumerStatusRequestHeader{Topic: "T", Group: "G", ClientAddr: "ip:1"}, []string{"topic", "group"}},
		{"GetConsumerRunningInfoRequest", &GetConsumerRunningInfoRequestHeader{ConsumerGroup: "G", ClientID: "ip@1", JstackEnable: true},
			[]string{"consumerGroup", "clientId"}},
		{"ConsumeMessageDirectlyResultRequest", &ConsumeMessageDirectlyResultRequestHeader{ConsumerGroup: "G", ClientID: "ip@1", MsgID: "m", BrokerName: "b"},
			[]string{"consumerGroup"}},
		{"GetBrokerConfigResponse", &GetBrokerConfigResponseHeader{Version: `{"counter":1,"timestamp":2}`}, []string{"version"}},
		{"QueryCorrectionOffsetRequest", &QueryCorrectionOffsetRequestHeader{FilterGroups: "a,b", CompareGroup: "G", Topic: "T"},
			[]string{"compareGroup", "topic"}},
		{"CloneGroupOffsetRequest", &CloneGroupOffsetRequestHeader{SrcGroup: "S", DestGroup: "D", Topic: "T", Offline: true},
			[]string{"srcGroup", "destGroup"}},
	}
}

func newLike(h Header) Header {
	return reflect.New(reflect.TypeOf(h).Elem()).Interface().(Header)
}

// without returns a copy of e without key.
func without(e *ExtFields, key string) *ExtFields {
	var out ExtFields
	for i := 0; i < e.Len(); i++ {
		k, v := e.At(i)
		if string(k) != key {
			out.Add(string(k), v)
		}
	}
	return &out
}

// replaced returns a copy of e with key's value replaced.
func replaced(e *ExtFields, key, val string) *ExtFields {
	var out ExtFields
	for i := 0; i < e.Len(); i++ {
		k, v := e.At(i)
		if string(k) == key {
			v = []byte(val)
		}
		out.Add(string(k), v)
	}
	return &out
}

func wantFieldError(t *testing.T, err error, key, fragment string) {
	t.Helper()
	var perr *Error
	if !errors.As(err, &perr) {
		t.Fatalf("error %v (%T), want *Error", err, err)
	}
	if perr.Code != SystemError {
		t.Errorf("code %v, want SYSTEM_ERROR", perr.Code)
	}
	if !strings.Contains(perr.Remark, "<"+key+">") || !strings.Contains(perr.Remark, fragment) {
		t.Errorf("remark %q, want it to name <%s> and say %q", perr.Remark, key, fragment)
	}
}

func TestHeaderRoundTrip(t *testing.T) {
	for _, tc := range headerCases() {
		t.Run(tc.name, func(t *testing.T) {
			var e ExtFields
			tc.full.Encode(&e)
			got := newLike(tc.full)
			if err := got.Decode(&e); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got, tc.full) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", got, tc.full)
			}
			for _, k := range tc.required {
				if _, ok := e.Get(k); !ok {
					t.Errorf("Encode left out required field %q", k)
				}
			}
		})
	}
}

func TestHeaderRequiredFields(t *testing.T) {
	for _, tc := range headerCases() {
		t.Run(tc.name, func(t *testing.T) {
			var e ExtFields
			tc.full.Encode(&e)
			for i := 0; i < e.Len(); i++ {
				k, _ := e.At(i)
				key := string(k)
				err := newLike(tc.full).Decode(without(&e, key))
				if slices.Contains(tc.required, key) {
					wantFieldError(t, err, key, "is null")
					if err != nil && err.(*Error).Remark != "the custom field <"+key+"> is null" {
						t.Errorf("remark %q is not Java's", err.(*Error).Remark)
					}
				} else if err != nil {
					t.Errorf("without optional %q: %v", key, err)
				}
			}
			// The first missing required field is the one named.
			if len(tc.required) > 0 {
				err := newLike(tc.full).Decode(&ExtFields{})
				wantFieldError(t, err, tc.required[0], "is null")
			}
		})
	}
}

// TestHeaderBadNumbers replaces every numeric field with garbage in turn.
func TestHeaderBadNumbers(t *testing.T) {
	for _, tc := range headerCases() {
		t.Run(tc.name, func(t *testing.T) {
			var e ExtFields
			tc.full.Encode(&e)
			for i := 0; i < e.Len(); i++ {
				k, v := e.At(i)
				if _, ok := parseInt(v, 64); !ok {
					continue
				}
				for _, bad := range []string{"12a", "", " 1", "0x10", "99999999999999999999"} {
					err := newLike(tc.full).Decode(replaced(&e, string(k), bad))
					wantFieldError(t, err, string(k), "not a valid")
				}
			}
		})
	}
}

// TestHeaderDecodeOverwrites decodes into a used struct: optional fields
// absent from the input must be reset.
func TestHeaderDecodeOverwrites(t *testing.T) {
	for _, tc := range headerCases() {
		t.Run(tc.name, func(t *testing.T) {
			var full ExtFields
			tc.full.Encode(&full)
			var minimal ExtFields
			for _, k := range tc.required {
				v, _ := full.Get(k)
				minimal.Add(k, v)
			}
			want := newLike(tc.full)
			if err := want.Decode(&minimal); err != nil {
				t.Fatalf("Decode(minimal): %v", err)
			}
			reused := newLike(tc.full)
			if err := reused.Decode(&full); err != nil {
				t.Fatal(err)
			}
			if err := reused.Decode(&minimal); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(reused, want) {
				t.Fatalf("reused decode kept old values:\n got %+v\nwant %+v", reused, want)
			}
		})
	}
}

func TestHeaderChecks(t *testing.T) {
	var e ExtFields
	h := &EndTransactionRequestHeader{ProducerGroup: "PG", CommitOrRollback: 4, MsgID: ""}
	h.Encode(&e)
	var got EndTransactionRequestHeader
	err := got.Decode(&e)
	var perr *Error
	if !errors.As(err, &perr) || perr.Remark != "commitOrRollback field wrong" {
		t.Fatalf("commitOrRollback 4: %v", err)
	}
	for _, v := range []int32{TransactionNotType, TransactionCommitType, TransactionRollbackType} {
		e.Reset()
		h.CommitOrRollback = v
		h.Encode(&e)
		if err := got.Decode(&e); err != nil {
			t.Errorf("commitOrRollback %d: %v", v, err)
		}
	}

	e.Reset()
	ct := &CreateTopicRequestHeader{Topic: "T", DefaultTopic: "TBW102", ReadQueueNums: 8, WriteQueueNums: 8, Perm: 6, TopicFilterType: "single_tag"}
	ct.Encode(&e)
	err = new(CreateTopicRequestHeader).Decode(&e)
	if !errors.As(err, &perr) || perr.Remark != "topicFilterType = [single_tag] value invalid" {
		t.Fatalf("bad topicFilterType: %v", err)
	}
}

// TestHeaderClientGoKeys decodes headers exactly as client-go v2.1.2 fills
// them (internal/request.go): every value a string, booleans "true"/"false".
func TestHeaderClientGoKeys(t *testing.T) {
	ext := func(kv ...string) *ExtFields {
		var e ExtFields
		for i := 0; i < len(kv); i += 2 {
			e.AddString(kv[i], kv[i+1])
		}
		return &e
	}
	var sb ConsumerSendMsgBackRequestHeader
	if err := sb.Decode(ext("group", "G", "offset", "1234", "delayLevel", "0", "originMsgId", "ABC",
		"originTopic", "T", "unitMode", "false", "maxReconsumeTimes", "16")); err != nil {
		t.Fatal(err)
	}
	if sb != (ConsumerSendMsgBackRequestHeader{Offset: 1234, Group: "G", OriginMsgID: "ABC", OriginTopic: "T",
		MaxReconsumeTimes: 16, HasMaxReconsumeTimes: true}) {
		t.Errorf("send back: %+v", sb)
	}
	var et EndTransactionRequestHeader
	if err := et.Decode(ext("producerGroup", "PG", "tranStateTableOffset", "7", "commitLogOffset", "8",
		"commitOrRollback", "12", "fromTransactionCheck", "true", "msgId", "", "transactionId", "")); err != nil {
		t.Fatal(err)
	}
	if et != (EndTransactionRequestHeader{ProducerGroup: "PG", TranStateTableOffset: 7, CommitLogOffset: 8,
		CommitOrRollback: TransactionRollbackType, FromTransactionCheck: true}) {
		t.Errorf("end transaction: %+v", et)
	}
	var ct CreateTopicRequestHeader
	if err := ct.Decode(ext("topic", "T", "defaultTopic", "defaultTopic", "readQueueNums", "8", "writeQueueNums", "8",
		"perm", "6", "topicFilterType", "SINGLE_TAG", "topicSysFlag", "0", "order", "false")); err != nil {
		t.Fatal(err)
	}
	var qm QueryMessageRequestHeader
	if err := qm.Decode(ext("topic", "T", "key", "K", "maxNum", "32", "beginTimestamp", "0",
		"endTimestamp", "9223372036854775807", "_UNIQUE_KEY_QUERY", "TRUE")); err != nil {
		t.Fatal(err)
	}
	if !qm.UniqueKeyQuery || qm.EndTimestamp != 1<<63-1 {
		t.Errorf("query message: %+v", qm)
	}
}

func TestNewHeaderTable(t *testing.T) {
	for code := range requestCodeNames {
		req := NewRequestHeader(code)
		resp := NewResponseHeader(code)
		if code == CheckTransactionState || code == NotifyConsumerIDsChanged {
			continue // oneway, broker → client: never answered
		}
		if (req == nil) != (resp == nil) {
			t.Errorf("%v: request header %T but response header %T", code, req, resp)
		}
	}
	if _, ok := NewRequestHeader(UpdateConsumerOffset).(*UpdateConsumerOffsetRequestHeader); !ok {
		t.Error("UPDATE_CONSUMER_OFFSET")
	}
	if _, ok := NewResponseHeader(GetMaxOffset).(*OffsetResponseHeader); !ok {
		t.Error("GET_MAX_OFFSET response")
	}
}

func TestParseInt(t *testing.T) {
	tests := []struct {
		in   string
		bits uint
		want int64
		ok   bool
	}{
		{"0", 32, 0, true},
		{"-0", 32, 0, true},
		{"+7", 32, 7, true},
		{"2147483647", 32, 1<<31 - 1, true},
		{"-2147483648", 32, -1 << 31, true},
		{"2147483648", 32, 0, false},
		{"-2147483649", 32, 0, false},
		{"9223372036854775807", 64, 1<<63 - 1, true},
		{"-9223372036854775808", 64, -1 << 63, true},
		{"9223372036854775808", 64, 0, false},
		{"18446744073709551616", 64, 0, false},
		{"000000000000000000000000042", 64, 42, true},
		{"", 64, 0, false},
		{"-", 64, 0, false},
		{"+", 64, 0, false},
		{" 1", 64, 0, false},
		{"1 ", 64, 0, false},
		{"1_000", 64, 0, false},
		{"1e3", 64, 0, false},
		{"--1", 64, 0, false},
	}
	for _, tt := range tests {
		got, ok := parseInt([]byte(tt.in), tt.bits)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseInt(%q, %d) = %d, %v; want %d, %v", tt.in, tt.bits, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseBool(t *testing.T) {
	for in, want := range map[string]bool{"true": true, "TRUE": true, "True": true, "false": false,
		"": false, "1": false, "yes": false, "truex": false, "tru": false} {
		if got := parseBool([]byte(in)); got != want {
			t.Errorf("parseBool(%q) = %v", in, got)
		}
	}
}

func TestOffsetHeadersDecodeWithoutAllocating(t *testing.T) {
	var q ExtFields
	q.AddString("consumerGroup", "please_rename_unique_group_name")
	q.AddString("topic", "TopicTest")
	q.AddString("queueId", "3")
	var u ExtFields
	u.AddString("consumerGroup", "please_rename_unique_group_name")
	u.AddString("topic", "TopicTest")
	u.AddString("queueId", "3")
	u.AddString("commitOffset", "123456789")

	var qh QueryConsumerOffsetRequestHeader
	var uh UpdateConsumerOffsetRequestHeader
	if n := testing.AllocsPerRun(1000, func() {
		if err := qh.Decode(&q); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("QueryConsumerOffsetRequestHeader.Decode: %v allocs, want 0", n)
	}
	if n := testing.AllocsPerRun(1000, func() {
		if err := uh.Decode(&u); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("UpdateConsumerOffsetRequestHeader.Decode: %v allocs, want 0", n)
	}
	if string(uh.Topic) != "TopicTest" || uh.QueueID != 3 || uh.CommitOffset != 123456789 || string(qh.ConsumerGroup) != "please_rename_unique_group_name" {
		t.Errorf("decoded %+v %+v", qh, uh)
	}

	// Encoding into a warm ExtFields does not allocate either.
	var out ExtFields
	uh.Encode(&out)
	if n := testing.AllocsPerRun(1000, func() {
		out.Reset()
		uh.Encode(&out)
	}); n != 0 {
		t.Errorf("UpdateConsumerOffsetRequestHeader.Encode: %v allocs, want 0", n)
	}
}

func BenchmarkUpdateConsumerOffsetDecode(b *testing.B) {
	var u ExtFields
	u.AddString("consumerGroup", "please_rename_unique_group_name")
	u.AddString("topic", "TopicTest")
	u.AddString("queueId", "3")
	u.AddString("commitOffset", "123456789")
	var uh UpdateConsumerOffsetRequestHeader
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := uh.Decode(&u); err != nil {
			b.Fatal(err)
		}
	}
}
