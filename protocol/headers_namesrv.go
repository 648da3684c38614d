package protocol

// Custom headers of the name server's request codes (4.9.4
// common/protocol/header/namesrv). Required fields are Java's @CFNotNull
// ones; an absent optional string is "".

// RegisterBrokerRequestHeader is REGISTER_BROKER (103), broker → namesrv.
// The body is a RegisterBrokerBody, zlib-compressed when Compressed.
type RegisterBrokerRequestHeader struct {
	BrokerName   string // required
	BrokerAddr   string // required: brokerIP1:listenPort
	ClusterName  string // required
	HAServerAddr string // required: brokerIP2:haListenPort ("haServerAddr")
	BrokerID     int64  // required: 0 for a master
	// Compressed says the body is in the compressed form.
	Compressed bool
	// BodyCRC32 is BodyCRC32(body); 0 means "not checked".
	BodyCRC32 int32
	// HeartbeatTimeoutMillis is sent by 5.x brokers only; 0 when absent.
	HeartbeatTimeoutMillis int64
	// EnableActingMaster is sent by 5.x brokers only.
	EnableActingMaster bool
}

// Encode implements Header.
func (h *RegisterBrokerRequestHeader) Encode(e *ExtFields) {
	e.AddString("brokerName", h.BrokerName)
	e.AddString("brokerAddr", h.BrokerAddr)
	e.AddString("clusterName", h.ClusterName)
	e.AddString("haServerAddr", h.HAServerAddr)
	e.AddInt("brokerId", h.BrokerID)
	e.AddBool("compressed", h.Compressed)
	e.AddInt("bodyCrc32", int64(h.BodyCRC32))
	if h.HeartbeatTimeoutMillis != 0 {
		e.AddInt("heartbeatTimeoutMillis", h.HeartbeatTimeoutMillis)
	}
	if h.EnableActingMaster {
		e.AddBool("enableActingMaster", true)
	}
}

// Decode implements Header.
func (h *RegisterBrokerRequestHeader) Decode(e *ExtFields) error {
	r := fieldReader{e: e}
	h.BrokerName = r.str("brokerName", true)
	h.BrokerAddr = r.str("brokerAddr", true)
	h.ClusterName = r.str("clusterName", true)
	h.HAServerAddr = r.str("haServerAddr", true)
	h.BrokerID = r.i64("brokerId", true, 0)
	h.Compressed = r.boolean("compressed", false, false)
	h.BodyCRC32 = r.i32("bodyCrc32", false, 0)
	h.HeartbeatTimeoutMillis = r.i64("heartbeatTimeoutMillis", false, 0)
	h.EnableActingMaster = r.boolean("enableActingMaster", false, false)
	return r.err
}

// RegisterBrokerResponseHeader answers REGISTER_BROKER. Both fields are set
// only for a slave whose master is alive.
type RegisterBrokerResponseHeader struct {
	HAServerAddr string // optional: the master's HA address
	MasterAddr   string // optional: the master's address
}

// Encode implements Header.
func (h *RegisterBrokerResponseHeader) Encode(e *ExtFields) {
	addOptString(e, "haServerAddr", h.HAServerAddr)
	addOptString(e, "masterAddr", h.MasterAddr)
}

// Decode implements Header.
func (h *RegisterBrokerResponseHeader) Decode(e *ExtFields) error {
	r := fieldReader{e: e}
	h.HAServerAddr = r.str("haServerAddr", false)
	h.MasterAddr = r.str("masterAddr", false)
	return r.err
}

// BrokerIdentityHeader is the header of UNREGISTER_BROKER (104) and
// QUERY_DATA_VERSION (322): which broker is speaking. All fields required.
type BrokerIdentityHeader struct {
	BrokerName  string
	BrokerAddr  string
	ClusterName string
	BrokerID    int64
}

// Encode implements Header.
func (h *BrokerIdentityHeader) Encode(e *ExtFields) {
	e.AddString("brokerName", h.BrokerName)
	e.AddString("brokerAddr", h.BrokerAddr)
	e.AddString("clusterName", h.ClusterName)
	e.AddInt("brokerId", h.BrokerID)
}

