package broker

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/quivermq/quiver/netio"
	"github.com/quivermq/quiver/protocol"
)

// registrar keeps the broker registered with every name server: at start,
// every registerNameServerPeriod, and at once when the topic table changes
// (a topic created on send must be routable before the producer's next
// route refresh). UNREGISTER_BROKER goes out on clean shutdown.
type registrar struct {
	b     *Broker
	cl    *netio.Client
	kickc chan struct{}
	quit  chan struct{}
	wg    sync.WaitGroup
}

func newRegistrar(b *Broker) *registrar {
	return &registrar{b: b, kickc: make(chan struct{}, 1), quit: make(chan struct{})}
}

func (r *registrar) start() {
	if len(r.b.cfg.NamesrvAddr) == 0 {
		r.b.log.Warn("namesrvAddr is empty: the broker registers with no name server, clients cannot find it")
		return
	}
	cc := netio.DefaultClientConfig()
	cc.Logger = r.b.log
	cc.DefaultTimeout = r.b.cfg.RegisterBrokerTimeout
	cl, err := netio.NewClient(cc)
	if err != nil {
		r.b.log.Error("name server client", "err", err)
		return
	}
	r.cl = cl
	// The first registration before Start returns, as RocketMQ's
	// BrokerController.start does: once the broker says it is up, its
	// topics (TBW102 for auto-creation among them) are routable.
	r.registerAll()
	r.wg.Add(1)
	go r.loop()
}

// kick asks for a registration now.
func (r *registrar) kick() {
	select {
	case r.kickc <- struct{}{}:
	default:
	}
}

func (r *registrar) loop() {
	defer r.wg.Done()
	period := r.b.cfg.RegisterNameServerPeriod
	if period <= 0 {
		period = 30 * time.Second
	}
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-r.quit:
			return
		case <-t.C:
		case <-r.kickc:
		}
		r.registerAll()
	}
}

// registerAll sends REGISTER_BROKER to every name server at once and waits
// for the answers (or their timeout).
func (r *registrar) registerAll() {
	b := r.b
	body := protocol.RegisterBrokerBody{TopicConfigSerializeWrapper: b.topics.ForRegistration()}
	data, err := protocol.EncodeRegisterBrokerBody(&body, b.cfg.CompressedRegister)
	if err != nil {
		b.log.Error("encode register body", "err", err)
		return
	}
	var wg sync.WaitGroup
	for _, addr := range b.cfg.NamesrvAddr {
		var cmd protocol.Command
		cmd.NewRequest(protocol.RegisterBroker)
		h := protocol.RegisterBrokerRequestHeader{
			BrokerName: b.cfg.BrokerName, BrokerAddr: b.addr, ClusterName: b.cfg.BrokerClusterName,
			HAServerAddr: b.cfg.BrokerIP2 + ":" + strconv.Itoa(b.cfg.HAListenPort), BrokerID: b.cfg.BrokerID,
			Compressed: b.cfg.CompressedRegister, BodyCRC32: protocol.BodyCRC32(data),
		}
		h.Encode(&cmd.Ext)
		cmd.Body = data
		wg.Add(1)
		err := r.cl.InvokeAsync(addr, &cmd, b.cfg.RegisterBrokerTimeout, func(resp *protocol.Command, err error) {
			defer wg.Done()
			if err == nil {
				err = protocol.ErrorFromResponse(resp)
			}
			if err != nil {
				b.log.Warn("register broker with name server failed", "namesrv", addr, "err", err)
				return
			}
			b.log.Debug("registered with name server", "namesrv", addr, "topics", len(body.TopicConfigSerializeWrapper.TopicConfigTable))
		})
		if err != nil {
			wg.Done()
			b.log.Warn("register broker with name server failed", "namesrv", addr, "err", err)
		}
	}
	wg.Wait()
}

// stop ends the loop and sends UNREGISTER_BROKER to every name server
// (bounded by ctx).
func (r *registrar) stop(ctx context.Context) {
	if r.cl == nil {
		return
	}
	close(r.quit)
	r.wg.Wait()
	b := r.b
	for _, addr := range b.cfg.NamesrvAddr {
		var cmd protocol.Command
		cmd.NewRequest(protocol.UnregisterBroker)
		h := protocol.UnregisterBrokerRequestHeader{BrokerName: b.cfg.BrokerName, BrokerAddr: b.addr,
			ClusterName: b.cfg.BrokerClusterName, BrokerID: b.cfg.BrokerID}
		h.Encode(&cmd.Ext)
		c, cancel := context.WithTimeout(ctx, 3*time.Second)
		resp, err := r.cl.Invoke(c, addr, &cmd)
		cancel()
		if err == nil {
			err = protocol.ErrorFromResponse(resp)
		}
		if err != nil {
			b.log.Warn("unregister broker", "namesrv", addr, "err", err)
		}
	}
	_ = r.cl.Close()
}
