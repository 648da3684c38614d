package client

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strconv"
	"time"
)

// Config configures a Producer, a PullConsumer or an Admin. A zero field
// means its default. The config is copied by the constructors and
// immutable afterwards.
type Config struct {
	// NameServers are the name servers, "host:port". Required.
	NameServers []string

	// Group is the producer group (Producer, default "DEFAULT_PRODUCER")
	// or the consumer group (PullConsumer, required; offsets belong to
	// it). Admin ignores it.
	Group string

	// InstanceName names this client inside its process. The client id
	// the brokers see is ip@InstanceName; with the default "DEFAULT" it is
	// ip@pid, as RocketMQ's Java and Go clients make it.
	InstanceName string

	// SendTimeout bounds one send attempt (SendAsync) or a whole SendSync
	// or SendBatch whose context has no deadline, and every other request
	// whose context has none. Default 3 s.
	SendTimeout time.Duration

	// Retries is how often a failed send is retried on another queue
	// (another broker if there is one) after a transport error or a
	// retriable response code (protocol.IsRetriable). Default 2; negative
	// means none.
	Retries int

	// ConnsPerAddr is the number of connections kept to every broker and
	// name server; every connection pipelines any number of requests.
	// Default 1.
	ConnsPerAddr int

	// Logger receives the client's logs. Default slog.Default().
	Logger *slog.Logger
}

// Defaults.
const (
	DefaultInstanceName  = "DEFAULT"
	DefaultProducerGroup = "DEFAULT_PRODUCER"
	DefaultSendTimeout   = 3 * time.Second
	DefaultRetries       = 2

	// routeRefreshInterval is how often cached routes are refreshed
	// (RocketMQ's pollNameServerInterval).
	routeRefreshInterval = 30 * time.Second
	// heartbeatInterval is RocketMQ's heartbeatBrokerInterval.
	heartbeatInterval = 30 * time.Second
	// faultIsolation is how long a broker that failed a send with a
	// transport error is passed over by the default queue selection.
	faultIsolation = 10 * time.Second
)

// validate checks c and fills in the defaults.
func (c *Config) validate() error {
	if len(c.NameServers) == 0 {
		return fmt.Errorf("%w: no NameServers", ErrInvalidConfig)
	}
	for _, a := range c.NameServers {
		if _, _, err := net.SplitHostPort(a); err != nil {
			return fmt.Errorf("%w: name server %q: %w", ErrInvalidConfig, a, err)
		}
	}
	switch {
	case c.SendTimeout < 0:
		return fmt.Errorf("%w: SendTimeout %v < 0", ErrInvalidConfig, c.SendTimeout)
	case c.ConnsPerAddr < 0 || c.ConnsPerAddr > 1024:
		return fmt.Errorf("%w: ConnsPerAddr %d not in [0, 1024]", ErrInvalidConfig, c.ConnsPerAddr)
	}
	c.NameServers = append([]string(nil), c.NameServers...)
	if c.InstanceName == "" {
		c.InstanceName = DefaultInstanceName
	}
	if c.SendTimeout == 0 {
		c.SendTimeout = DefaultSendTimeout
	}
	if c.Retries == 0 {
		c.Retries = DefaultRetries
	} else if c.Retries < 0 {
		c.Retries = 0
	}
	if c.ConnsPerAddr == 0 {
		c.ConnsPerAddr = 1
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}

// clientID returns ip@instance (ip@pid for the default instance name).
func (c *Config) clientID(ip string) string {
	inst := c.InstanceName
	if inst == DefaultInstanceName {
		inst = strconv.Itoa(os.Getpid())
	}
	return ip + "@" + inst
}

// localIP returns the first non-loopback IPv4 address of this host, or
// 127.0.0.1.
func localIP() net.IP {
	addrs, err := net.InterfaceAddrs()
	if err == nil {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() {
				if ip4 := n.IP.To4(); ip4 != nil && !ip4.IsLinkLocalUnicast() {
					return ip4
				}
			}
		}
	}
	return net.IPv4(127, 0, 0, 1).To4()
}

// netipAddr converts ip for message.UniqIDConfig.
func netipAddr(ip net.IP) (netip.Addr, bool) {
	return netip.AddrFromSlice(ip)
}