// Decode implements Header.
func (h *BrokerIdentityHeader) Decode(e *ExtFields) error {
	r := fieldReader{e: e}
	h.BrokerName = r.str("brokerName", true)
	h.BrokerAddr = r.str("brokerAddr", true)
	h.ClusterName = r.str("clusterName", true)
	h.BrokerID = r.i64("brokerId", true, 0)
	return r.err
}

// UnregisterBrokerRequestHeader is UNREGISTER_BROKER (104).
type UnregisterBrokerRequestHeader = BrokerIdentityHeader

// QueryDataVersionRequestHeader is QUERY_DATA_VERSION (322); the body is
// the broker's DataVersion JSON.
type QueryDataVersionRequestHeader = BrokerIdentityHeader

// QueryDataVersionResponseHeader answers QUERY_DATA_VERSION; the body is the
// name server's DataVersion.
type QueryDataVersionResponseHeader struct {
	Changed bool // required
}

// Encode implements Header.
func (h *QueryDataVersionResponseHeader) Encode(e *ExtFields) { e.AddBool("changed", h.Changed) }

// Decode implements Header.
func (h *QueryDataVersionResponseHeader) Decode(e *ExtFields) error {
	r := fieldReader{e: e}
	h.Changed = r.boolean("changed", true, false)
	return r.err
}

// GetRouteInfoRequestHeader is GET_ROUTEINFO_BY_TOPIC (105).
type GetRouteInfoRequestHeader struct {
	Topic string // required
	// AcceptStandardJSONOnly asks for quoted map keys (4.9.4+ Java clients).
	// Quiver always answers in standard JSON.
	AcceptStandardJSONOnly bool
}

// Encode implements Header.
func (h *GetRouteInfoRequestHeader) Encode(e *ExtFields) {
	e.AddString("topic", h.Topic)
	if h.AcceptStandardJSONOnly {
		e.AddBool("acceptStandardJsonOnly", true)
	}
}

// Decode implements Header.
func (h *GetRouteInfoRequestHeader) Decode(e *ExtFields) error {
	r := fieldReader{e: e}
	h.Topic = r.str("topic", true)
	h.AcceptStandardJSONOnly = r.boolean("acceptStandardJsonOnly", false, false)
	return r.err
}

// DeleteTopicFromNamesrvRequestHeader is DELETE_TOPIC_IN_NAMESRV (216).
type DeleteTopicFromNamesrvRequestHeader struct {
	Topic       string // required
	ClusterName string // optional: limit the deletion to one cluster
}

// Encode implements Header.
func (h *DeleteTopicFromNamesrvRequestHeader) Encode(e *ExtFields) {
	e.AddString("topic", h.Topic)
	addOptString(e, "clusterName", h.ClusterName)
}

// Decode implements Header.
func (h *DeleteTopicFromNamesrvRequestHeader) Decode(e *ExtFields) error {
	r := fieldReader{e: e}
	h.Topic = r.str("topic", true)
	h.ClusterName = r.str("clusterName", false)
	return r.err
}

// PutKVConfigRequestHeader is PUT_KV_CONFIG (100). All fields required.
type PutKVConfigRequestHeader struct {
	Namespace string
	Key       string
	Value     string
}

// Encode implements Header.
func (h *PutKVConfigRequestHeader) Encode(e *ExtFields) {
	e.AddString("namespace", h.Namespace)
	e.AddString("key", h.Key)
	e.AddString("value", h.Value)
}

// Decode implements Header.
func (h *PutKVConfigRequestHeader) Decode(e *ExtFields) error {
	r := fieldReader{e: e}
	h.Namespace = r.str("namespace", true)
	h.Key = r.str("key", true)
	h.Value = r.str("value", true)
	return r.err
}

// KVConfigKeyHeader is the header of GET_KV_CONFIG (101) and
// DELETE_KV_CONFIG (102). Both fields required.
type KVConfigKeyHeader struct {
	Namespace string
	Key       string
}

// Encode implements Header.
func (h *KVConfigKeyHeader) Encode(e *ExtFields) {
	e.AddString("namespace", h.Namespace)
	e.AddString("key", h.Key)
}

// Decode implements Header.
func (h *KVConfigKeyHeader) Decode(e *ExtFields) error {
	r := fieldReader{e: e}
	h.Namespace = r.str("namespace", true)
	h.Key = r.str("key", true)
	return r.err
}

