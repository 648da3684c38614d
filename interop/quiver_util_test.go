//go:build !race

package interop_test

import (
	"context"
	"time"

	"github.com/quivermq/quiver/netio"
	"github.com/quivermq/quiver/protocol"
)

func protocolConsumerList(group string) *protocol.Command {
	var cmd protocol.Command
	cmd.NewRequest(protocol.GetConsumerListByGroup)
	(&protocol.GetConsumerListByGroupRequestHeader{ConsumerGroup: group}).Encode(&cmd.Ext)
	return &cmd
}

// invokeBroker sends one request on a fresh connection.
func invokeBroker(addr string, cmd *protocol.Command) (*protocol.Command, error) {
	cl, err := netio.NewClient(netio.DefaultClientConfig())
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	return cl.Invoke(ctx, addr, cmd)
}

// waitRoute waits until the name server has a route for topic (a topic
// auto-created by a send is registered by the broker right after the send,
// and a push consumer's Start fails while its topic has no route).
func (c *cluster) waitRoute(topic string) {
	c.t.Helper()
	var cmd protocol.Command
	cmd.NewRequest(protocol.GetRouteInfoByTopic)
	(&protocol.GetRouteInfoRequestHeader{Topic: topic}).Encode(&cmd.Ext)
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := invokeBroker(c.nsAddr, &cmd)
		if err == nil && resp.Code == 0 {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("no route for %s after 10s: %v %v", topic, err, resp)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
