// Package group holds the broker's client-group state: which clients are
// in which consumer and producer groups and what they subscribe to, the
// consumer offsets, the subscription-group configurations and the
// orderly-consumption queue locks. It is pure state and persistence, no
// sockets: the broker's request handlers call it and do the I/O.
//
//	Registry            HEART_BEAT, UNREGISTER_CLIENT, connection close, expiry scan
//	  Consumers         consumer groups: clients, subscriptions (parsed filters)
//	  Producers         producer groups: clients; Pick for transaction checks
//	Offsets             consumer offsets, config/consumerOffset.json
//	SubscriptionGroups  group configs, config/subscriptionGroup.json
//	Locks               LOCK_BATCH_MQ / UNLOCK_BATCH_MQ
//	Persister           periodic persist with a final flush at Close
//
// Usage sketch (the broker's side):
//
//	cfg := group.DefaultConfig()
//	reg := group.NewRegistry(cfg)
//	offsets := group.NewOffsets(cfg)
//	if err := offsets.Load(filepath.Join(root, "config", "consumerOffset.json")); err != nil { ... }
//	p := group.StartPersister(5*time.Second, func() error { return offsets.Persist(path) }, nil)
//	defer p.Close()
//
//	// HEART_BEAT
//	for _, ch := range reg.Heartbeat(conn, cmd.Language, cmd.Version, &hb) {
//		sg, _ := groups.Find(ch.Group)
//		if ch.Notify() && sg.NotifyConsumerIDsChangedEnable {
//			for _, h := range reg.Consumers.Handles(ch.Group) { ... NOTIFY_CONSUMER_IDS_CHANGED ... }
//		}
//	}
//	// PULL_MESSAGE
//	sub, ok := reg.Consumers.Subscription(hdr.ConsumerGroup, hdr.Topic)
//	... sub.MatchTagsCode(entry.TagsCode) ...
//
// # Clients
//
// A connection is identified by the caller's handle (Client, by its ID)
// and the client id of its heartbeats ("ip@pid"). A consumer group's
// client set is the set of client ids of its connections; GroupChange and
// the lists returned by ConnectionClosed and Expire report changes of that
// set, which is what decides a rebalance.
//
// # Files
//
// consumerOffset.json and subscriptionGroup.json are RocketMQ's files,
// read from a Java broker's store (fastjson's bare numeric keys included)
// and written as standard JSON that Java also reads. Each write keeps the
// previous file as <name>.bak and loading falls back to it, as RocketMQ
// does; see persist.go.
//
// # Concurrency
//
// Every type is safe for concurrent use by any number of goroutines. The
// pull path's reads (Consumers.Subscription, Consumers.Lookup,
// SubscriptionGroups.Get/Find of an existing group) take no lock and do not
// allocate: writers publish immutable copy-on-write snapshots through
// atomic pointers. Other operations take one mutex per type for a short
// time; none is held across file I/O except the persist mutex below, and
// none calls back into the caller (Config.CompileSQL92 excepted, which
// runs under the Consumers mutex).
//
// Lock order: a type's persist mutex (filePersister.mu), then its data
// mutex (Offsets.mu, SubscriptionGroups.mu). Registry takes the Producers
// and Consumers mutexes one at a time. No lock of this package is held
// while a lock of another is taken.
package group
