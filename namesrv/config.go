package namesrv

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/quivermq/quiver/internal/props"
)

// Config configures a Server. Build one with DefaultConfig (or
// LoadConfigFile) and change fields; a zero duration or empty address is
// replaced by its default in New. The config is copied by New and
// immutable afterwards.
type Config struct {
	// ListenAddr is the TCP listen address, host:port. Port 0 picks a free
	// port (Server.Addr reports it). Default ":9876" (properties keys
	// listenPort and bindAddress).
	ListenAddr string

	// KVConfigPath is the file the KV config is persisted to, as JSON
	// {"configTable":{namespace:{key:value}}}. Default
	// ~/namesrv/kvConfig.json (key kvConfigPath). Empty after New means
	// "keep the KV config in memory only": DefaultConfig always sets it.
	KVConfigPath string

	// OrderMessageEnable adds the ORDER_TOPIC_CONFIG KV entry of a topic to
	// its route as orderTopicConf. Default false (key orderMessageEnable).
	OrderMessageEnable bool

	// ScanInterval is how often brokers are checked for expiry. Default
	// 10 s, as RocketMQ 4.9.4 (5.x key scanNotActiveBrokerInterval, in ms).
	ScanInterval time.Duration

	// BrokerExpiry drops a broker whose last registration is older than
	// this. Default 120 s (RocketMQ's BROKER_CHANNEL_EXPIRED_TIME).
	BrokerExpiry time.Duration

	// IdleTimeout closes a connection that sent nothing for this long.
	// Default 120 s (key serverChannelMaxIdleTimeSeconds); negative
	// disables.
	IdleTimeout time.Duration

	// SocketSendBuffer and SocketRecvBuffer set SO_SNDBUF and SO_RCVBUF in
	// bytes; 0 leaves the kernel's (keys serverSocketSndBufSize,
	// serverSocketRcvBufSize).
	SocketSendBuffer, SocketRecvBuffer int

	// NumEventLoops is the number of netio event loops. Default 0: one per
	// CPU.
	NumEventLoops int

	// RocketmqHome is RocketMQ's home directory (key rocketmqHome, default
	// $ROCKETMQ_HOME). Quiver does not use it; it is kept for -p.
	RocketmqHome string

	// Logger receives the name server's logs. Default slog.Default().
	Logger *slog.Logger

	// Now is the clock, for tests. Default time.Now.
	Now func() time.Time
}

// Defaults.
const (
	DefaultListenPort   = 9876
	DefaultScanInterval = 10 * time.Second
	DefaultBrokerExpiry = 120 * time.Second
	DefaultIdleTimeout  = 120 * time.Second
)

// DefaultKVConfigPath returns RocketMQ's default KV config file,
// ~/namesrv/kvConfig.json (relative namesrv/kvConfig.json when the home
// directory is unknown).
func DefaultKVConfigPath() string {
	home, err := os.UserHomeDir()
	if err != nil {
		home = "."
	}
	return filepath.Join(home, "namesrv", "kvConfig.json")
}

// DefaultConfig returns the configuration of a name server started
// without a config file.
func DefaultConfig() Config {
	return Config{
		ListenAddr:   ":" + strconv.Itoa(DefaultListenPort),
		KVConfigPath: DefaultKVConfigPath(),
		ScanInterval: DefaultScanInterval,
		BrokerExpiry: DefaultBrokerExpiry,
		IdleTimeout:  DefaultIdleTimeout,
		RocketmqHome: os.Getenv("ROCKETMQ_HOME"),
	}
}

