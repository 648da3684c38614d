package broker

import (
	"github.com/quivermq/quiver/netio"
	"github.com/quivermq/quiver/protocol"
)

// client is the handle the group registry keeps for a connection: it
// identifies the connection and lets the broker send it requests
// (NOTIFY_CONSUMER_IDS_CHANGED, CHECK_TRANSACTION_STATE).
type client struct {
	conn   *netio.Conn
	remote string
}

// ID implements group.Client.
func (c *client) ID() uint64 { return c.conn.ID() }

// clientOf returns the handle of conn, creating it on first use.
func (b *Broker) clientOf(conn *netio.Conn) *client {
	if v, ok := b.conns.Load(conn); ok {
		return v.(*client)
	}
	c := &client{conn: conn, remote: conn.RemoteAddr().String()}
	v, _ := b.conns.LoadOrStore(conn, c)
	return v.(*client)
}

// connClosed runs on the event loop when a connection closes: the client
// leaves every group (the group's other members are told), and its queue
// locks stay until they expire, as RocketMQ's do.
func (b *Broker) connClosed(conn *netio.Conn, _ error) {
	v, ok := b.conns.LoadAndDelete(conn)
	if !ok {
		return
	}
	groups := b.clients.ConnectionClosed(v.(*client))
	b.notifyIDsChanged(groups)
}

// notifyIDsChanged sends NOTIFY_CONSUMER_IDS_CHANGED (oneway) to every
// client of each group, so that they rebalance at once rather than at
// their next 20 s rebalance tick.
func (b *Broker) notifyIDsChanged(groups []string) {
	if !b.cfg.NotifyConsumerIdsChangedEnable {
		return
	}
	for _, g := range groups {
		if sg, ok := b.subs.Get(g); ok && !sg.NotifyConsumerIDsChangedEnable {
			continue
		}
		for _, h := range b.clients.Consumers.Handles(g) {
			c := h.(*client)
			var cmd protocol.Command
			cmd.NewRequest(protocol.NotifyConsumerIDsChanged)
			(&protocol.NotifyConsumerIDsChangedRequestHeader{ConsumerGroup: g}).Encode(&cmd.Ext)
			if err := c.conn.InvokeOneway(&cmd); err != nil {
				b.log.Debug("notify consumer ids changed", "group", g, "client", c.remote, "err", err)
			}
		}
	}
}
