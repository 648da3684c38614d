// Package namesrv is Quiver's name server: the route table brokers register
// into and clients read routes from, broker liveness, and the KV config,
// served over netio with RocketMQ 4.9.4's request codes and semantics
// (spec/rocketmq-wire.md section 3).
//
// # Usage
//
//	cfg, _, err := namesrv.LoadConfigFile("namesrv.properties", logger) // or DefaultConfig()
//	srv, err := namesrv.New(cfg)
//	err = srv.Start()           // listens on cfg.ListenAddr (":9876")
//	...
//	err = srv.Shutdown(ctx)
//
// # Tables
//
// Like RocketMQ's RouteInfoManager, the route table (routes.go) holds
//
//	topic       -> queue data per broker name {perm, read/write queue nums, topicSysFlag}
//	broker name -> {cluster, broker id -> address}      (id 0 is the master)
//	cluster     -> broker names
//	broker addr -> {last registration, DataVersion, connection, HA address}
//
// REGISTER_BROKER fills them: every broker id gets its address (an address
// moving to another id, a promoted slave, leaves its old id), and only a
// master whose DataVersion changed, or that registers for the first time,
// rewrites its queue data. A broker leaves by UNREGISTER_BROKER, when the
// connection it registered on closes, or when the scan (every
// ScanInterval, 10 s) finds it silent for BrokerExpiry (120 s); a broker
// name left without addresses leaves its cluster and its topics, and a
// topic left without queue data is gone. Unlike Java, an expired broker's
// connection is not closed: the idle timeout does that.
//
// GET_ROUTEINFO_BY_TOPIC is answered from the table under its read lock,
// appending compact standard JSON (quoted broker ids, fastjson's field
// order, queueDatas and brokerAddrs always present) into a pooled buffer;
// a topic without queue data or without a known broker is TOPIC_NOT_EXIST
// with the remark "No topic route info in name server for the topic: X".
// Lists (topics, clusters) are sorted so that answers are deterministic.
//
// The KV config (kv.go) is namespace -> key -> value, persisted whole to
// KVConfigPath as {"configTable":{ns:{key:value}}} with an atomic replace
// (write a temporary, fsync, rename, fsync the directory), and loaded at
// New; a file that exists but does not decode stops New rather than being
// overwritten. The ORDER_TOPIC_CONFIG namespace is returned to brokers in
// the REGISTER_BROKER answer and, with OrderMessageEnable, added to routes
// as orderTopicConf.
//
// # Concurrency
//
// Handlers run inline on netio's event loops, several at once. The route
// table is guarded by one RWMutex (reads dominate: route lookups every
// 30 s per client and topic; registrations every 30 s per broker); the KV
// table by another. Neither lock is held while calling out, and they are
// never held together. Event loops never wait for the disk: PUT_KV_CONFIG
// and DELETE_KV_CONFIG change the table, then hand their answer to a
// persister goroutine that writes the file once for all the changes
// waiting and answers them (a change is acknowledged only once durable).
// The expiry scan runs on its own goroutine. Server methods are safe for
// concurrent use.
package namesrv
