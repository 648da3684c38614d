package netio

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"

	"github.com/quivermq/quiver/protocol"
)

// Server states.
const (
	stateNew int32 = iota
	stateRunning
	stateDraining
	stateStopped
)

// Server is a remoting server on gnet event loops. Register handlers, then
// Start; Shutdown stops it. Its methods are safe for concurrent use except
// Register, which must precede Start.
type Server struct {
	cfg      ServerConfig
	log      *slog.Logger
	handlers handlerTable
	stats    counters
	opaque   atomic.Int32 // opaques of server-initiated requests
	epoch    time.Time    // monotonic base of now()
	nextID   atomic.Uint64
	state    atomic.Int32
	draining atomic.Bool

	// Set during start-up, read-only once ready is closed.
	eng       gnet.Engine
	addr      net.Addr
	ready     chan struct{} // closed by the first OnTick: the loops run
	readyOnce sync.Once
	runDone   chan struct{} // closed when gnet.Run returns
	runErr    error         // gnet.Run's error, set before runDone closes
	drainSig  chan struct{} // poked (capacity 1) while draining when work completes

	mu    sync.Mutex
	conns map[*Conn]struct{}
	loops map[gnet.EventLoop]*loop
}

// NewServer returns a server for cfg, with zero fields set to their
// defaults.
func NewServer(cfg ServerConfig) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.applyDefaults()
	s := &Server{
		cfg:      cfg,
		log:      cfg.Logger,
		ready:    make(chan struct{}),
		runDone:  make(chan struct{}),
		drainSig: make(chan struct{}, 1),
		conns:    make(map[*Conn]struct{}),
		loops:    make(map[gnet.EventLoop]*loop),
	}
	s.epoch = time.Now()
	return s, nil
}

// Register sets the handler for a request code. It must be called before
// Start; registering a code twice, a nil handler, or after Start panics.
func (s *Server) Register(code protocol.RequestCode, h Handler) {
	if s.state.Load() != stateNew {
		panic("netio: Register after Start")
	}
	s.handlers.register(code, h)
}

// Start binds the listen address and starts the event loops. It returns
// once the server accepts connections, or with the bind error.
func (s *Server) Start() error {
	if !s.state.CompareAndSwap(stateNew, stateRunning) {
		return ErrServerStarted
	}
	cfg := &s.cfg
	opts := []gnet.Option{
		gnet.WithMulticore(true),
		gnet.WithNumEventLoop(cfg.NumEventLoops),
		gnet.WithLockOSThread(cfg.LockOSThread),
		gnet.WithReusePort(cfg.ReusePort),
		gnet.WithReuseAddr(true),
		gnet.WithLoadBalancing(gnet.RoundRobin),
		gnet.WithReadBufferCap(cfg.ReadBufferCap),
		gnet.WithWriteBufferCap(cfg.WriteBufferCap),
		gnet.WithSocketRecvBuffer(cfg.SocketRecvBuffer),
		gnet.WithSocketSendBuffer(cfg.SocketSendBuffer),
		gnet.WithTCPNoDelay(gnet.TCPNoDelay),
		gnet.WithTicker(true),
		gnet.WithLogger(gnetLogger{s.log}),
	}
	go func() {
		s.runErr = gnet.Run(&events{s: s}, "tcp://"+cfg.Addr, opts...)
		close(s.runDone)
	}()
	select {
	case <-s.ready:
		s.log.Info("netio: server listening", "addr", s.addr.String(), "loops", cfg.NumEventLoops)
		return nil
	case <-s.runDone:
		s.state.Store(stateStopped)
		if s.runErr == nil {
			return fmt.Errorf("netio: listen %s: %w", cfg.Addr, ErrServerClosed)
		}
		return fmt.Errorf("netio: listen %s: %w", cfg.Addr, s.runErr)
	}
}

// Addr returns the bound listen address (with the real port when the
// config asked for port 0). Valid after Start returned nil.
func (s *Server) Addr() net.Addr { return s.addr }

