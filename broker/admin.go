package broker

import "github.com/quivermq/quiver/netio"

// registerAdmin installs the admin handlers (topics, subscription groups,
// message queries, runtime info).
func (b *Broker) registerAdmin(srv *netio.Server) {}
