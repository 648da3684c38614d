package client

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/quivermq/quiver/protocol"
)

// Admin makes the administrative calls tools and benchmarks need. It
// keeps no route cache and runs no background work. Safe for concurrent
// use.
type Admin struct {
	c *core
}

// NewAdmin returns an admin client for cfg (cfg.Group is not used).
func NewAdmin(cfg Config) (*Admin, error) {
	c, err := newCore(cfg)
	if err != nil {
		return nil, err
	}
	return &Admin{c: c}, nil
}

// Close closes the admin client's connections.
func (a *Admin) Close() error { return a.c.close() }

// clusterInfo asks the name servers for GET_BROKER_CLUSTER_INFO.
func (a *Admin) clusterInfo(ctx context.Context) (protocol.ClusterInfo, error) {
	var cmd protocol.Command
	cmd.NewRequest(protocol.GetBrokerClusterInfo)
	cmd.Serialize = headerEncoding
	ctx, cancel := a.c.withTimeout(ctx)
	defer cancel()
	resp, err := a.c.invokeNS(ctx, &cmd)
	if err != nil {
		return protocol.ClusterInfo{}, fmt.Errorf("client: cluster info: %w", err)
	}
	if err := protocol.ErrorFromResponse(resp); err != nil {
		return protocol.ClusterInfo{}, fmt.Errorf("client: cluster info: %w", err)
	}
	var info protocol.ClusterInfo
	if err := protocol.UnmarshalBody(resp.Body, &info); err != nil {
		return protocol.ClusterInfo{}, fmt.Errorf("client: cluster info: %w", err)
	}
	return info, nil
}

// BrokerAddrs returns the master address of every broker the name servers
// know (GET_BROKER_CLUSTER_INFO), by broker name. Brokers without a live
// master are left out.
func (a *Admin) BrokerAddrs(ctx context.Context) (map[string]string, error) {
	info, err := a.clusterInfo(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(info.BrokerAddrTable))
	for name, bd := range info.BrokerAddrTable {
		if m := bd.MasterAddr(); m != "" {
			out[name] = m
		}
	}
	return out, nil
}

// Route returns topic's route as the name servers have it
// (GET_ROUTEINFO_BY_TOPIC), uncached. A topic they do not know gives an
// error wrapping protocol.ErrTopicNotExist.
func (a *Admin) Route(ctx context.Context, topic string) (protocol.TopicRouteData, error) {
	return a.c.fetchRoute(ctx, topic)
}

// CreateTopic creates topic, or updates it, with queues read and write
// queues (perm read+write, SINGLE_TAG) on the master of every broker the
// name servers know (UPDATE_AND_CREATE_TOPIC), then waits until the
// topic's route shows those queues on all of them. ctx bounds the whole
// call; without a deadline, ten times Config.SendTimeout does.
func (a *Admin) CreateTopic(ctx context.Context, topic string, queues int) error {
	if topic == "" || queues <= 0 || queues > 1<<16 {
		return fmt.Errorf("%w: topic %q with %d queues", ErrInvalidMessage, topic, queues)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 10*a.c.cfg.SendTimeout)
		defer cancel()
	}
	brokers, err := a.BrokerAddrs(ctx)
	if err != nil {
		return err
	}
	if len(brokers) == 0 {
		return fmt.Errorf("%w: the name servers know no broker with a master", ErrNoQueue)
	}
	names := make([]string, 0, len(brokers))
	for n := range brokers {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		addr := brokers[n]
		var cmd protocol.Command
		cmd.NewRequest(protocol.UpdateAndCreateTopic)
		cmd.Serialize = headerEncoding
		(&protocol.CreateTopicRequestHeader{
			Topic:           topic,
			DefaultTopic:    defaultTopic,
			ReadQueueNums:   int32(queues),
			WriteQueueNums:  int32(queues),
			Perm:            protocol.PermRead | protocol.PermWrite,
			TopicFilterType: protocol.TopicFilterSingleTag,
		}).Encode(&cmd.Ext)
		resp, err := a.c.nc.Invoke(ctx, addr, &cmd)
		if err == nil {
			err = protocol.ErrorFromResponse(resp)
		}
		if err != nil {
			return fmt.Errorf("client: create topic %s on %s (%s): %w", topic, n, addr, err)
		}
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		rt, err := a.c.fetchRoute(ctx, topic)
		if err == nil && routeHas(rt, names, int32(queues)) {
			return nil
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = fmt.Errorf("route %v", rt.QueueDatas)
			}
			return fmt.Errorf("client: topic %s created, but the route does not show it yet (%w): %w", topic, ctx.Err(), err)
		case <-tick.C:
		}
	}
}

// routeHas reports whether rt has queues read and write queues on every
// broker of names.
func routeHas(rt protocol.TopicRouteData, names []string, queues int32) bool {
	for _, n := range names {
		ok := false
		for _, q := range rt.QueueDatas {
			if q.BrokerName == n && q.ReadQueueNums == queues && q.WriteQueueNums == queues {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}
