package protocol_test

// Cross-checks against rocketmq-client-go v2.1.2: its exported admin and
// primitive types decode what Quiver encodes, and bodies that client-go's
// own encoders produced (captured from v2.1.2) decode in Quiver.

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/apache/rocketmq-client-go/v2/admin"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	jsoniter "github.com/json-iterator/go"

	"github.com/quivermq/quiver/protocol"
)

func TestClientGoAdminDecodesQuiverBodies(t *testing.T) {
	g := protocol.NewSubscriptionGroupConfig("G")
	g.RetryMaxTimes = 3
	body, err := protocol.MarshalBody(protocol.SubscriptionGroupWrapper{
		SubscriptionGroupTable: map[string]protocol.SubscriptionGroupConfig{"G": g},
		DataVersion:            protocol.DataVersion{Counter: 7, Timestamp: 1650000000000},
	})
	if err != nil {
		t.Fatal(err)
	}
	var w admin.SubscriptionGroupWrapper
	if _, err := w.Decode(body, &w); err != nil {
		t.Fatal(err)
	}
	want := admin.SubscriptionGroupConfig{GroupName: "G", ConsumeEnable: true, ConsumeFromMinEnable: true,
		ConsumeBroadcastEnable: true, RetryMaxTimes: 3, RetryQueueNums: 1, BrokerId: 0,
		WhichBrokerWhenConsumeSlowly: 1, NotifyConsumerIdsChangedEnable: true}
	if w.SubscriptionGroupTable["G"] != want || w.DataVersion.Counter != 7 || w.DataVersion.Timestamp != 1650000000000 {
		t.Errorf("admin view: %+v", w)
	}

	body, _ = protocol.MarshalBody(protocol.TopicList{TopicList: []string{"A", "B"}})
	var tl admin.TopicList
	if _, err := tl.Decode(body, &tl); err != nil || !reflect.DeepEqual(tl.TopicList, []string{"A", "B"}) {
		t.Errorf("admin topic list: %v %+v", err, tl)
	}
}

func TestClientGoDecodesLockResponse(t *testing.T) {
	body, _ := protocol.MarshalBody(protocol.LockBatchResponseBody{LockOKMQSet: []protocol.MessageQueue{
		{Topic: "T", BrokerName: "b", QueueID: 2}}})
	// consumer/consumer.go lock(): jsoniter into []primitive.MessageQueue.
	var got struct {
		MQs []primitive.MessageQueue `json:"lockOKMQSet"`
	}
	if err := jsoniter.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.MQs) != 1 || got.MQs[0] != (primitive.MessageQueue{Topic: "T", BrokerName: "b", QueueId: 2}) {
		t.Errorf("client-go view %+v", got.MQs)
	}
	// And the other way: client-go's queue JSON in a lock request.
	req, _ := json.Marshal(map[string]any{"consumerGroup": "G", "clientId": "ip@1",
		"mqSet": []primitive.MessageQueue{{Topic: "T", BrokerName: "b", QueueId: 5}}})
	var lock protocol.LockBatchRequestBody
	if err := protocol.UnmarshalBody(req, &lock); err != nil || lock.MQSet[0].QueueID != 5 {
		t.Errorf("lock request: %v %+v", err, lock)
	}
}

