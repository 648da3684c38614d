package namesrv

// Request handlers, one per code (RocketMQ 4.9.4
// DefaultRequestProcessor). They run inline on netio event loops: they
// take the route table's lock briefly and never touch the disk; KV changes
// are answered by the persister once written (kv.go).

import (
	"errors"
	"strconv"

	"github.com/quivermq/quiver/netio"
	"github.com/quivermq/quiver/protocol"
)

// register installs every handler in one table.
func (s *Server) register() {
	for _, h := range []struct {
		code protocol.RequestCode
		fn   netio.Handler
	}{
		{protocol.PutKVConfig, s.putKVConfig},
		{protocol.GetKVConfig, s.getKVConfig},
		{protocol.DeleteKVConfig, s.deleteKVConfig},
		{protocol.GetKVListByNamespace, s.getKVListByNamespace},
		{protocol.RegisterBroker, s.registerBroker},
		{protocol.UnregisterBroker, s.unregisterBroker},
		{protocol.QueryDataVersion, s.queryDataVersion},
		{protocol.GetRouteInfoByTopic, s.getRouteInfoByTopic},
		{protocol.GetBrokerClusterInfo, s.getBrokerClusterInfo},
		{protocol.WipeWritePermOfBroker, s.wipeWritePermOfBroker},
		{protocol.AddWritePermOfBroker, s.addWritePermOfBroker},
		{protocol.GetAllTopicListFromNameserver, s.getAllTopicList},
		{protocol.DeleteTopicInNamesrv, s.deleteTopicInNamesrv},
		{protocol.GetTopicsByCluster, s.getTopicsByCluster},
		{protocol.GetSystemTopicListFromNs, s.getSystemTopicList},
		{protocol.GetUnitTopicList, s.unitTopicList(func(f int32) bool { return f&topicFlagUnit != 0 })},
		{protocol.GetHasUnitSubTopicList, s.unitTopicList(func(f int32) bool { return f&topicFlagUnitSub != 0 })},
		{protocol.GetHasUnitSubUnunitTopicList, s.unitTopicList(func(f int32) bool {
			return f&topicFlagUnit == 0 && f&topicFlagUnitSub != 0
		})},
		{protocol.GetNamesrvConfig, s.getNamesrvConfig},
		// NB: UPDATE_NAMESRV_CONFIG (318) is deliberately not served: Java's
		// lets any peer rewrite configStorePath and so write files
		// (CVE-2023-37582). netio answers it REQUEST_CODE_NOT_SUPPORTED.
	} {
		s.net.Register(h.code, h.fn)
	}
}

// replyErr answers with the code and remark protocol.ResponseFor gives err
// (an *protocol.Error's own, SYSTEM_ERROR with the text otherwise).
func replyErr(req *netio.Request, err error) {
	code, remark := protocol.ResponseFor(err)
	_ = req.ReplyCode(code, remark) // an encode error is logged by netio
}

// replyBody answers SUCCESS with v encoded as a JSON body.
func replyBody(req *netio.Request, v any) {
	body, err := protocol.MarshalBody(v)
	if err != nil {
		replyErr(req, err)
		return
	}
	resp := req.Response(protocol.Success)
	resp.Body = body
	_ = req.Reply(resp)
}

func replyOK(req *netio.Request) { _ = req.ReplyCode(protocol.Success, "") }

// errEmptyField is a required header field that is present but empty.
func errEmptyField(name string) error {
	return protocol.NewError(protocol.SystemError, "the custom field <"+name+"> is empty")
}

// ---- REGISTER_BROKER (103) ----

