package namesrv

import "errors"

// Sentinel errors.
var (
	// ErrInvalidConfig is a Config field out of range, or a properties file
	// with an unknown key or a value that does not parse.
	ErrInvalidConfig = errors.New("namesrv: invalid config")
	// ErrKVConfigFile is a KV config file that exists but cannot be read
	// or decoded; the server refuses to start rather than overwrite it.
	ErrKVConfigFile = errors.New("namesrv: bad KV config file")
)
