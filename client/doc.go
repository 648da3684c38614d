// Package client is a lean Go client for Quiver and Apache RocketMQ
// brokers (remoting protocol, 4.x and 5.x): a Producer, a PullConsumer that
// reads the queues its caller owns and keeps the group's offsets on the
// brokers, and the Admin calls bench/ and tools/ need. It is not a push
// consumer: it does no rebalancing, retry topics or consume threads.
//
// # Usage
//
//	cfg := client.Config{NameServers: []string{"127.0.0.1:9876"}, Group: "bench"}
//	adm, _ := client.NewAdmin(cfg)
//	_ = adm.CreateTopic(ctx, "TopicA", 8)
//
//	p, _ := client.NewProducer(cfg)
//	defer p.Close()
//	m := client.NewMessage("TopicA", body) // QueueID -1: the producer picks
//	m.Tags, m.Keys = "tagA", []string{"order-42"}
//	res, err := p.SendSync(ctx, m)
//	err = p.SendAsync(m, func(res client.SendResult, err error) { ... })
//
//	c, _ := client.NewPullConsumer(cfg)
//	defer c.Close()
//	qs, _ := c.Queues(ctx, "TopicA")
//	off, _ := c.FetchOffset(ctx, qs[0]) // -1: none stored
//	r, err := c.Pull(ctx, qs[0], max(off, 0), 32, 20*time.Second) // long poll
//	... r.Messages ...
//	err = c.CommitOffset(ctx, qs[0], r.NextBeginOffset)
//
// # Wire
//
// Everything goes over one netio.Client per Producer, PullConsumer or
// Admin: Config.ConnsPerAddr connections per address (default 1), each
// pipelining any number of requests. Requests use JSON headers, as
// RocketMQ's own clients do by default. Sends are
// SEND_MESSAGE_V2 and SEND_BATCH_MESSAGE with the properties TAGS, KEYS
// (space-separated), UNIQ_KEY (the client message id, Java's layout),
// WAIT=true and DELAY; pulls carry the subscription "*" (PullFlagSubscription),
// so no heartbeat is needed before the first pull, though the consumer
// heartbeats its group all the same. Bodies are sent uncompressed; pulled
// bodies stored zlib-compressed are inflated.
//
// Routes come from the name servers (GET_ROUTEINFO_BY_TOPIC) on a topic's
// first use and are cached; a background goroutine refreshes them every
// 30 s and, for producers and consumers, heartbeats the group to the
// brokers of the cached routes. A failed send refreshes its topic's route
// at once; a broker that could not be reached is passed over by the default
// queue selection for 10 s.
//
// # Errors
//
// A response code that is an error comes back wrapping a *protocol.Error
// (errors.Is(err, protocol.ErrMessageIllegal)); transport failures wrap
// netio's errors; the client's own refusals wrap the sentinels of
// errors.go. FLUSH_DISK_TIMEOUT, FLUSH_SLAVE_TIMEOUT and
// SLAVE_NOT_AVAILABLE are SendResult statuses, not errors, and
// PULL_NOT_FOUND, PULL_RETRY_IMMEDIATELY and PULL_OFFSET_MOVED are
// PullResult statuses, as in RocketMQ's clients.
//
// # Allocation
//
// SendAsync and SendOneway take their request (command, header, properties
// buffer) from a per-producer pool and encode by appending; message ids
// are carved from 4 KiB chunks. What remains per send is netio's: for an
// asynchronous send, its pending-call record and timer and the copy of the
// response (see BenchmarkSendAsync).
//
// # Concurrency
//
// Producer, PullConsumer and Admin are safe for concurrent use. A Message
// must not be modified while a send of it is in progress (until SendAsync's
// callback runs); it may be sent by several goroutines at once. Pulled
// messages belong to the caller; their bodies may alias one response
// buffer per pull.
package client
