package netio

import (
	"errors"
	"fmt"
	"net"
)

// Sentinel errors. Errors returned by netio wrap one of these (and, for
// connection loss, the cause), so callers test with errors.Is.
var (
	// ErrInvalidConfig marks a ServerConfig or ClientConfig that Validate
	// refused; the message names the field.
	ErrInvalidConfig = errors.New("netio: invalid config")
	// ErrServerStarted is returned by Start on a server that was started
	// before.
	ErrServerStarted = errors.New("netio: server already started")
	// ErrServerClosed is returned for work handed to a server that is
	// shutting down or stopped.
	ErrServerClosed = errors.New("netio: server closed")
	// ErrClientClosed is returned by a Client after Close.
	ErrClientClosed = errors.New("netio: client closed")
	// ErrConnClosed is returned (wrapping the cause, if any) for a reply,
	// request or pending call whose connection closed first.
	ErrConnClosed = errors.New("netio: connection closed")
	// ErrTimeout is returned by Invoke and passed to InvokeAsync callbacks
	// when no response came in time. A late response is dropped.
	ErrTimeout = errors.New("netio: request timed out")
	// ErrAlreadyAnswered is returned when a request is answered a second
	// time; nothing is written.
	ErrAlreadyAnswered = errors.New("netio: request already answered")
	// ErrRequestDone is returned by a Request used after its handler
	// returned; use Request.Responder to answer later.
	ErrRequestDone = errors.New("netio: request used after its handler returned")
	// ErrIdleTimeout is the close cause of a server connection that sent
	// nothing for ServerConfig.IdleTimeout.
	ErrIdleTimeout = errors.New("netio: connection idle")
	// ErrSlowConsumer is the close cause of a server connection whose
	// unsent output exceeded ServerConfig.MaxOutboundBytes.
	ErrSlowConsumer = errors.New("netio: peer does not read its replies")
)

// closedError returns ErrConnClosed naming the peer and wrapping cause.
func closedError(remote net.Addr, cause error) error {
	if cause == nil {
		return fmt.Errorf("%w (peer %v)", ErrConnClosed, remote)
	}
	return fmt.Errorf("%w (peer %v): %w", ErrConnClosed, remote, cause)
}
