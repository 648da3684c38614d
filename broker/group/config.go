package group

import (
	"fmt"
	"log/slog"
	"time"
)

// RocketMQ's defaults.
const (
	// DefaultClientExpiry is how long a client may go without a heartbeat
	// before it is dropped (ConsumerManager/ProducerManager
	// CHANNEL_EXPIRED_TIMEOUT, 120 s).
	DefaultClientExpiry = 120 * time.Second
	// DefaultLockExpiry is how long a queue lock lives without being
	// renewed (RebalanceLockManager, property
	// rocketmq.broker.rebalance.lockMaxLiveTime, 60 s).
	DefaultLockExpiry = 60 * time.Second
	// DefaultPersistInterval is how often the offset persister runs
	// (broker.conf flushConsumerOffsetInterval, 5 s).
	DefaultPersistInterval = 5 * time.Second
)

// Config configures the client-group state. A zero field means its default,
// except AutoCreateSubscriptionGroup, whose default (true) DefaultConfig
// sets. Constructors copy it; it is immutable afterwards.
type Config struct {
	// ClientExpiry: consumers and producers with no heartbeat for longer
	// than this are removed by Expire. Default 120 s.
	ClientExpiry time.Duration

	// LockExpiry: a queue lock not renewed for longer than this is free
	// for another client. Default 60 s.
	LockExpiry time.Duration

	// AutoCreateSubscriptionGroup: SubscriptionGroups.Find creates a
	// missing group with the defaults (broker.conf
	// autoCreateSubscriptionGroup, default true). Groups named
	// CID_RMQ_SYS_* are created regardless, as in RocketMQ.
	AutoCreateSubscriptionGroup bool

	// CompileSQL92, if set, compiles the expression of every SQL92
	// subscription that Consumers.Heartbeat stores; the result goes into
	// Subscription.Compiled (or the error into Subscription.CompileErr).
	// It is called with the Consumers lock held and must not call back
	// into this package. Nil leaves Compiled nil.
	CompileSQL92 func(expression string) (any, error)

	// Now is the clock. Default time.Now.
	Now func() time.Time

	// Logger receives client registrations, expiries and load fallbacks.
	// Default slog.Default().
	Logger *slog.Logger
}

// DefaultConfig returns RocketMQ's defaults.
func DefaultConfig() Config {
	return Config{
		ClientExpiry:                DefaultClientExpiry,
		LockExpiry:                  DefaultLockExpiry,
		AutoCreateSubscriptionGroup: true,
		Now:                         time.Now,
		Logger:                      slog.Default(),
	}
}

// withDefaults returns c with zero fields set to their defaults.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.ClientExpiry == 0 {
		c.ClientExpiry = d.ClientExpiry
	}
	if c.LockExpiry == 0 {
		c.LockExpiry = d.LockExpiry
	}
	if c.Now == nil {
		c.Now = d.Now
	}
	if c.Logger == nil {
		c.Logger = d.Logger
	}
	return c
}

// Validate reports the first invalid field, wrapped in ErrInvalidConfig.
func (c *Config) Validate() error {
	switch {
	case c.ClientExpiry < 0:
		return fmt.Errorf("%w: ClientExpiry %v is negative", ErrInvalidConfig, c.ClientExpiry)
	case c.LockExpiry < 0:
		return fmt.Errorf("%w: LockExpiry %v is negative", ErrInvalidConfig, c.LockExpiry)
	}
	return nil
}
