package broker

// The admin request codes: what mqadmin, the dashboard and client-go's
// admin package send to a broker (4.9.4 AdminBrokerProcessor and
// QueryMessageProcessor). One file per family:
//
//	admin_topic.go    UPDATE_AND_CREATE_TOPIC (17), DELETE_TOPIC_IN_BROKER (215),
//	                  GET_ALL_TOPIC_CONFIG (21), GET_TOPIC_STATS_INFO (202),
//	                  QUERY_TOPIC_CONSUME_BY_WHO (300)
//	admin_group.go    UPDATE_AND_CREATE_SUBSCRIPTIONGROUP (200),
//	                  GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201), DELETE_SUBSCRIPTIONGROUP (207),
//	                  GET_CONSUMER_CONNECTION_LIST (203), GET_PRODUCER_CONNECTION_LIST (204),
//	                  GET_CONSUME_STATS (208), GET_ALL_CONSUMER_OFFSET (43),
//	                  CLONE_GROUP_OFFSET (314)
//	admin_message.go  VIEW_MESSAGE_BY_ID (33), QUERY_MESSAGE (12)
//	admin_runtime.go  GET_BROKER_RUNTIME_INFO (28), GET_BROKER_CONFIG (26),
//	                  UPDATE_BROKER_CONFIG (25)
//	admin_client.go   GET_CONSUMER_RUNNING_INFO (307), CONSUME_MESSAGE_DIRECTLY (309),
//	                  relayed to one consumer client
//
// Like every handler these run on the event loops and never block. A change
// that must reach the disk before it is acknowledged (topic and
// subscription-group tables) is applied in memory on the loop, then the
// answer waits for the persistence queue (adminPersist), which writes the
// tables from its own goroutine and answers through the request's
// Responder.

import (
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/quivermq/quiver/broker/conf"
	"github.com/quivermq/quiver/netio"
	"github.com/quivermq/quiver/protocol"
)

// admin holds the admin handlers' state. One is made per Start.
type admin struct {
	*Broker
	// boot is when the handlers were installed, just before the server
	// started listening: GET_BROKER_RUNTIME_INFO's bootTimestamp and the
	// configuration's data version.
	boot    time.Time
	persist *adminPersist
}

// registerAdmin installs the admin handlers (topics, subscription groups,
// message queries, runtime info).
func (b *Broker) registerAdmin(srv *netio.Server) {
	a := &admin{Broker: b, boot: b.now()}
	a.persist = newAdminPersist(a.persistTables, b.log)
	for code, h := range map[protocol.RequestCode]netio.Handler{
		protocol.UpdateAndCreateTopic:   a.updateAndCreateTopic,
		protocol.DeleteTopicInBroker:    a.deleteTopic,
		protocol.GetAllTopicConfig:      a.allTopicConfig,
		protocol.GetTopicStatsInfo:      a.topicStats,
		protocol.QueryTopicConsumeByWho: a.topicConsumedByWho,

		protocol.UpdateAndCreateSubscriptionGroup: a.updateAndCreateSubscriptionGroup,
		protocol.GetAllSubscriptionGroupConfig:    a.allSubscriptionGroups,
		protocol.DeleteSubscriptionGroup:          a.deleteSubscriptionGroup,
		protocol.GetConsumerConnectionList:        a.consumerConnections,
		protocol.GetProducerConnectionList:        a.producerConnections,
		protocol.GetConsumeStats:                  a.consumeStats,
		protocol.GetAllConsumerOffset:             a.allConsumerOffsets,
		protocol.CloneGroupOffset:                 a.cloneGroupOffset,

		protocol.ViewMessageByID: a.viewMessage,
		protocol.QueryMessage:    a.queryMessage,

		protocol.GetBrokerRuntimeInfo: a.runtimeInfo,
		protocol.GetBrokerConfig:      a.brokerConfig,
		protocol.UpdateBrokerConfig:   a.updateBrokerConfig,

		protocol.GetConsumerRunningInfo: a.consumerRunningInfo,
		protocol.ConsumeMessageDirectly: a.consumeMessageDirectly,
	} {
		srv.Register(code, h)
	}
}

