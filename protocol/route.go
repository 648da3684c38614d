package protocol

// Route data: the body of GET_ROUTEINFO_BY_TOPIC (105) and the parts of
// GET_BROKER_CLUSTER_INFO (106) (4.9.4 protocol/route).
//
// Quiver writes compact standard JSON with quoted numeric keys, fields in
// fastjson's sorted order, and always writes queueDatas and every
// brokerAddrs, even empty:
//
//	{"brokerDatas":[{"brokerAddrs":{"0":"10.0.0.1:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}],
//	 "filterServerTable":{},
//	 "queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}
//
// (one line on the wire). client-go cannot decode a route without
// queueDatas, panics on a broker without brokerAddrs, and reads brokerAddrs
// as raw text split at ',' and the first ':', so a space in it would become
// part of an address. Decoding (UnmarshalBody) also accepts Java's fastjson
// form with bare numeric keys ({0:"10.0.0.1:10911"}) and the old
// "topicSynFlag" name.

import "encoding/json"

// Permission bits of topics and brokers (PermName.java). Wire format, never
// change.
const (
	PermInherit  int32 = 1 << 0
	PermWrite    int32 = 1 << 1
	PermRead     int32 = 1 << 2
	PermPriority int32 = 1 << 3
)

// MasterID is the broker id of a master (MixAll.MASTER_ID).
const MasterID int64 = 0

// TopicRouteData is the route of one topic.
type TopicRouteData struct {
	// OrderTopicConf is the ORDER_TOPIC_CONFIG KV entry, "" when none.
	OrderTopicConf string
	QueueDatas     []QueueData
	BrokerDatas    []BrokerData
	// FilterServerTable maps a broker address to its filter servers
	// (obsolete; always empty in Quiver).
	FilterServerTable map[string][]string
}

// QueueData is one broker's queues of a topic.
type QueueData struct {
	BrokerName     string `json:"brokerName"`
	Perm           int32  `json:"perm"`
	ReadQueueNums  int32  `json:"readQueueNums"`
	TopicSysFlag   int32  `json:"topicSysFlag"`
	WriteQueueNums int32  `json:"writeQueueNums"`
}

// BrokerData is one broker name (a master and its slaves) of a cluster.
type BrokerData struct {
	Cluster    string
	BrokerName string
	// BrokerAddrs maps a broker id (MasterID for the master) to ip:port.
	BrokerAddrs map[int64]string
}

type topicRouteJSON struct {
	BrokerDatas       []BrokerData        `json:"brokerDatas"`
	FilterServerTable map[string][]string `json:"filterServerTable"`
	OrderTopicConf    string              `json:"orderTopicConf,omitempty"`
	QueueDatas        []QueueData         `json:"queueDatas"`
}

// MarshalJSON implements json.Marshaler: compact, and never null for the
// lists and maps.
func (r TopicRouteData) MarshalJSON() ([]byte, error) {
	j := topicRouteJSON{
		BrokerDatas:       r.BrokerDatas,
		FilterServerTable: r.FilterServerTable,
		OrderTopicConf:    r.OrderTopicConf,
		QueueDatas:        r.QueueDatas,
	}
	if j.BrokerDatas == nil {
		j.BrokerDatas = []BrokerData{}
	}
	if j.FilterServerTable == nil {
		j.FilterServerTable = map[string][]string{}
	}
	if j.QueueDatas == nil {
		j.QueueDatas = []QueueData{}
	}
	return appendJSON(nil, j)
}

// UnmarshalJSON implements json.Unmarshaler for the standard form. Use
// UnmarshalBody for bodies that may be in fastjson form.
func (r *TopicRouteData) UnmarshalJSON(data []byte) error {
	var j topicRouteJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	*r = TopicRouteData{
		OrderTopicConf:    j.OrderTopicConf,
		QueueDatas:        j.QueueDatas,
		BrokerDatas:       j.BrokerDatas,
		FilterServerTable: j.FilterServerTable,
	}
	return nil
}

// UnmarshalJSON implements json.Unmarshaler, accepting the pre-4.x name
// "topicSynFlag" when "topicSysFlag" is absent.
func (q *QueueData) UnmarshalJSON(data []byte) error {
	var j struct {
		BrokerName     string `json:"brokerName"`
		Perm           int32  `json:"perm"`
		ReadQueueNums  int32  `json:"readQueueNums"`
		TopicSysFlag   *int32 `json:"topicSysFlag"`
		TopicSynFlag   *int32 `json:"topicSynFlag"`
		WriteQueueNums int32  `json:"writeQueueNums"`
	}
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	*q = QueueData{BrokerName: j.BrokerName, Perm: j.Perm, ReadQueueNums: j.ReadQueueNums, WriteQueueNums: j.WriteQueueNums}
	switch {
	case j.TopicSysFlag != nil:
		q.TopicSysFlag = *j.TopicSysFlag
	case j.TopicSynFlag != nil:
		q.TopicSysFlag = *j.TopicSynFlag
	}
	return nil
}

type brokerDataJSON struct {
	BrokerAddrs map[int64]string `json:"brokerAddrs"`
	BrokerName  string           `json:"brokerName"`
	Cluster     string           `json:"cluster"`
}

// MarshalJSON implements json.Marshaler; brokerAddrs is {} when empty, never
// null or absent.
func (b BrokerData) MarshalJSON() ([]byte, error) {
	j := brokerDataJSON{BrokerAddrs: b.BrokerAddrs, BrokerName: b.BrokerName, Cluster: b.Cluster}
	if j.BrokerAddrs == nil {
		j.BrokerAddrs = map[int64]string{}
	}
	return appendJSON(nil, j)
}

// UnmarshalJSON implements json.Unmarshaler for the standard form (quoted
// numeric keys).
func (b *BrokerData) UnmarshalJSON(data []byte) error {
	var j brokerDataJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	*b = BrokerData{Cluster: j.Cluster, BrokerName: j.BrokerName, BrokerAddrs: j.BrokerAddrs}
	return nil
}

// MasterAddr returns the master's address, or "" if the master is absent.
func (b *BrokerData) MasterAddr() string { return b.BrokerAddrs[MasterID] }
