package netio

import (
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"strconv"
	"time"

	"github.com/quivermq/quiver/protocol"
)

// ServerConfig configures a Server. A zero field means its default; fields
// that can be switched off say how. The config is copied by NewServer and
// immutable afterwards.
type ServerConfig struct {
	// Addr is the TCP listen address, host:port. Port 0 picks a free port;
	// Server.Addr reports the bound one. Default ":10911" (RocketMQ's
	// listenPort on every interface).
	Addr string

	// NumEventLoops is the number of gnet event loops (each a goroutine
	// that reads, decodes, runs handlers and writes replies for its
	// connections). Default runtime.NumCPU().
	NumEventLoops int

	// LockOSThread pins every event loop to an OS thread. Default false.
	LockOSThread bool

	// ReusePort gives every event loop its own SO_REUSEPORT listener instead
	// of one acceptor that hands connections out round-robin. Not allowed
	// with port 0 (each loop would bind a different port). Default false.
	ReusePort bool

	// MaxConns is the most connections open at once; a connection accepted
	// beyond it is closed at once (counted in Stats.ConnsRefused). Default
	// 65536; negative means unlimited.
	MaxConns int

	// IdleTimeout closes a connection that sent no byte for this long,
	// checked every IdleTimeout/4 (at most every second). Default 120 s
	// (Java's serverChannelMaxIdleTimeSeconds); negative disables.
	IdleTimeout time.Duration

	// Limits bounds inbound frames and headers: a frame over
	// Limits.MaxFrame or a header over the other limits closes the
	// connection. Zero fields take protocol.DefaultLimits (16 MiB frames).
	Limits protocol.Limits

	// ReadBufferCap is the bytes an event loop reads from a socket per
	// readiness event (gnet's ReadBufferCap, one buffer per loop), rounded
	// up to a power of two. Default 64 KiB.
	ReadBufferCap int

	// WriteBufferCap is the static part of gnet's per-connection outbound
	// buffer, used only when the socket does not take a whole write.
	// Default 64 KiB.
	WriteBufferCap int

	// MaxOutboundBytes closes a connection whose unsent output (replies
	// the peer is not reading) exceeds it, with ErrSlowConsumer. Default
	// 64 MiB; negative disables.
	MaxOutboundBytes int

	// SocketRecvBuffer and SocketSendBuffer set SO_RCVBUF and SO_SNDBUF in
	// bytes. Default 0: the kernel's.
	SocketRecvBuffer, SocketSendBuffer int

	// Logger receives netio's and gnet's logs. Default slog.Default().
	Logger *slog.Logger

	// OnOpen, if set, is called on the connection's event loop when a
	// connection is accepted, before its first request. It must not block.
	OnOpen func(c *Conn)

	// OnClose, if set, is called on the connection's event loop once the
	// connection is closed, with the cause (nil for a close by this side,
	// ErrIdleTimeout, a decode error, an I/O error...). Pending Invoke
	// calls have failed and queued replies have been failed by then. It
	// must not block.
	OnClose func(c *Conn, err error)
}

// Server defaults.
const (
	DefaultServerAddr       = ":10911"
	DefaultMaxConns         = 65536
	DefaultIdleTimeout      = 120 * time.Second
	DefaultReadBufferCap    = 64 << 10
	DefaultWriteBufferCap   = 64 << 10
	DefaultMaxOutboundBytes = 64 << 20
)

// DefaultServerConfig returns a config with every default filled in.
func DefaultServerConfig() ServerConfig {
	var c ServerConfig
	c.applyDefaults()
	return c
}