// persistTables writes every table an admin request changes: topics,
// subscription groups and consumer offsets. Each Persist writes only if its
// table changed since its last write, so the unchanged ones cost a lock.
func (a *admin) persistTables() error {
	return errors.Join(
		a.topics.Persist(),
		a.subs.Persist(a.configPath("subscriptionGroup.json")),
		a.offsets.Persist(a.configPath("consumerOffset.json")),
	)
}

// refuseOnSlave answers and reports true on a slave: tables are changed on
// the master and copied to its slaves.
func (a *admin) refuseOnSlave(req *netio.Request) bool {
	if a.cfg.BrokerRole != conf.Slave {
		return false
	}
	_ = req.ReplyCode(protocol.SystemError, "can not modify topic or subscription group on a slave broker; run the command against the master")
	return true
}

// answerPersisted answers req with SUCCESS once the tables changed so far
// are on disk (SYSTEM_ERROR naming the failure if writing failed), then
// runs after (if not nil) on the persistence goroutine. The change stays
// in effect in memory when the write fails, as in RocketMQ; the next
// persist retries it.
func (a *admin) answerPersisted(req *netio.Request, what string, after func()) {
	a.answerPersistedWith(req, what, nil, after)
}

// answerPersistedWith is answerPersisted with work done on the persisting
// goroutine once the files are written and before the answer (deleting a
// topic's stored queues); its error is answered as the write's would be.
func (a *admin) answerPersistedWith(req *netio.Request, what string, before func() error, after func()) {
	r := req.Responder()
	ok := a.persist.enqueue(func(err error) {
		if err == nil && before != nil {
			err = before()
		}
		var resp protocol.Command
		resp.Code = int32(protocol.Success)
		if err != nil {
			a.log.Error("admin change applied but not persisted", "op", what, "err", err)
			resp.Code = int32(protocol.SystemError)
			resp.SetRemark(what + " applied in memory but writing it to disk failed: " + err.Error())
		}
		_ = r.Reply(&resp)
		if err == nil && after != nil {
			after()
		}
	})
	if !ok {
		var resp protocol.Command
		resp.Code = int32(protocol.SystemBusy)
		resp.SetRemark(what + " applied in memory, but too many admin changes are waiting to be written; the periodic persist will write it")
		_ = r.Reply(&resp)
	}
}

// kickRegistration asks for a REGISTER_BROKER now (topic changes must reach
// the name servers before clients' next route refresh).
func (a *admin) kickRegistration() {
	if r := a.reg; r != nil {
		r.kick()
	}
}

// maxPersistWaiters bounds the answers waiting for the persistence
// goroutine; past it an admin change is answered SYSTEM_BUSY.
const maxPersistWaiters = 4096

// adminPersist writes the admin tables off the event loops with group
// commit: a change is applied on the loop, then its answer is queued here;
// one goroutine (started on demand, gone when idle) takes every queued
// answer, writes the tables once and answers them all. Each write starts
// after the answers it covers were queued, so it holds their changes.
type adminPersist struct {
	write func() error
	log   *slog.Logger

	mu      sync.Mutex
	waiting []func(error)
	running bool
}

func newAdminPersist(write func() error, log *slog.Logger) *adminPersist {
	return &adminPersist{write: write, log: log}
}

// enqueue queues done to be called with the result of the next write that
// starts after this call. It reports false (and does not queue) when
// maxPersistWaiters answers are already waiting. Safe for concurrent use;
// never blocks on the disk.
func (p *adminPersist) enqueue(done func(error)) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.waiting) >= maxPersistWaiters {
		return false
	}
	p.waiting = append(p.waiting, done)
	if !p.running {
		p.running = true
		go p.run()
	}
	return true
}

func (p *adminPersist) run() {
	for {
		p.mu.Lock()
		ws := p.waiting
		p.waiting = nil
		if len(ws) == 0 {
			p.running = false
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()
		// NB: the waiters were taken before the write starts, so every
		// change they acknowledge is in the tables the write reads.
		err := p.write()
		for _, done := range ws {
			done(err)
		}
	}
}