// Stats returns a snapshot of the server's counters.
func (s *Server) Stats() Stats {
	var st Stats
	s.stats.addTo(&st)
	s.mu.Lock()
	for _, lp := range s.loops {
		lp.stats.addTo(&st)
	}
	for c := range s.conns {
		st.InFlight += int64(c.inflight.Load())
	}
	s.mu.Unlock()
	return st
}

// Shutdown stops the server gracefully: it refuses new connections, waits
// until no request handed to a handler is unanswered (oneway requests
// excluded) and every queued reply is written, or until ctx ends, then
// closes all connections (gnet writes what it still buffers first) and
// stops the event loops. It returns ctx's error if ctx ended first, nil
// otherwise; the server is stopped in both cases.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.state.CompareAndSwap(stateNew, stateStopped) {
		return nil
	}
	if !s.state.CompareAndSwap(stateRunning, stateDraining) {
		<-s.runDone // another Shutdown is under way or done
		return nil
	}
	s.draining.Store(true)
	var err error
wait:
	for !s.quiescent() {
		select {
		case <-s.drainSig:
		case <-s.runDone:
			break wait
		case <-ctx.Done():
			err = ctx.Err()
			break wait
		}
	}
	// Engine.Stop polls for completion every 500 ms; runDone tells sooner.
	stopCtx, cancel := context.WithCancel(context.Background())
	go func() { _ = s.eng.Stop(stopCtx) }()
	<-s.runDone
	cancel()
	s.state.Store(stateStopped)
	return err
}

// Close stops the server at once: Shutdown without waiting for in-flight
// requests.
func (s *Server) Close() error {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = s.Shutdown(ctx)
	return nil
}

// quiescent reports whether no connection has unanswered detached requests
// or queued frames.
func (s *Server) quiescent() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if c.inflight.Load() > 0 {
			return false
		}
		if c.flushQueued.Load() {
			return false
		}
	}
	return true
}

// now returns monotonic nanoseconds since the server was made (about 25 ns;
// OnTraffic takes it once per wake-up).
func (s *Server) now() int64 { return int64(time.Since(s.epoch)) }

func (s *Server) signalDrain() {
	if s.draining.Load() {
		select {
		case s.drainSig <- struct{}{}:
		default:
		}
	}
}

// loopFor returns the scratch state of event loop el.
func (s *Server) loopFor(el gnet.EventLoop) *loop {
	s.mu.Lock()
	defer s.mu.Unlock()
	lp := s.loops[el]
	if lp == nil {
		lp = &loop{dec: protocol.Decoder{Limits: s.cfg.Limits}}
		lp.req.batch = &lp.out
		lp.req.scratch = &lp.scratch
		lp.req.log = s.log
		s.loops[el] = lp
	}
	return lp
}

// tickInterval is how often OnTick sweeps idle
// connections: a quarter of the idle timeout, within [5 ms, 1 s].
func (s *Server) tickInterval() time.Duration {
	d := time.Second
	if it := s.cfg.IdleTimeout; it > 0 && it/4 < d {
		d = max(it/4, 5*time.Millisecond)
	}
	return d
}

// sweepIdle closes connections that sent nothing for IdleTimeout.
func (s *Server) sweepIdle(now int64) {
	idle := int64(s.cfg.IdleTimeout)
	if idle <= 0 {
		return
	}
	var victims []*Conn
	s.mu.Lock()
	for c := range s.conns {
		if now-c.lastRead.Load() > idle && !c.idle.Load() {
			c.idle.Store(true)
			victims = append(victims, c)
		}
	}
	s.mu.Unlock()
	for _, c := range victims {
		s.stats.connsIdleClosed.Add(1)
		s.log.Debug("netio: closing idle connection", "remote", c.remote, "idle", s.cfg.IdleTimeout)
		_ = c.gc.Close() // gnet ignores a close of a connection already gone
	}
}

// events adapts Server to gnet.EventHandler without exporting the
// callbacks.
type events struct {
	gnet.BuiltinEventEngine
	s *Server
}

