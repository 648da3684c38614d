package namesrv

import (
	"context"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/quivermq/quiver/netio"
)

// Server is a name server: the route table, broker liveness and the KV
// config, served over netio. New, then Start; Shutdown stops it. Its
// methods are safe for concurrent use.
type Server struct {
	cfg    Config
	log    *slog.Logger
	net    *netio.Server
	routes *routeTable
	kv     *kvStore

	bufs sync.Pool // *[]byte for route bodies

	lifeMu   sync.Mutex // guards started and stopped
	started  bool       // the scan and the persister run
	stopped  bool
	stop     chan struct{}
	scanDone chan struct{}
}

// New validates cfg, loads the KV config file and prepares a server; it
// does not listen yet.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.applyDefaults()
	kv, err := newKVStore(cfg.KVConfigPath, cfg.Logger)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:      cfg,
		log:      cfg.Logger,
		routes:   newRouteTable(),
		kv:       kv,
		stop:     make(chan struct{}),
		scanDone: make(chan struct{}),
	}
	ns, err := netio.NewServer(netio.ServerConfig{
		Addr:             cfg.ListenAddr,
		NumEventLoops:    cfg.NumEventLoops,
		IdleTimeout:      cfg.IdleTimeout,
		SocketSendBuffer: cfg.SocketSendBuffer,
		SocketRecvBuffer: cfg.SocketRecvBuffer,
		Logger:           cfg.Logger,
		OnClose:          s.onClose,
	})
	if err != nil {
		return nil, err
	}
	s.net = ns
	s.register()
	return s, nil
}

// Start listens and starts the expiry scan and the KV persister. It
// returns once the server accepts connections, or with the listen error.
func (s *Server) Start() error {
	if err := s.net.Start(); err != nil {
		return err
	}
	s.lifeMu.Lock()
	if !s.started && !s.stopped {
		s.started = true
		s.kv.start()
		go s.scanLoop()
	}
	s.lifeMu.Unlock()
	s.log.Info("namesrv: listening", "addr", s.net.Addr().String(),
		"kvConfigPath", s.cfg.KVConfigPath, "orderMessageEnable", s.cfg.OrderMessageEnable)
	return nil
}

// Addr returns the bound listen address; valid after Start returned nil.
func (s *Server) Addr() net.Addr { return s.net.Addr() }

// Shutdown stops taking connections, waits (until ctx ends) for requests
// in progress to be answered, including KV changes being persisted, and
// stops the scan and the persister. It returns ctx's error if ctx ended
// first.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.net.Shutdown(ctx)
	s.lifeMu.Lock()
	if !s.stopped {
		s.stopped = true
		close(s.stop)
		if s.started {
			<-s.scanDone
			s.kv.close()
		}
	}
	s.lifeMu.Unlock()
	s.log.Info("namesrv: stopped")
	return err
}

// scanLoop expires silent brokers every ScanInterval.
func (s *Server) scanLoop() {
	defer close(s.scanDone)
	t := time.NewTicker(s.cfg.ScanInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.scanNotActiveBrokers()
		}
	}
}

// scanNotActiveBrokers removes brokers silent for BrokerExpiry and returns
// their addresses.
func (s *Server) scanNotActiveBrokers() []string {
	gone := s.routes.expire(s.nowMillis(), s.cfg.BrokerExpiry.Milliseconds())
	for _, addr := range gone {
		s.log.Warn("namesrv: broker expired", "brokerAddr", addr, "expiry", s.cfg.BrokerExpiry)
	}
	return gone
}

// onClose forgets the brokers that registered on a closed connection.
// It runs on an event loop.
func (s *Server) onClose(c *netio.Conn, err error) {
	for _, addr := range s.routes.connClosed(c.ID()) {
		s.log.Info("namesrv: broker connection closed; broker removed", "brokerAddr", addr, "remote", c.RemoteAddr(), "cause", err)
	}
}

func (s *Server) nowMillis() int64 { return s.cfg.Now().UnixMilli() }
