package group

import (
	"cmp"
	"slices"
	"time"

	"github.com/quivermq/quiver/protocol"
)

// Registry joins the consumer and producer tables for the requests that
// concern both: HEART_BEAT, UNREGISTER_CLIENT, a closed connection and the
// expiry scan (RocketMQ runs it every 10 s).
//
// It is safe for concurrent use. It takes the Consumers lock and the
// Producers lock one at a time, never both.
type Registry struct {
	Consumers *Consumers
	Producers *Producers
}

// NewRegistry returns empty tables sharing cfg.
func NewRegistry(cfg Config) *Registry {
	return &Registry{Consumers: NewConsumers(cfg), Producers: NewProducers(cfg)}
}

// Heartbeat registers a decoded HEART_BEAT body from connection h: its
// producer groups, then its consumer groups. It returns the consumer-group
// changes (see Consumers.Heartbeat). A nil h or hb registers nothing.
func (r *Registry) Heartbeat(h Client, language protocol.LanguageCode, version int16, hb *protocol.HeartbeatData) []GroupChange {
	if h == nil || hb == nil {
		return nil
	}
	r.Producers.Heartbeat(h, hb.ClientID, language, version, hb.ProducerDataSet)
	return r.Consumers.Heartbeat(h, hb.ClientID, language, version, hb.ConsumerDataSet)
}

// Unregister handles UNREGISTER_CLIENT: it removes clientID from
// producerGroup and consumerGroup (either may be "") and reports whether
// the consumer group's client set changed (then the broker notifies the
// group's remaining clients).
func (r *Registry) Unregister(clientID, producerGroup, consumerGroup string) (consumerChanged bool) {
	if producerGroup != "" {
		r.Producers.Unregister(clientID, producerGroup)
	}
	if consumerGroup != "" {
		consumerChanged = r.Consumers.Unregister(clientID, consumerGroup)
	}
	return consumerChanged
}

// ConnectionClosed removes connection h everywhere and returns the consumer
// groups whose client set changed, sorted (the broker notifies their
// remaining clients).
func (r *Registry) ConnectionClosed(h Client) []string {
	r.Producers.ConnectionClosed(h)
	return r.Consumers.ConnectionClosed(h)
}

// Expire runs both expiry scans at now. It returns the consumer groups
// whose client set changed, sorted, and the expired connections that are
// registered nowhere any more, by id: RocketMQ closes those.
func (r *Registry) Expire(now time.Time) (groups []string, gone []Client) {
	_, pg := r.Producers.Expire(now)
	groups, cg := r.Consumers.Expire(now)
	seen := make(map[uint64]bool, len(pg)+len(cg))
	for _, h := range append(pg, cg...) {
		hid := h.ID()
		if seen[hid] {
			continue
		}
		seen[hid] = true
		// NB: a heartbeat may have re-registered h between the two scans
		// and this check; then it is simply not reported.
		if !r.Producers.registered(hid) && !r.Consumers.registered(hid) {
			gone = append(gone, h)
		}
	}
	slices.SortFunc(gone, func(a, b Client) int { return cmp.Compare(a.ID(), b.ID()) })
	return groups, gone
}
