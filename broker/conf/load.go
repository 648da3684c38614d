package conf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/quivermq/quiver/internal/props"
)

// EnvNamesrvAddr is the environment variable that replaces namesrvAddr.
const EnvNamesrvAddr = "NAMESRV_ADDR"

// Override is one key set from outside the file, such as the -n flag:
// Override{Key: "namesrvAddr", Value: addr, Origin: "flag -n"}.
type Override struct {
	Key    string
	Value  string
	Origin string // printed as the value's source; "override" when empty
}

// Loader loads a Config. The zero Loader reads the real environment and
// host and logs to slog.Default(). A Loader is a value: safe to copy and
// to use from several goroutines.
type Loader struct {
	// Env reads environment variables. nil means os.Getenv.
	Env func(string) string
	// Host gives the host-derived defaults. nil means DetectHost().
	Host *Host
	// Logger receives the warnings (Config.Warnings). nil means
	// slog.Default().
	Logger *slog.Logger
}

// Load is Loader{Env: env}.Load(file, overrides...).
func Load(file string, env func(string) string, overrides ...Override) (*Config, error) {
	return Loader{Env: env}.Load(file, overrides...)
}

// Load builds the configuration: RocketMQ's defaults, then file (a
// broker.conf; "" for none), then the NAMESRV_ADDR environment variable,
// then overrides in order (the -n flag last); then it derives
// haListenPort, brokerIP2 and storePathCommitLog, forces brokerId 0 for a
// master, and validates. Precedence is therefore flag > env > file >
// default for namesrvAddr.
//
// Every problem is reported, joined: unknown keys (with the nearest valid
// key), values that do not parse (with the line and the expected type),
// and rule violations (ErrUnknownKey, ErrBadValue, ErrInvalid). A key given
// twice keeps its last value, as Java's Properties does, with a warning.
func (l Loader) Load(file string, overrides ...Override) (*Config, error) {
	var data []byte
	if file == "" {
		return l.load("", nil, false, overrides)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("conf: %w", err)
	}
	return l.load(file, data, true, overrides)
}

// Parse is Load with the file's contents given: name is used in messages
// and sources (use the file's path, or a label such as "embedded").
func (l Loader) Parse(name string, r io.Reader, overrides ...Override) (*Config, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("conf: %s: %w", name, err)
	}
	return l.load(name, data, true, overrides)
}