// GetKVConfigRequestHeader is GET_KV_CONFIG (101).
type GetKVConfigRequestHeader = KVConfigKeyHeader

// DeleteKVConfigRequestHeader is DELETE_KV_CONFIG (102).
type DeleteKVConfigRequestHeader = KVConfigKeyHeader

// GetKVConfigResponseHeader answers GET_KV_CONFIG. An absent key is
// answered with QUERY_NOT_FOUND, not with an empty value.
type GetKVConfigResponseHeader struct {
	Value string // optional
}

// Encode implements Header.
func (h *GetKVConfigResponseHeader) Encode(e *ExtFields) { addOptString(e, "value", h.Value) }

// Decode implements Header.
func (h *GetKVConfigResponseHeader) Decode(e *ExtFields) error {
	r := fieldReader{e: e}
	h.Value = r.str("value", false)
	return r.err
}

// GetKVListByNamespaceRequestHeader is GET_KVLIST_BY_NAMESPACE (219); the
// response body is a KVTable.
type GetKVListByNamespaceRequestHeader struct {
	Namespace string // required
}

// Encode implements Header.
func (h *GetKVListByNamespaceRequestHeader) Encode(e *ExtFields) {
	e.AddString("namespace", h.Namespace)
}

// Decode implements Header.
func (h *GetKVListByNamespaceRequestHeader) Decode(e *ExtFields) error {
	r := fieldReader{e: e}
	h.Namespace = r.str("namespace", true)
	return r.err
}

// BrokerNameHeader is the header of WIPE_WRITE_PERM_OF_BROKER (205) and
// ADD_WRITE_PERM_OF_BROKER (327).
type BrokerNameHeader struct {
	BrokerName string // required
}

// Encode implements Header.
func (h *BrokerNameHeader) Encode(e *ExtFields) { e.AddString("brokerName", h.BrokerName) }

// Decode implements Header.
func (h *BrokerNameHeader) Decode(e *ExtFields) error {
	r := fieldReader{e: e}
	h.BrokerName = r.str("brokerName", true)
	return r.err
}

// WipeWritePermOfBrokerRequestHeader is WIPE_WRITE_PERM_OF_BROKER (205).
type WipeWritePermOfBrokerRequestHeader = BrokerNameHeader

// AddWritePermOfBrokerRequestHeader is ADD_WRITE_PERM_OF_BROKER (327).
type AddWritePermOfBrokerRequestHeader = BrokerNameHeader

// WipeWritePermOfBrokerResponseHeader answers WIPE_WRITE_PERM_OF_BROKER.
type WipeWritePermOfBrokerResponseHeader struct {
	WipeTopicCount int32 // required
}

// Encode implements Header.
func (h *WipeWritePermOfBrokerResponseHeader) Encode(e *ExtFields) {
	e.AddInt("wipeTopicCount", int64(h.WipeTopicCount))
}

// Decode implements Header.
func (h *WipeWritePermOfBrokerResponseHeader) Decode(e *ExtFields) error {
	r := fieldReader{e: e}
	h.WipeTopicCount = r.i32("wipeTopicCount", true, 0)
	return r.err
}

// AddWritePermOfBrokerResponseHeader answers ADD_WRITE_PERM_OF_BROKER.
type AddWritePermOfBrokerResponseHeader struct {
	AddTopicCount int32 // required
}

// Encode implements Header.
func (h *AddWritePermOfBrokerResponseHeader) Encode(e *ExtFields) {
	e.AddInt("addTopicCount", int64(h.AddTopicCount))
}

// Decode implements Header.
func (h *AddWritePermOfBrokerResponseHeader) Decode(e *ExtFields) error {
	r := fieldReader{e: e}
	h.AddTopicCount = r.i32("addTopicCount", true, 0)
	return r.err
}

// GetTopicsByClusterRequestHeader is GET_TOPICS_BY_CLUSTER (224); the
// response body is a TopicList.
type GetTopicsByClusterRequestHeader struct {
	Cluster string // required
}

// Encode implements Header.
func (h *GetTopicsByClusterRequestHeader) Encode(e *ExtFields) { e.AddString("cluster", h.Cluster) }

// Decode implements Header.
func (h *GetTopicsByClusterRequestHeader) Decode(e *ExtFields) error {
	r := fieldReader{e: e}
	h.Cluster = r.str("cluster", true)
	return r.err
}