// registerBroker adds or refreshes a broker. The body (plain JSON or the
// zlib form, per the compressed flag) is checked against bodyCrc32 when
// that is not 0; an empty body registers no topics with DataVersion {0,0}
// (as Java does with a null body). Only a master (id 0) whose DataVersion
// changed, or that registers for the first time, rebuilds its queue data.
// A slave is told its master's address and HA address when the master is
// alive. The body of the answer is the ORDER_TOPIC_CONFIG KV namespace as
// a KVTable, or nothing.
func (s *Server) registerBroker(req *netio.Request) {
	cmd := req.Command()
	var h protocol.RegisterBrokerRequestHeader
	if err := h.Decode(&cmd.Ext); err != nil {
		replyErr(req, err)
		return
	}
	switch {
	case h.BrokerName == "":
		replyErr(req, errEmptyField("brokerName"))
		return
	case h.BrokerAddr == "":
		replyErr(req, errEmptyField("brokerAddr"))
		return
	case h.ClusterName == "":
		replyErr(req, errEmptyField("clusterName"))
		return
	case h.BrokerID < 0:
		replyErr(req, protocol.NewError(protocol.SystemError, "the custom field <brokerId> is negative: "+strconv.FormatInt(h.BrokerID, 10)))
		return
	}
	if !protocol.CheckBodyCRC32(cmd.Body, h.BodyCRC32) {
		s.log.Warn("namesrv: register broker body crc32 mismatch", "brokerName", h.BrokerName, "brokerAddr", h.BrokerAddr,
			"remote", req.RemoteAddr(), "headerCrc32", h.BodyCRC32, "bodyCrc32", protocol.BodyCRC32(cmd.Body))
		_ = req.ReplyCode(protocol.SystemError, "crc32 not match")
		return
	}
	r := registration{
		cluster: h.ClusterName,
		name:    h.BrokerName,
		addr:    h.BrokerAddr,
		haAddr:  h.HAServerAddr,
		id:      h.BrokerID,
		now:     s.nowMillis(),
	}
	if len(cmd.Body) > 0 {
		body, err := protocol.DecodeRegisterBrokerBody(cmd.Body, h.Compressed)
		if err != nil {
			s.log.Warn("namesrv: malformed register broker body", "brokerName", h.BrokerName, "remote", req.RemoteAddr(), "err", err)
			replyErr(req, protocol.NewError(protocol.SystemError, "malformed register broker body: "+err.Error()))
			return
		}
		r.dataVersion = body.TopicConfigSerializeWrapper.DataVersion
		r.topics = body.TopicConfigSerializeWrapper.TopicConfigTable
		for name, tc := range r.topics {
			if tc.TopicName == "" { // the JSON form keys the table by name
				tc.TopicName = name
				r.topics[name] = tc
			}
		}
	}
	if c := req.Conn(); c != nil {
		r.connID = c.ID()
	}
	res := s.routes.register(&r)
	if res.newBroker {
		s.log.Info("namesrv: new broker registered", "cluster", h.ClusterName, "brokerName", h.BrokerName,
			"brokerId", h.BrokerID, "brokerAddr", h.BrokerAddr, "haServerAddr", h.HAServerAddr, "topics", len(r.topics))
	} else if res.queuesRebuilt {
		s.log.Debug("namesrv: broker topic config changed", "brokerName", h.BrokerName, "brokerAddr", h.BrokerAddr,
			"dataVersion", r.dataVersion, "topics", len(r.topics))
	}

	resp := req.Response(protocol.Success)
	(&protocol.RegisterBrokerResponseHeader{HAServerAddr: res.haServerAddr, MasterAddr: res.masterAddr}).Encode(&resp.Ext)
	if m := s.kv.list(NamespaceOrderTopicConfig); m != nil {
		body, err := protocol.MarshalBody(protocol.KVTable{Table: m})
		if err != nil {
			replyErr(req, err)
			return
		}
		resp.Body = body
	}
	_ = req.Reply(resp)
}

// ---- UNREGISTER_BROKER (104) ----

// unregisterBroker removes one broker id; a broker name left without
// addresses leaves its cluster and its topics' routes.
func (s *Server) unregisterBroker(req *netio.Request) {
	var h protocol.BrokerIdentityHeader
	if err := h.Decode(&req.Command().Ext); err != nil {
		replyErr(req, err)
		return
	}
	gone := s.routes.unregister(h.ClusterName, h.BrokerName, h.BrokerAddr, h.BrokerID)
	s.log.Info("namesrv: broker unregistered", "cluster", h.ClusterName, "brokerName", h.BrokerName,
		"brokerId", h.BrokerID, "brokerAddr", h.BrokerAddr, "brokerNameRemoved", gone)
	replyOK(req)
}

// ---- QUERY_DATA_VERSION (322) ----

// queryDataVersion tells a broker whether its DataVersion (the body)
// differs from the one it registered; an unchanged one counts as a sign of
// life. The answer's body is the stored DataVersion, if any.
func (s *Server) queryDataVersion(req *netio.Request) {
	cmd := req.Command()
	var h protocol.BrokerIdentityHeader
	if err := h.Decode(&cmd.Ext); err != nil {
		replyErr(req, err)
		return
	}
	if len(cmd.Body) == 0 {
		replyErr(req, protocol.NewError(protocol.SystemError, "QUERY_DATA_VERSION without a DataVersion body"))
		return
	}
	var dv protocol.DataVersion
	if err := protocol.UnmarshalBody(cmd.Body, &dv); err != nil {
		replyErr(req, protocol.NewError(protocol.SystemError, "malformed DataVersion body: "+err.Error()))
		return
	}
	changed, stored := s.routes.queryDataVersion(h.BrokerAddr, dv, s.nowMillis())
	resp := req.Response(protocol.Success)
	(&protocol.QueryDataVersionResponseHeader{Changed: changed}).Encode(&resp.Ext)
	if stored != nil {
		body, err := protocol.MarshalBody(stored)
		if err != nil {
			replyErr(req, err)
			return
		}
		resp.Body = body
	}
	_ = req.Reply(resp)
}

