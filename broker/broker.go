package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quivermq/quiver/broker/conf"
	"github.com/quivermq/quiver/broker/filter"
	"github.com/quivermq/quiver/broker/group"
	"github.com/quivermq/quiver/broker/topics"
	"github.com/quivermq/quiver/engine"
	"github.com/quivermq/quiver/message"
	"github.com/quivermq/quiver/netio"
)

// Options are what a Broker takes besides broker.conf.
type Options struct {
	// ListenAddr, if set, replaces the listen address ":<listenPort>"
	// (every interface, as RocketMQ binds). Tests use "127.0.0.1:0".
	ListenAddr string
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Engine, if set, adjusts the engine's configuration after it was
	// derived from broker.conf (tests shorten intervals with it).
	Engine func(*engine.Config)
	// Clock gives the time for expiry and timestamps. Default time.Now.
	Clock func() time.Time
}

// Broker is a RocketMQ broker: the remoting server, the storage engine and
// the state the request handlers share.
type Broker struct {
	cfg   *conf.Config
	opts  Options
	log   *slog.Logger
	now   func() time.Time
	store *engine.Store
	srv   *netio.Server

	topics   *topics.Manager
	clients  *group.Registry
	offsets  *group.Offsets
	subs     *group.SubscriptionGroups
	locks    *group.Locks
	persists []*group.Persister

	holds *holds
	count counters
	sched *scheduler
	tx    *txChecker
	timer *timerService

	// addr is brokerIP1:port, the address registered with the name
	// servers; storeHost the same as a message.Host, written into records
	// and message ids. Set by Start once the port is known; handlers may
	// run before that (a client reconnecting at once), so storeHost is
	// loaded atomically and a send before it is set is refused.
	addr      string
	storeHost atomic.Pointer[message.Host]

	// conns maps netio connections to the client handles the group
	// registry keeps.
	conns sync.Map // *netio.Conn -> *client

	quit chan struct{}
	wg   sync.WaitGroup
	reg  *registrar
}

// New opens the store and the persisted tables under storePathRootDir. It
// does not listen yet: see Start.
func New(cfg *conf.Config, opts Options) (*Broker, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	b := &Broker{cfg: cfg, opts: opts, log: opts.Logger, now: opts.Clock, quit: make(chan struct{})}
	b.holds = newHolds(b)
	b.reg = newRegistrar(b) // before any handler can kick it

	gcfg := group.DefaultConfig()
	gcfg.AutoCreateSubscriptionGroup = cfg.AutoCreateSubscriptionGroup
	gcfg.ClientExpiry = cfg.ClientChannelMaxIdleTime
	gcfg.Now = opts.Clock
	gcfg.Logger = b.log
	gcfg.CompileSQL92 = func(expr string) (any, error) {
		e, err := filter.Compile(expr)
		if err != nil {
			return nil, err
		}
		return e, nil
	}
	b.clients = group.NewRegistry(gcfg)
	b.offsets = group.NewOffsets(gcfg)
	b.subs = group.NewSubscriptionGroups(gcfg)
	b.locks = group.NewLocks(gcfg)

	topt := topics.DefaultOptions(cfg.BrokerName)
	topt.Path = b.configPath("topics.json")
	topt.ClusterName = cfg.BrokerClusterName
	topt.AutoCreateTopicEnable = cfg.AutoCreateTopicEnable
	topt.ClusterTopicEnable = cfg.ClusterTopicEnable
	topt.BrokerTopicEnable = cfg.BrokerTopicEnable
	topt.TraceTopicEnable = cfg.TraceTopicEnable
	if cfg.MsgTraceTopicName != "" {
		topt.TraceTopicName = cfg.MsgTraceTopicName
	}
	topt.BrokerPermission = int32(cfg.BrokerPermission)
	topt.Clock = opts.Clock
	topt.Logger = b.log
	topt.DeferPersist = true // persisted off the event loops, on Changed
	var err error
	if b.topics, err = topics.New(topt); err != nil {
		return nil, err
	}
	if err := b.topics.Load(); err != nil {
		return nil, err
	}
	if err := b.offsets.Load(b.configPath("consumerOffset.json")); err != nil {
		return nil, err
	}
	if err := b.subs.Load(b.configPath("subscriptionGroup.json")); err != nil {
		return nil, err
	}
	b.sched = newScheduler(b, cfg.DelayLevels, b.configPath("delayOffset.json"))
	if err := b.sched.load(); err != nil {
		return nil, err
	}

	ecfg := cfg.EngineConfig()
	ecfg.Logger = b.log
	ecfg.Notify = b.notify
	if opts.Clock != nil {
		ecfg.Clock = opts.Clock
	}
	if opts.Engine != nil {
		opts.Engine(&ecfg)
	}
	if b.store, err = engine.Open(ecfg); err != nil {
		return nil, err
	}
	if rep := b.store.Report(); rep != nil && rep.Err() != nil {
		b.log.Error("commit log recovery found corrupt ranges; the records in them are not served", "err", rep.Err())
	}
	if b.timer, err = openTimerService(b); err != nil {
		_ = b.store.Close()
		return nil, err
	}
	b.tx = newTxChecker(b, b.configPath("transCheck.json"))
	if err := b.tx.load(); err != nil {
		_ = b.store.Close()
		return nil, err
	}
	b.log.Info("store opened", "dir", ecfg.Dir, "unclean", b.store.Unclean(), "start", b.store.StartTime(),
		"writeMode", ecfg.CommitLog.WriteMode, "flush", ecfg.CommitLog.FlushMode, "cacheWindow", ecfg.CommitLog.CacheWindow)
	return b, nil
}

