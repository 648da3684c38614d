package conf

import "errors"

var (
	// ErrUnknownKey marks a key that is not a RocketMQ 4.9 broker key nor
	// one of Quiver's. The message names the key, where it was found and
	// the nearest valid key.
	ErrUnknownKey = errors.New("conf: unknown key")
	// ErrBadValue marks a value that does not parse as its key's type. The
	// message names the key, where it was found and the expected type.
	ErrBadValue = errors.New("conf: bad value")
	// ErrInvalid marks a configuration whose values parse but break a rule
	// (a range, an enum, a relation between keys).
	ErrInvalid = errors.New("conf: invalid configuration")
)