// ---- GET_ROUTEINFO_BY_TOPIC (105) ----

// getRouteInfoByTopic answers the topic's TopicRouteData, or
// TOPIC_NOT_EXIST when no live broker serves it. The body is encoded
// straight from the table into a pooled buffer (json.go).
func (s *Server) getRouteInfoByTopic(req *netio.Request) {
	var h protocol.GetRouteInfoRequestHeader
	if err := h.Decode(&req.Command().Ext); err != nil {
		replyErr(req, err)
		return
	}
	var orderConf string
	if s.cfg.OrderMessageEnable {
		orderConf, _ = s.kv.get(NamespaceOrderTopicConfig, h.Topic)
	}
	bp, _ := s.bufs.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	body, ok := s.routes.appendRoute((*bp)[:0], h.Topic, orderConf)
	if ok {
		resp := req.Response(protocol.Success)
		resp.Body = body
		_ = req.Reply(resp) // encodes resp before returning: body is free again
	} else {
		_ = req.ReplyCode(protocol.TopicNotExist, "No topic route info in name server for the topic: "+h.Topic)
	}
	if cap(body) <= 64<<10 { // drop oversize buffers instead of pooling them
		*bp = body[:0]
		s.bufs.Put(bp)
	}
}

// ---- GET_BROKER_CLUSTER_INFO (106) ----

func (s *Server) getBrokerClusterInfo(req *netio.Request) {
	replyBody(req, s.routes.clusterInfo())
}

// ---- WIPE_WRITE_PERM_OF_BROKER (205), ADD_WRITE_PERM_OF_BROKER (327) ----

func (s *Server) wipeWritePermOfBroker(req *netio.Request) {
	var h protocol.BrokerNameHeader
	if err := h.Decode(&req.Command().Ext); err != nil {
		replyErr(req, err)
		return
	}
	n := s.routes.setWritePerm(h.BrokerName, true)
	s.log.Info("namesrv: wiped write perm of broker", "brokerName", h.BrokerName, "topics", n, "remote", req.RemoteAddr())
	resp := req.Response(protocol.Success)
	(&protocol.WipeWritePermOfBrokerResponseHeader{WipeTopicCount: int32(n)}).Encode(&resp.Ext)
	_ = req.Reply(resp)
}

func (s *Server) addWritePermOfBroker(req *netio.Request) {
	var h protocol.BrokerNameHeader
	if err := h.Decode(&req.Command().Ext); err != nil {
		replyErr(req, err)
		return
	}
	n := s.routes.setWritePerm(h.BrokerName, false)
	s.log.Info("namesrv: added write perm of broker", "brokerName", h.BrokerName, "topics", n, "remote", req.RemoteAddr())
	resp := req.Response(protocol.Success)
	(&protocol.AddWritePermOfBrokerResponseHeader{AddTopicCount: int32(n)}).Encode(&resp.Ext)
	_ = req.Reply(resp)
}

// ---- topic lists: 206, 216, 224, 304, 311-313 ----

func (s *Server) getAllTopicList(req *netio.Request) {
	replyBody(req, protocol.TopicList{TopicList: s.routes.topicNames()})
}

// deleteTopicInNamesrv drops a topic's route (only the given cluster's
// brokers' part when clusterName is set). Deleting an unknown topic
// succeeds.
func (s *Server) deleteTopicInNamesrv(req *netio.Request) {
	var h protocol.DeleteTopicFromNamesrvRequestHeader
	if err := h.Decode(&req.Command().Ext); err != nil {
		replyErr(req, err)
		return
	}
	if s.routes.deleteTopic(h.Topic, h.ClusterName) {
		s.log.Info("namesrv: topic deleted", "topic", h.Topic, "cluster", h.ClusterName, "remote", req.RemoteAddr())
	}
	replyOK(req)
}

func (s *Server) getTopicsByCluster(req *netio.Request) {
	var h protocol.GetTopicsByClusterRequestHeader
	if err := h.Decode(&req.Command().Ext); err != nil {
		replyErr(req, err)
		return
	}
	replyBody(req, protocol.TopicList{TopicList: s.routes.topicsOfCluster(h.Cluster)})
}

func (s *Server) getSystemTopicList(req *netio.Request) {
	topics, addr := s.routes.systemTopics()
	replyBody(req, protocol.TopicList{TopicList: topics, BrokerAddr: addr})
}

