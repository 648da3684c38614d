package conf

import (
	"strconv"

	"github.com/quivermq/quiver/netio"
)

// ServerConfig returns the remoting server's transport configuration:
// netio's defaults with
//
//	listenPort                        Addr (":<listenPort>", every interface, as RocketMQ)
//	serverChannelMaxIdleTimeSeconds   IdleTimeout (0 = disabled, as in Netty)
//	serverSocketSndBufSize            SocketSendBuffer
//	serverSocketRcvBufSize            SocketRecvBuffer
//
// The caller sets the handlers, the Logger and what has no key.
func (c *Config) ServerConfig() netio.ServerConfig {
	sc := netio.DefaultServerConfig()
	sc.Addr = ":" + strconv.Itoa(c.ListenPort)
	sc.IdleTimeout = c.ServerChannelMaxIdleTime
	sc.SocketSendBuffer = c.ServerSocketSndBufSize
	sc.SocketRecvBuffer = c.ServerSocketRcvBufSize
	if sc.IdleTimeout == 0 {
		sc.IdleTimeout = -1 // netio: negative disables; zero would mean its default
	}
	return sc
}