func (b *Broker) configPath(name string) string {
	return filepath.Join(b.cfg.StorePathRootDir, "config", name)
}

// Start listens, registers with the name servers and starts the periodic
// work (registration, offset persistence, client expiry, pull timeouts).
func (b *Broker) Start() error {
	sc := b.cfg.ServerConfig()
	if b.opts.ListenAddr != "" {
		sc.Addr = b.opts.ListenAddr
	}
	sc.Logger = b.log
	sc.OnClose = b.connClosed
	srv, err := netio.NewServer(sc)
	if err != nil {
		return err
	}
	b.srv = srv
	b.register(srv)
	if err := srv.Start(); err != nil {
		return err
	}
	port := b.cfg.ListenPort
	if ta, ok := srv.Addr().(*net.TCPAddr); ok {
		port = ta.Port
	}
	b.addr = net.JoinHostPort(b.cfg.BrokerIP1, strconv.Itoa(port))
	ap, err := netip.ParseAddrPort(b.addr)
	if err != nil {
		_ = srv.Close()
		return fmt.Errorf("broker: brokerIP1 %q is not an IP address: %w", b.cfg.BrokerIP1, err)
	}
	sh := message.HostFrom(ap)
	b.storeHost.Store(&sh)
	b.log.Info("broker started", "cluster", b.cfg.BrokerClusterName, "broker", b.cfg.BrokerName,
		"id", b.cfg.BrokerID, "addr", b.addr, "listen", srv.Addr().String(), "flush", b.cfg.FlushDiskType)

	b.persists = append(b.persists,
		group.StartPersister(b.cfg.FlushConsumerOffsetInterval, func() error {
			return b.offsets.Persist(b.configPath("consumerOffset.json"))
		}, b.log),
		group.StartPersister(10*time.Second, func() error {
			return b.subs.Persist(b.configPath("subscriptionGroup.json"))
		}, b.log))
	b.holds.start()
	b.sched.start()
	b.tx.start()
	b.timer.start()
	b.persists = append(b.persists, group.StartPersister(10*time.Second, b.sched.persist, b.log))
	b.wg.Add(1)
	go b.housekeeping()
	b.reg.start()
	return nil
}

// Addr returns brokerIP1:port, the address clients reach this broker at.
func (b *Broker) Addr() string { return b.addr }

// Store returns the storage engine (for tests and tools in-process).
func (b *Broker) Store() *engine.Store { return b.store }

// Shutdown unregisters from the name servers, stops accepting requests,
// answers parked pulls, waits for requests in flight (or ctx), persists the
// tables and closes the store.
func (b *Broker) Shutdown(ctx context.Context) error {
	var errs []error
	if b.reg != nil {
		b.reg.stop(ctx)
	}
	close(b.quit)
	b.holds.stop()
	if b.srv != nil {
		errs = append(errs, b.srv.Shutdown(ctx))
	}
	b.wg.Wait()
	errs = append(errs, b.sched.stop(), b.tx.stop(), b.timer.stop())
	for _, p := range b.persists {
		errs = append(errs, p.Close())
	}
	errs = append(errs, b.topics.Persist())
	errs = append(errs, b.store.Close())
	return errors.Join(errs...)
}

// housekeeping expires idle clients, their queue locks, and persists topic
// changes off the event loops.
func (b *Broker) housekeeping() {
	defer b.wg.Done()
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-b.quit:
			return
		case <-b.topics.Changed():
			if err := b.topics.Persist(); err != nil {
				b.log.Error("persist topics", "err", err)
			}
			b.reg.kick()
		case <-t.C:
			groups, gone := b.clients.Expire(b.now())
			for _, c := range gone {
				b.log.Info("client expired: no heartbeat", "client", c.(*client).remote)
				_ = c.(*client).conn.Close()
			}
			b.notifyIDsChanged(groups)
			b.locks.Expire(b.now())
		}
	}
}

// notify is the engine's Config.Notify: (topic, queueID) has records up to
// maxOffset. It wakes the parked pulls of that queue and, for the schedule
// topic, the scheduler. It runs on the dispatcher goroutine.
func (b *Broker) notify(topic string, queueID int32, maxOffset int64) {
	switch topic {
	case topics.TopicSchedule:
		b.sched.kick()
	case timerTopic:
		b.timer.kick()
	}
	b.holds.notify(topic, queueID, maxOffset)
}