// unitTopicList answers the topics whose (first) queue data's
// topicSysFlag satisfies keep.
func (s *Server) unitTopicList(keep func(flag int32) bool) netio.Handler {
	return func(req *netio.Request) {
		topics := s.routes.topicsWhere(func(qds []protocol.QueueData) bool {
			return len(qds) > 0 && keep(qds[0].TopicSysFlag)
		})
		replyBody(req, protocol.TopicList{TopicList: topics})
	}
}

// ---- GET_NAMESRV_CONFIG (319) ----

// getNamesrvConfig answers the configuration as Java's
// MixAll.properties2String writes it: "key=value\n" per key, with the
// bound listen address. Keys Quiver ignores show Java's defaults.
func (s *Server) getNamesrvConfig(req *netio.Request) {
	cfg := s.cfg
	if a := s.net.Addr(); a != nil {
		cfg.ListenAddr = a.String()
	}
	var body []byte
	for _, st := range settings(&cfg, nil) {
		body = append(body, st.Key...)
		body = append(body, '=')
		body = append(body, st.Value...)
		body = append(body, '\n')
	}
	resp := req.Response(protocol.Success)
	resp.Body = body
	_ = req.Reply(resp)
}

// ---- KV config: 100, 101, 102, 219 ----

// putKVConfig stores a value and answers once the KV file holds it.
func (s *Server) putKVConfig(req *netio.Request) {
	var h protocol.PutKVConfigRequestHeader
	if err := h.Decode(&req.Command().Ext); err != nil {
		replyErr(req, err)
		return
	}
	if h.Namespace == "" || h.Key == "" {
		replyErr(req, errEmptyField("namespace or key"))
		return
	}
	s.kv.put(h.Namespace, h.Key, h.Value)
	s.log.Info("namesrv: KV config put", "namespace", h.Namespace, "key", h.Key, "value", h.Value, "remote", req.RemoteAddr())
	s.answerWhenPersisted(req)
}

// getKVConfig answers the value, or QUERY_NOT_FOUND.
func (s *Server) getKVConfig(req *netio.Request) {
	var h protocol.KVConfigKeyHeader
	if err := h.Decode(&req.Command().Ext); err != nil {
		replyErr(req, err)
		return
	}
	v, ok := s.kv.get(h.Namespace, h.Key)
	if !ok {
		_ = req.ReplyCode(protocol.QueryNotFound, "No config item, Namespace: "+h.Namespace+" Key: "+h.Key)
		return
	}
	resp := req.Response(protocol.Success)
	resp.Ext.AddString("value", v) // also when "": the key exists
	_ = req.Reply(resp)
}

// deleteKVConfig removes a key (absent keys succeed) and answers once the
// KV file no longer holds it.
func (s *Server) deleteKVConfig(req *netio.Request) {
	var h protocol.KVConfigKeyHeader
	if err := h.Decode(&req.Command().Ext); err != nil {
		replyErr(req, err)
		return
	}
	if !s.kv.delete(h.Namespace, h.Key) {
		replyOK(req)
		return
	}
	s.log.Info("namesrv: KV config deleted", "namespace", h.Namespace, "key", h.Key, "remote", req.RemoteAddr())
	s.answerWhenPersisted(req)
}

// getKVListByNamespace answers the namespace as a KVTable, or
// QUERY_NOT_FOUND when it is empty.
func (s *Server) getKVListByNamespace(req *netio.Request) {
	var h protocol.GetKVListByNamespaceRequestHeader
	if err := h.Decode(&req.Command().Ext); err != nil {
		replyErr(req, err)
		return
	}
	m := s.kv.list(h.Namespace)
	if m == nil {
		_ = req.ReplyCode(protocol.QueryNotFound, "No config item, Namespace: "+h.Namespace)
		return
	}
	replyBody(req, protocol.KVTable{Table: m})
}

// answerWhenPersisted detaches req and answers it from the persister:
// SUCCESS once the KV file is written, SYSTEM_ERROR if the write failed
// (the change stays in memory; the next successful write saves it).
func (s *Server) answerWhenPersisted(req *netio.Request) {
	r := req.Responder()
	s.kv.persist(func(err error) {
		resp := &protocol.Command{
			Code:     int32(protocol.Success),
			Language: protocol.LangJava,
			Version:  protocol.CurrentVersion,
		}
		if err != nil {
			resp.Code = int32(protocol.SystemError)
			resp.SetRemark("cannot persist KV config: " + err.Error())
		}
		if err := r.Reply(resp); err != nil && !errors.Is(err, netio.ErrAlreadyAnswered) {
			s.log.Debug("namesrv: KV config answer not delivered", "remote", r.RemoteAddr(), "err", err)
		}
	})
}