func (c *ServerConfig) applyDefaults() {
	if c.Addr == "" {
		c.Addr = DefaultServerAddr
	}
	if c.NumEventLoops == 0 {
		c.NumEventLoops = runtime.NumCPU()
	}
	if c.MaxConns == 0 {
		c.MaxConns = DefaultMaxConns
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	c.Limits = limitsWithDefaults(c.Limits)
	if c.ReadBufferCap == 0 {
		c.ReadBufferCap = DefaultReadBufferCap
	}
	if c.WriteBufferCap == 0 {
		c.WriteBufferCap = DefaultWriteBufferCap
	}
	if c.MaxOutboundBytes == 0 {
		c.MaxOutboundBytes = DefaultMaxOutboundBytes
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Validate reports the first field that is out of range, wrapping
// ErrInvalidConfig. Zero fields are valid (they mean the default).
func (c *ServerConfig) Validate() error {
	if c.Addr != "" {
		_, port, err := net.SplitHostPort(c.Addr)
		if err != nil {
			return fmt.Errorf("%w: Addr %q: %w", ErrInvalidConfig, c.Addr, err)
		}
		p, err := strconv.Atoi(port)
		if err != nil || p < 0 || p > 65535 {
			return fmt.Errorf("%w: Addr %q: bad port", ErrInvalidConfig, c.Addr)
		}
		if p == 0 && c.ReusePort {
			return fmt.Errorf("%w: ReusePort needs a fixed port, Addr is %q", ErrInvalidConfig, c.Addr)
		}
	}
	switch {
	case c.NumEventLoops < 0:
		return fmt.Errorf("%w: NumEventLoops %d < 0", ErrInvalidConfig, c.NumEventLoops)
	case c.ReadBufferCap < 0 || c.ReadBufferCap > 64<<20:
		return fmt.Errorf("%w: ReadBufferCap %d not in [0, 64 MiB]", ErrInvalidConfig, c.ReadBufferCap)
	case c.WriteBufferCap < 0 || c.WriteBufferCap > 64<<20:
		return fmt.Errorf("%w: WriteBufferCap %d not in [0, 64 MiB]", ErrInvalidConfig, c.WriteBufferCap)
	case c.SocketRecvBuffer < 0 || c.SocketSendBuffer < 0:
		return fmt.Errorf("%w: negative socket buffer size", ErrInvalidConfig)
	}
	return validateLimits(c.Limits)
}

// ClientConfig configures a Client. A zero field means its default.
type ClientConfig struct {
	// ConnsPerAddr is the number of connections kept to each address;
	// calls are spread over them round-robin. Default 1 (what RocketMQ
	// clients do; every connection pipelines any number of calls).
	ConnsPerAddr int

	// DialTimeout bounds connecting. Default 3 s.
	DialTimeout time.Duration

	// DefaultTimeout bounds an Invoke whose context has no deadline.
	// Default 3 s (Java's default send timeout).
	DefaultTimeout time.Duration

	// Limits bounds inbound frames and headers; a violation closes the
	// connection and fails its pending calls. Zero fields take
	// protocol.DefaultLimits.
	Limits protocol.Limits

	// ReadBufferSize is the initial read buffer of a connection in bytes.
	// It grows (doubling, as bytes arrive) for larger frames and returns
	// to this size once they are consumed. Default 64 KiB.
	ReadBufferSize int

	// Logger receives the client's logs. Default slog.Default().
	Logger *slog.Logger
}

// Client defaults.
const (
	DefaultDialTimeout    = 3 * time.Second
	DefaultInvokeTimeout  = 3 * time.Second
	DefaultReadBufferSize = 64 << 10
)

// DefaultClientConfig returns a config with every default filled in.
func DefaultClientConfig() ClientConfig {
	var c ClientConfig
	c.applyDefaults()
	return c
}

func (c *ClientConfig) applyDefaults() {
	if c.ConnsPerAddr == 0 {
		c.ConnsPerAddr = 1
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	if c.DefaultTimeout == 0 {
		c.DefaultTimeout = DefaultInvokeTimeout
	}
	c.Limits = limitsWithDefaults(c.Limits)
	if c.ReadBufferSize == 0 {
		c.ReadBufferSize = DefaultReadBufferSize
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Validate reports the first field that is out of range, wrapping
// ErrInvalidConfig.
func (c *ClientConfig) Validate() error {
	switch {
	case c.ConnsPerAddr < 0 || c.ConnsPerAddr > 1024:
		return fmt.Errorf("%w: ConnsPerAddr %d not in [0, 1024]", ErrInvalidConfig, c.ConnsPerAddr)
	case c.DialTimeout < 0:
		return fmt.Errorf("%w: DialTimeout %v < 0", ErrInvalidConfig, c.DialTimeout)
	case c.DefaultTimeout < 0:
		return fmt.Errorf("%w: DefaultTimeout %v < 0", ErrInvalidConfig, c.DefaultTimeout)
	case c.ReadBufferSize != 0 && (c.ReadBufferSize < 1024 || c.ReadBufferSize > 64<<20):
		return fmt.Errorf("%w: ReadBufferSize %d not 0 or in [1 KiB, 64 MiB]", ErrInvalidConfig, c.ReadBufferSize)
	}
	return validateLimits(c.Limits)
}

func limitsWithDefaults(l protocol.Limits) protocol.Limits {
	d := protocol.DefaultLimits()
	if l.MaxFrame == 0 {
		l.MaxFrame = d.MaxFrame
	}
	if l.MaxRemark == 0 {
		l.MaxRemark = d.MaxRemark
	}
	if l.MaxExtFields == 0 {
		l.MaxExtFields = d.MaxExtFields
	}
	if l.MaxExtKey == 0 {
		l.MaxExtKey = d.MaxExtKey
	}
	if l.MaxExtValue == 0 {
		l.MaxExtValue = d.MaxExtValue
	}
	return l
}

func validateLimits(l protocol.Limits) error {
	if l.MaxFrame < 0 || l.MaxRemark < 0 || l.MaxExtFields < 0 || l.MaxExtKey < 0 || l.MaxExtValue < 0 {
		return fmt.Errorf("%w: negative field in Limits %+v", ErrInvalidConfig, l)
	}
	if l.MaxFrame > 1<<30 {
		return fmt.Errorf("%w: Limits.MaxFrame %d > 1 GiB", ErrInvalidConfig, l.MaxFrame)
	}
	return nil
}
