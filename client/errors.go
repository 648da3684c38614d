package client

import "errors"

// Sentinel errors. Errors returned by the client wrap one of these, a
// *protocol.Error (a broker's or name server's response code: test with
// errors.Is(err, protocol.ErrMessageIllegal) or errors.As), or a netio error
// (transport: netio.ErrConnClosed, netio.ErrTimeout...).
var (
	// ErrInvalidConfig marks a Config the constructor refused; the
	// message names the field.
	ErrInvalidConfig = errors.New("client: invalid config")
	// ErrClosed is returned by calls after Close.
	ErrClosed = errors.New("client: closed")
	// ErrInvalidMessage marks a message the client refuses to send (no
	// topic, nil, a property with a separator, a batch mixing topics...).
	ErrInvalidMessage = errors.New("client: invalid message")
	// ErrNoQueue is returned when the topic's route has no queue to use
	// (no writable queue for a send, no broker address for a queue).
	ErrNoQueue = errors.New("client: no queue available")
	// ErrNoNameServer is returned when no name server answered.
	ErrNoNameServer = errors.New("client: no name server reachable")
	// ErrUnsupportedCompression is returned by Pull for a message whose
	// body is compressed with a codec the client does not have (RocketMQ 5's LZ4 and zstd).
	ErrUnsupportedCompression = errors.New("client: unsupported body compression")
)