func (c *Config) applyDefaults() {
	if c.ListenAddr == "" {
		c.ListenAddr = ":" + strconv.Itoa(DefaultListenPort)
	}
	if c.ScanInterval == 0 {
		c.ScanInterval = DefaultScanInterval
	}
	if c.BrokerExpiry == 0 {
		c.BrokerExpiry = DefaultBrokerExpiry
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Validate reports the first field out of range, wrapping
// ErrInvalidConfig. Zero fields are valid (they mean the default).
func (c *Config) Validate() error {
	if c.ListenAddr != "" {
		_, port, err := net.SplitHostPort(c.ListenAddr)
		if err != nil {
			return fmt.Errorf("%w: ListenAddr %q: %w", ErrInvalidConfig, c.ListenAddr, err)
		}
		if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
			return fmt.Errorf("%w: ListenAddr %q: bad port", ErrInvalidConfig, c.ListenAddr)
		}
	}
	switch {
	case c.ScanInterval < 0:
		return fmt.Errorf("%w: ScanInterval %v < 0", ErrInvalidConfig, c.ScanInterval)
	case c.BrokerExpiry < 0:
		return fmt.Errorf("%w: BrokerExpiry %v < 0", ErrInvalidConfig, c.BrokerExpiry)
	case c.SocketSendBuffer < 0 || c.SocketRecvBuffer < 0:
		return fmt.Errorf("%w: negative socket buffer size", ErrInvalidConfig)
	case c.NumEventLoops < 0:
		return fmt.Errorf("%w: NumEventLoops %d < 0", ErrInvalidConfig, c.NumEventLoops)
	}
	return nil
}

// Setting is one key of the effective configuration and where its value
// came from, as `mqnamesrv -p` prints it.
type Setting struct {
	Key    string
	Value  string
	Source string // "default", "env NAME" or "file:line"
}

// configKey is one namesrv properties key. apply is nil for keys Quiver
// accepts and ignores (they tune Java thread pools and Netty).
type configKey struct {
	name  string
	def   func(c *Config) string // the value shown when the file does not set it
	apply func(c *Config, v string) error
}

func constDef(s string) func(*Config) string { return func(*Config) string { return s } }

// configKeys are NamesrvConfig's and NettyServerConfig's keys (4.9.4, plus
// the 5.x ones an operator may carry over), in the order -p prints them.
var configKeys = []configKey{
	// NamesrvConfig
	{"rocketmqHome", func(c *Config) string { return c.RocketmqHome }, func(c *Config, v string) error { c.RocketmqHome = v; return nil }},
	{"kvConfigPath", func(c *Config) string { return c.KVConfigPath }, func(c *Config, v string) error {
		if v == "" {
			return fmt.Errorf("empty path")
		}
		c.KVConfigPath = v
		return nil
	}},
	{"configStorePath", func(*Config) string {
		return filepath.Join(filepath.Dir(DefaultKVConfigPath()), "namesrv.properties")
	}, nil},
	{"productEnvName", constDef("center"), nil},
	{"clusterTest", constDef("false"), nil},
	{"orderMessageEnable", func(c *Config) string { return strconv.FormatBool(c.OrderMessageEnable) }, func(c *Config, v string) error {
		b, err := parseBool(v)
		c.OrderMessageEnable = b
		return err
	}},
	// 5.x NamesrvConfig
	{"scanNotActiveBrokerInterval", func(c *Config) string { return strconv.FormatInt(c.ScanInterval.Milliseconds(), 10) }, func(c *Config, v string) error {
		ms, err := parseInt(v, 1, 1<<40)
		c.ScanInterval = time.Duration(ms) * time.Millisecond
		return err
	}},
	{"returnOrderTopicConfigToBroker", constDef("true"), nil},
	{"clientRequestThreadPoolNums", constDef("8"), nil},
	{"defaultThreadPoolNums", constDef("16"), nil},
	{"clientRequestThreadPoolQueueCapacity", constDef("50000"), nil},
	{"defaultThreadPoolQueueCapacity", constDef("10000"), nil},
	{"unRegisterBrokerQueueCapacity", constDef("3000"), nil},
	{"supportActingMaster", constDef("false"), nil},
	{"enableAllTopicList", constDef("true"), nil},
	{"enableTopicList", constDef("true"), nil},
	{"notifyMinBrokerIdChanged", constDef("false"), nil},
	{"enableControllerInNamesrv", constDef("false"), nil},
	{"needWaitForService", constDef("false"), nil},
	{"waitSecondsForService", constDef("45"), nil},
	{"deleteTopicWithBrokerRegistration", constDef("false"), nil},
	// NettyServerConfig
	{"bindAddress", func(c *Config) string {
		h, _, _ := net.SplitHostPort(c.ListenAddr)
		if h == "" {
			return "0.0.0.0"
		}
		return h
	}, func(c *Config, v string) error {
		if v != "" && net.ParseIP(v) == nil {
			return fmt.Errorf("not an IP address")
		}
		_, port, _ := net.SplitHostPort(c.ListenAddr)
		if v == "0.0.0.0" {
			v = ""
		}
		c.ListenAddr = net.JoinHostPort(v, port)
		return nil
	}},
	{"listenPort", func(c *Config) string {
		_, p, _ := net.SplitHostPort(c.ListenAddr)
		return p
	}, func(c *Config, v string) error {
		p, err := parseInt(v, 0, 65535)
		if err != nil {
			return err
		}
		h, _, _ := net.SplitHostPort(c.ListenAddr)
		c.ListenAddr = net.JoinHostPort(h, strconv.FormatInt(p, 10))
		return nil
	}},
	{"serverWorkerThreads", constDef("8"), nil},
	{"serverCallbackExecutorThreads", constDef("0"), nil},
	{"serverSelectorThreads", constDef("3"), nil},
	{"serverOnewaySemaphoreValue", constDef("256"), nil},
	{"serverAsyncSemaphoreValue", constDef("64"), nil},
	{"serverChannelMaxIdleTimeSeconds", func(c *Config) string {
		if c.IdleTimeout < 0 {
			return "0"
		}
		return strconv.FormatInt(int64(c.IdleTimeout/time.Second), 10)
	}, func(c *Config, v string) error {
		s, err := parseInt(v, 0, 1<<31-1)
		c.IdleTimeout = time.Duration(s) * time.Second
		if s == 0 {
			c.IdleTimeout = -1 // Netty's IdleStateHandler: 0 disables
		}
		return err
	}},
	{"serverSocketSndBufSize", func(c *Config) string { return strconv.Itoa(c.SocketSendBuffer) }, func(c *Config, v string) error {
		n, err := parseInt(v, 0, 1<<30)
		c.SocketSendBuffer = int(n)
		return err
	}},
	{"serverSocketRcvBufSize", func(c *Config) string { return strconv.Itoa(c.SocketRecvBuffer) }, func(c *Config, v string) error {
		n, err := parseInt(v, 0, 1<<30)
		c.SocketRecvBuffer = int(n)
		return err
	}},
	{"serverSocketBacklog", constDef("1024"), nil},
	{"writeBufferHighWaterMark", constDef("0"), nil},
	{"writeBufferLowWaterMark", constDef("0"), nil},
	{"serverPooledByteBufAllocatorEnable", constDef("true"), nil},
	{"useEpollNativeSelector", constDef("false"), nil},
	{"serverNettyWorkerGroupEnable", constDef("true"), nil},
	{"enableShutdownGracefully", constDef("false"), nil},
	{"shutdownWaitTimeSeconds", constDef("30"), nil},
}

func findKey(name string) *configKey {
	for i := range configKeys {
		if configKeys[i].name == name {
			return &configKeys[i]
		}
	}
	return nil
}

// LoadConfigFile reads a RocketMQ namesrv properties file over
// DefaultConfig and returns the config and every key's effective value
// with its source. Values are trimmed; a key that appears twice takes its
// last value (as Java's Properties). An unknown key or a value that does
// not parse is an error naming the file and line; keys that tune Java's
// thread pools are accepted and ignored (logged at debug level to log, if
// not nil). An empty name loads nothing and reports the defaults.
func LoadConfigFile(name string, log *slog.Logger) (Config, []Setting, error) {
	if name == "" {
		cfg := DefaultConfig()
		return cfg, settings(&cfg, nil), nil
	}
	f, err := os.Open(name)
	if err != nil {
		return Config{}, nil, fmt.Errorf("namesrv: config: %w", err)
	}
	defer f.Close()
	return ParseConfig(f, name, log)
}

// ParseConfig is LoadConfigFile for a reader; name is used in errors and
// sources.
func ParseConfig(r io.Reader, name string, log *slog.Logger) (Config, []Setting, error) {
	cfg := DefaultConfig()
	entries, err := props.Parse(r)
	if err != nil {
		return Config{}, nil, fmt.Errorf("namesrv: config %s: %w", name, err)
	}
	from := make(map[string]string) // key -> "file:line"
	for _, e := range entries {
		k := findKey(e.Key)
		if k == nil {
			msg := fmt.Sprintf("namesrv: config %s:%d: unknown key %q", name, e.Line, e.Key)
			if near := nearestKey(e.Key); near != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", near)
			}
			return Config{}, nil, fmt.Errorf("%w: %s", ErrInvalidConfig, msg)
		}
		src := name + ":" + strconv.Itoa(e.Line)
		from[k.name] = src
		if k.apply == nil {
			if log != nil {
				log.Debug("namesrv: config key has no meaning for Quiver; ignored", "key", k.name, "value", e.Value, "at", src)
			}
			continue
		}
		if err := k.apply(&cfg, e.Value); err != nil {
			return Config{}, nil, fmt.Errorf("%w: namesrv: config %s: %s=%q: %w", ErrInvalidConfig, src, k.name, e.Value, err)
		}
	}
	// Ignored keys show the file's value.
	ignored := make(map[string]string)
	for _, e := range entries {
		if k := findKey(e.Key); k != nil && k.apply == nil {
			ignored[k.name] = e.Value
		}
	}
	ss := settings(&cfg, from)
	for i := range ss {
		if v, ok := ignored[ss[i].Key]; ok {
			ss[i].Value = v
		}
	}
	return cfg, ss, nil
}

