package index

import (
	"fmt"
	"log/slog"
	"math"
)

// RocketMQ's defaults (MessageStoreConfig maxHashSlotNum, maxIndexNum).
const (
	DefaultMaxHashSlots = 5_000_000
	DefaultMaxIndexNum  = 20_000_000
)

// Config configures an Index. A zero field means its default. Open copies
// it; it is immutable afterwards.
type Config struct {
	// Dir is the directory of the index files, <storePathRootDir>/index.
	// Required; Open creates it if needed.
	Dir string

	// MaxHashSlots is the number of hash slots per file (broker.conf
	// maxHashSlotNum). Default 5,000,000.
	MaxHashSlots int

	// MaxIndexNum is the number of entries per file, entry 0 included
	// though it is never used (broker.conf maxIndexNum). Default
	// 20,000,000. With the default slot count a file is 420,000,040 bytes.
	//
	// NB: both counts decide the layout of existing files, whose header
	// does not record them; Open refuses a file whose size does not match.
	MaxIndexNum int

	// Logger receives the deletions Open and DeleteBelow make. Default
	// slog.Default().
	Logger *slog.Logger
}

// DefaultConfig returns the defaults with Dir unset.
func DefaultConfig() Config {
	return Config{
		MaxHashSlots: DefaultMaxHashSlots,
		MaxIndexNum:  DefaultMaxIndexNum,
		Logger:       slog.Default(),
	}
}

// withDefaults returns c with zero fields set to their defaults.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.MaxHashSlots == 0 {
		c.MaxHashSlots = d.MaxHashSlots
	}
	if c.MaxIndexNum == 0 {
		c.MaxIndexNum = d.MaxIndexNum
	}
	if c.Logger == nil {
		c.Logger = d.Logger
	}
	return c
}

// Validate reports the first invalid field, wrapped in ErrInvalidConfig.
// Zero fields are valid (they mean the default), except Dir.
func (c *Config) Validate() error {
	switch {
	case c.Dir == "":
		return fmt.Errorf("%w: Dir is empty", ErrInvalidConfig)
	case c.MaxHashSlots < 0 || c.MaxHashSlots > math.MaxInt32:
		return fmt.Errorf("%w: MaxHashSlots %d not in [1, MaxInt32]", ErrInvalidConfig, c.MaxHashSlots)
	case c.MaxIndexNum < 0 || c.MaxIndexNum == 1 || c.MaxIndexNum > math.MaxInt32:
		// Entry 0 is never used, so one entry holds nothing.
		return fmt.Errorf("%w: MaxIndexNum %d not in [2, MaxInt32]", ErrInvalidConfig, c.MaxIndexNum)
	}
	d := c.withDefaults()
	if size := FileSize(d.MaxHashSlots, d.MaxIndexNum); size > math.MaxInt32 {
		// Java computes the file size in an int.
		return fmt.Errorf("%w: MaxHashSlots %d and MaxIndexNum %d make a file of %d bytes, over MaxInt32",
			ErrInvalidConfig, d.MaxHashSlots, d.MaxIndexNum, size)
	}
	return nil
}