func (l Loader) load(name string, data []byte, haveFile bool, overrides []Override) (*Config, error) {
	env := l.Env
	if env == nil {
		env = os.Getenv
	}
	var h Host
	if l.Host != nil {
		h = *l.Host
	} else {
		h = DetectHost()
	}
	c, err := defaults(h)
	if err != nil {
		return nil, err
	}
	var errs []error
	if haveFile {
		entries, err := props.Parse(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("conf: %s: %w", name, err)
		}
		first := make(map[string]int, len(entries))
		for _, e := range entries {
			src := fmt.Sprintf("%s:%d", name, e.Line)
			k := lookup(e.Key)
			if k == nil {
				errs = append(errs, unknownKey(e.Key, "at "+src))
				continue
			}
			if line, dup := first[k.name]; dup {
				c.warnf("%s: %s set again (first at line %d); the last value wins, as in RocketMQ", src, e.Key, line)
			}
			first[k.name] = e.Line
			if e.Key != k.name {
				src += " (as " + e.Key + ")"
			}
			if k.legacy {
				c.warnf("%s: %s is not a RocketMQ broker key; RocketMQ ignores it and so does Quiver", src, e.Key)
			}
			if err := c.apply(k, e.Value, src); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if v := env(EnvNamesrvAddr); v != "" {
		if err := c.apply(lookup("namesrvAddr"), v, "env "+EnvNamesrvAddr); err != nil {
			errs = append(errs, err)
		}
	}
	for _, o := range overrides {
		origin := o.Origin
		if origin == "" {
			origin = "override"
		}
		k := lookup(o.Key)
		if k == nil {
			errs = append(errs, unknownKey(o.Key, "in "+origin))
			continue
		}
		if err := c.apply(k, o.Value, origin); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	c.derive()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	log := l.Logger
	if log == nil {
		log = slog.Default()
	}
	for _, w := range c.Warnings {
		log.Warn("conf: " + w)
	}
	return c, nil
}

// Defaults returns RocketMQ 4.9's defaults for host h, derived (brokerIP2,
// haListenPort, storePathCommitLog) but not validated: brokerName, for
// one, is the host name.
func Defaults(h Host) (*Config, error) {
	c, err := defaults(h)
	if err != nil {
		return nil, err
	}
	c.derive()
	return c, nil
}

// defaults sets every key to its default, with no source recorded.
func defaults(h Host) (*Config, error) {
	c := &Config{sources: map[string]string{}, passive: map[string]string{}, host: h}
	for i := range table {
		k := &table[i]
		if err := k.set(c, k.defaultText(h)); err != nil {
			// A default that does not parse is a bug in table, or a host
			// value (name, address) that cannot be used.
			return nil, fmt.Errorf("%w: default of %s (%q): want %v", ErrBadValue, k.name, k.defaultText(h), err)
		}
	}
	clear(c.sources)
	return c, nil
}

// apply sets k from v and records src as its source.
func (c *Config) apply(k *key, v, src string) error {
	if err := k.set(c, v); err != nil {
		return fmt.Errorf("%w at %s: %s=%q: want %v", ErrBadValue, src, k.name, v, err)
	}
	c.sources[k.name] = src
	return nil
}

func unknownKey(name, where string) error {
	if s := suggest(name); s != "" {
		return fmt.Errorf("%w %q %s; did you mean %q?", ErrUnknownKey, name, where, s)
	}
	return fmt.Errorf("%w %q %s", ErrUnknownKey, name, where)
}

func (c *Config) warnf(format string, args ...any) {
	c.Warnings = append(c.Warnings, fmt.Sprintf(format, args...))
}

// derive sets the values RocketMQ's BrokerStartup and MessageStoreConfig
// compute from others, and the clamps they apply.
func (c *Config) derive() {
	if src, set := c.sources["haListenPort"]; set && c.HAListenPort != c.ListenPort+1 {
		c.warnf("%s: haListenPort=%d ignored: it is always listenPort+1 (%d), as in RocketMQ", src, c.HAListenPort, c.ListenPort+1)
	}
	c.HAListenPort = c.ListenPort + 1
	c.sources["haListenPort"] = "derived: listenPort+1"

	if _, set := c.sources["brokerIP2"]; !set {
		c.BrokerIP2 = c.BrokerIP1
		c.sources["brokerIP2"] = "derived: brokerIP1"
	}
	if _, set := c.sources["storePathCommitLog"]; !set {
		c.StorePathCommitLog = filepath.Join(c.StorePathRootDir, "commitlog")
		c.sources["storePathCommitLog"] = "derived: storePathRootDir/commitlog"
	}
	if c.BrokerRole.IsMaster() && c.BrokerID != 0 {
		c.warnf("%s: brokerId=%d forced to 0: a %s is always 0, as in RocketMQ", c.Source("brokerId"), c.BrokerID, c.BrokerRole)
		c.BrokerID = 0
		c.sources["brokerId"] = "forced: master"
	}
	if r := c.MappedFileSizeConsumeQueue; r > 0 && r%20 != 0 {
		c.MappedFileSizeConsumeQueue = (r + 19) / 20 * 20
		c.warnf("%s: mappedFileSizeConsumeQueue=%d rounded up to %d (a multiple of 20), as in RocketMQ", c.Source("mappedFileSizeConsumeQueue"), r, c.MappedFileSizeConsumeQueue)
	}
	if r := c.DiskMaxUsedSpaceRatio; r < 10 || r > 95 {
		c.DiskMaxUsedSpaceRatio = min(max(r, 10), 95)
		c.warnf("%s: diskMaxUsedSpaceRatio=%d clamped to %d (10..95), as in RocketMQ", c.Source("diskMaxUsedSpaceRatio"), r, c.DiskMaxUsedSpaceRatio)
	}
	const lo, hi = 10 * time.Second, 60 * time.Second
	if p := c.RegisterNameServerPeriod; p < lo || p > hi {
		c.RegisterNameServerPeriod = min(max(p, lo), hi)
		c.warnf("%s: registerNameServerPeriod=%d clamped to %d (10000..60000 ms), as in RocketMQ", c.Source("registerNameServerPeriod"), p.Milliseconds(), c.RegisterNameServerPeriod.Milliseconds())
	}
}