// settings lists every key's value in cfg with its source: from[key] when
// the file set it, "default" (or the environment variable) otherwise.
func settings(cfg *Config, from map[string]string) []Setting {
	out := make([]Setting, 0, len(configKeys))
	for _, k := range configKeys {
		src, ok := from[k.name]
		if !ok {
			src = "default"
			if k.name == "rocketmqHome" && os.Getenv("ROCKETMQ_HOME") != "" {
				src = "env ROCKETMQ_HOME"
			}
		}
		out = append(out, Setting{Key: k.name, Value: k.def(cfg), Source: src})
	}
	return out
}

// nearestKey returns the known key with the smallest edit distance to
// name (case-insensitive).
func nearestKey(name string) string {
	best, bestD := "", -1 // bestD < 0: none yet
	names := make([]string, 0, len(configKeys))
	for _, k := range configKeys {
		names = append(names, k.name)
	}
	sort.Strings(names) // ties go to the first in name order
	lower := strings.ToLower(name)
	for _, n := range names {
		d := props.EditDistance(lower, strings.ToLower(n))
		if bestD < 0 || d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// parseBool accepts "true" and "false" in any case. (Java's
// Boolean.parseBoolean reads anything else as false; a typo there
// silently turns an option off, so Quiver refuses it.)
func parseBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("not a boolean (true or false)")
}

// parseInt parses a decimal integer in [lo, hi].
func parseInt(v string, lo, hi int64) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("not an integer")
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("out of range [%d, %d]", lo, hi)
	}
	return n, nil
}