func (e *events) OnBoot(eng gnet.Engine) gnet.Action {
	s := e.s
	s.eng = eng
	s.addr = boundAddr(eng)
	if s.addr == nil {
		s.addr, _ = net.ResolveTCPAddr("tcp", s.cfg.Addr)
	}
	return gnet.None
}

// boundAddr asks the kernel for the listener's address, so that a config
// with port 0 learns its port.
func boundAddr(eng gnet.Engine) net.Addr {
	fd, err := eng.Dup()
	if err != nil {
		return nil
	}
	defer unix.Close(fd)
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return nil
	}
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return &net.TCPAddr{IP: net.IP(a.Addr[:]).To16(), Port: a.Port}
	case *unix.SockaddrInet6:
		return &net.TCPAddr{IP: net.IP(a.Addr[:]), Port: a.Port}
	}
	return nil
}

func (e *events) OnTick() (time.Duration, gnet.Action) {
	s := e.s
	s.readyOnce.Do(func() { close(s.ready) })
	s.sweepIdle(s.now())
	return s.tickInterval(), gnet.None
}

func (e *events) OnOpen(gc gnet.Conn) ([]byte, gnet.Action) {
	s := e.s
	n := s.stats.connsOpen.Add(1)
	if s.draining.Load() || (s.cfg.MaxConns > 0 && n > int64(s.cfg.MaxConns)) {
		s.stats.connsOpen.Add(-1)
		s.stats.connsRefused.Add(1)
		s.log.Debug("netio: refusing connection", "remote", gc.RemoteAddr(), "open", n-1, "draining", s.draining.Load())
		return nil, gnet.Close
	}
	el := gc.EventLoop()
	c := &Conn{
		srv:    s,
		gc:     gc,
		el:     el,
		lp:     s.loopFor(el),
		id:     s.nextID.Add(1),
		remote: gc.RemoteAddr(),
		local:  gc.LocalAddr(),
	}
	c.flushTask = gnet.RunnableFunc(c.runFlush)
	c.lastRead.Store(s.now())
	gc.SetContext(c)
	s.mu.Lock()
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	s.stats.connsAccepted.Add(1)
	if s.cfg.OnOpen != nil {
		s.cfg.OnOpen(c)
	}
	return nil, gnet.None
}

func (e *events) OnClose(gc gnet.Conn, err error) gnet.Action {
	c, _ := gc.Context().(*Conn)
	if c == nil {
		return gnet.None // refused in OnOpen
	}
	s := e.s
	c.onClose(err)
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.stats.connsOpen.Add(-1)
	s.log.Debug("netio: connection closed", "remote", c.remote, "cause", c.cause)
	if s.cfg.OnClose != nil {
		s.cfg.OnClose(c, c.cause)
	}
	s.signalDrain()
	return gnet.None
}

func (e *events) OnTraffic(gc gnet.Conn) gnet.Action {
	c, _ := gc.Context().(*Conn)
	if c == nil {
		return gnet.Close
	}
	return c.onTraffic()
}

// gnetLogger routes gnet's logs to slog. gnet's Info lines are start-up
// chatter and go to Debug.
type gnetLogger struct{ l *slog.Logger }

func (g gnetLogger) logf(level slog.Level, format string, args []any) {
	if g.l.Enabled(context.Background(), level) {
		g.l.Log(context.Background(), level, "gnet: "+fmt.Sprintf(format, args...))
	}
}

func (g gnetLogger) Debugf(format string, args ...any) { g.logf(slog.LevelDebug, format, args) }
func (g gnetLogger) Infof(format string, args ...any)  { g.logf(slog.LevelDebug, format, args) }
func (g gnetLogger) Warnf(format string, args ...any)  { g.logf(slog.LevelWarn, format, args) }
func (g gnetLogger) Errorf(format string, args ...any) { g.logf(slog.LevelError, format, args) }
func (g gnetLogger) Fatalf(format string, args ...any) { g.logf(slog.LevelError, format, args) }
