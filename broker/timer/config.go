package timer

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/quivermq/quiver/engine/vfs"
)

// Config configures a Wheel. It is immutable once passed to Open.
type Config struct {
	// Dir holds the wheel's files (e.g. <storePathRootDir>/timer).
	// Required.
	Dir string
	// FS is the file system. Default vfs.Default.
	FS vfs.FS
	// MaxDelay is the longest delay Add accepts, measured from the clock
	// at Add: RocketMQ's timerMaxDelaySec. Default 72h (259200 s).
	MaxDelay time.Duration
	// Slack is added to MaxDelay to give the wheel's span. It is how far
	// delivery may fall behind before Add refuses entries whose slot
	// still holds undelivered ones (ErrBusy). Default 24h.
	Slack time.Duration
	// Precision is the width of one slot: entries are delivered at the
	// start of the first tick at or after their slot. A whole number of
	// milliseconds from 10ms to 1m. Default 1s (RocketMQ's
	// timerPrecisionMs).
	Precision time.Duration
	// SegmentSize is the size of one timer-log file in bytes, a positive
	// multiple of 12288 (the least common multiple of the 48-byte entry
	// and a 4 KiB page). Default 48 MiB: 1,048,576 entries.
	SegmentSize int
	// MaxBatch caps the entries handed to one deliver call. Default 1024.
	MaxBatch int
	// CheckpointInterval paces checkpoints (a sync of the log and of the
	// checkpoint file) while delivery runs through a long backlog; a
	// checkpoint is also taken at the end of every Tick that changed
	// something. Default 1s.
	CheckpointInterval time.Duration
	// RetryMin and RetryMax bound Run's exponential back-off after a
	// failed deliver. Defaults 100ms and 10s.
	RetryMin, RetryMax time.Duration
	// Clock returns the current time. Default time.Now.
	Clock func() time.Time
	// Logger receives recovery and delivery-failure messages. Default
	// slog.Default().
	Logger *slog.Logger
}

// DefaultConfig returns the defaults documented on Config's fields, for
// the directory dir.
func DefaultConfig(dir string) Config {
	return Config{
		Dir:                dir,
		FS:                 vfs.Default,
		MaxDelay:           72 * time.Hour,
		Slack:              24 * time.Hour,
		Precision:          time.Second,
		SegmentSize:        defaultSegmentSize,
		MaxBatch:           1024,
		CheckpointInterval: time.Second,
		RetryMin:           100 * time.Millisecond,
		RetryMax:           10 * time.Second,
		Clock:              time.Now,
		Logger:             slog.Default(),
	}
}

// withDefaults fills the zero fields of c with DefaultConfig's values.
func (c Config) withDefaults() Config {
	d := DefaultConfig(c.Dir)
	if c.FS == nil {
		c.FS = d.FS
	}
	if c.MaxDelay == 0 {
		c.MaxDelay = d.MaxDelay
	}
	if c.Slack == 0 {
		c.Slack = d.Slack
	}
	if c.Precision == 0 {
		c.Precision = d.Precision
	}
	if c.SegmentSize == 0 {
		c.SegmentSize = d.SegmentSize
	}
	if c.MaxBatch == 0 {
		c.MaxBatch = d.MaxBatch
	}
	if c.CheckpointInterval == 0 {
		c.CheckpointInterval = d.CheckpointInterval
	}
	if c.RetryMin == 0 {
		c.RetryMin = d.RetryMin
	}
	if c.RetryMax == 0 {
		c.RetryMax = d.RetryMax
	}
	if c.Clock == nil {
		c.Clock = d.Clock
	}
	if c.Logger == nil {
		c.Logger = d.Logger
	}
	return c
}

// Validate reports the first field out of range, wrapping
// ErrInvalidConfig. Zero fields are invalid here: Open fills them with
// defaults before it validates.
func (c Config) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...)
	}
	switch {
	case c.Dir == "":
		return bad("Dir is empty")
	case c.FS == nil:
		return bad("FS is nil")
	case c.Precision < 10*time.Millisecond || c.Precision > time.Minute || c.Precision%time.Millisecond != 0:
		return bad("Precision %v is not a whole number of milliseconds in [10ms, 1m]", c.Precision)
	case c.MaxDelay < c.Precision:
		return bad("MaxDelay %v is shorter than Precision %v", c.MaxDelay, c.Precision)
	case c.Slack < c.Precision:
		return bad("Slack %v is shorter than Precision %v", c.Slack, c.Precision)
	case (c.MaxDelay+c.Slack)/c.Precision > maxSlots:
		return bad("span %v / Precision %v exceeds %d slots", c.MaxDelay+c.Slack, c.Precision, maxSlots)
	case c.SegmentSize <= 0 || c.SegmentSize%segmentQuantum != 0:
		return bad("SegmentSize %d is not a positive multiple of %d", c.SegmentSize, segmentQuantum)
	case c.MaxBatch <= 0:
		return bad("MaxBatch %d is not positive", c.MaxBatch)
	case c.CheckpointInterval <= 0:
		return bad("CheckpointInterval %v is not positive", c.CheckpointInterval)
	case c.RetryMin <= 0 || c.RetryMax < c.RetryMin:
		return bad("RetryMin %v / RetryMax %v out of order", c.RetryMin, c.RetryMax)
	case c.Clock == nil:
		return bad("Clock is nil")
	case c.Logger == nil:
		return bad("Logger is nil")
	}
	return nil
}

// slotCount is the number of slots of the wheel: the span over Precision,
// rounded up.
func (c Config) slotCount() int64 {
	span := c.MaxDelay + c.Slack
	n := int64(span / c.Precision)
	if span%c.Precision != 0 {
		n++
	}
	return n
}