// Bodies produced by client-go v2.1.2's own encoders (heartbeatData.encode,
// ConsumerRunningInfo.Encode, ConsumerStatus.Encode,
// ConsumeMessageDirectlyResult.Encode), captured verbatim.
const (
	clientGoHeartbeat      = `{"clientID":"10.0.0.1@1234","producerDataSet":[{"groupName":"PG"}],"consumerDataSet":[{"groupName":"CG","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING","consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","subscriptionDataSet":[{"classFilterMode":false,"topic":"TopicA","subString":"tagA || tagB","tagsSet":["tagA","tagB"],"codeSet":["3552231","3552232"],"subVersion":1650000000000000000,"expressionType":"TAG"}],"unitMode":false}]}`
	clientGoRunningInfo    = `{"properties":{"PROP_CONSUME_TYPE":"CONSUME_PASSIVELY"},"statusTable":{"T":{"pullRT":1.25,"pullTPS":0,"consumeRT":0,"consumeOKTPS":0,"consumeFailedTPS":0,"consumeFailedMsgs":0}},"subscriptionSet":[{"classFilterMode":false,"topic":"TopicA","subString":"tagA || tagB","tagsSet":["tagA","tagB"],"codeSet":["3552231","3552232"],"subVersion":1650000000000000000,"expressionType":"TAG"}],"mqTable":{{"topic":"T","brokerName":"b","queueId":1}:{"commitOffset":4,"cachedMsgMinOffset":0,"cachedMsgMaxOffset":0,"cachedMsgCount":0,"cachedMsgSizeInMiB":0,"transactionMsgMinOffset":0,"transactionMsgMaxOffset":0,"transactionMsgCount":0,"locked":true,"tryUnlockTimes":0,"lastLockTimestamp":0,"dropped":true,"lastPullTimestamp":0,"lastConsumeTimestamp":0}}, "jstack":"" }`
	clientGoConsumerStatus = `{"messageQueueTable":{{"topic":"T","brokerName":"b","queueId":1}:5}}`
	clientGoConsumeResult  = `{"order":false,"autoCommit":true,"consumeResult":1,"remark":"x","spentTimeMills":3}`
)

func TestQuiverDecodesClientGoBodies(t *testing.T) {
	sub := protocol.SubscriptionData{Topic: "TopicA", SubString: "tagA || tagB", TagsSet: []string{"tagA", "tagB"},
		CodeSet: protocol.CodeSet{3552231, 3552232}, SubVersion: 1650000000000000000, ExpressionType: "TAG"}

	var hb protocol.HeartbeatData
	if err := protocol.UnmarshalBody([]byte(clientGoHeartbeat), &hb); err != nil {
		t.Fatal(err)
	}
	wantHB := protocol.HeartbeatData{ClientID: "10.0.0.1@1234",
		ProducerDataSet: []protocol.ProducerData{{GroupName: "PG"}},
		ConsumerDataSet: []protocol.ConsumerData{{GroupName: "CG", ConsumeType: protocol.ConsumePassively,
			MessageModel: protocol.MessageModelClustering, ConsumeFromWhere: protocol.ConsumeFromLastOffset,
			SubscriptionDataSet: []protocol.SubscriptionData{sub}}}}
	if !reflect.DeepEqual(hb, wantHB) {
		t.Errorf("heartbeat\n %+v\nwant\n %+v", hb, wantHB)
	}

	q := protocol.MessageQueue{Topic: "T", BrokerName: "b", QueueID: 1}
	var ri protocol.ConsumerRunningInfo
	if err := protocol.UnmarshalBody([]byte(clientGoRunningInfo), &ri); err != nil {
		t.Fatal(err)
	}
	wantRI := protocol.ConsumerRunningInfo{
		Properties:      map[string]string{"PROP_CONSUME_TYPE": "CONSUME_PASSIVELY"},
		SubscriptionSet: []protocol.SubscriptionData{sub},
		MQTable:         map[protocol.MessageQueue]protocol.ProcessQueueInfo{q: {CommitOffset: 4, Locked: true, Dropped: true}},
		StatusTable:     map[string]protocol.ConsumeStatus{"T": {PullRT: 1.25}},
	}
	if !reflect.DeepEqual(ri, wantRI) {
		t.Errorf("running info\n %+v\nwant\n %+v", ri, wantRI)
	}

	var cs protocol.ConsumerStatusBody
	if err := protocol.UnmarshalBody([]byte(clientGoConsumerStatus), &cs); err != nil || cs.MessageQueueTable[q] != 5 {
		t.Errorf("consumer status: %v %+v", err, cs)
	}
	var cm protocol.ConsumeMessageDirectlyResult
	if err := protocol.UnmarshalBody([]byte(clientGoConsumeResult), &cm); err != nil ||
		cm != (protocol.ConsumeMessageDirectlyResult{AutoCommit: true, ConsumeResult: protocol.CRLater, Remark: "x", SpentTimeMills: 3}) {
		t.Errorf("consume result: %v %+v", err, cm)
	}
}
