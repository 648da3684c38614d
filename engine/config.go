package engine

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/quivermq/quiver/engine/commitlog"
	"github.com/quivermq/quiver/engine/consumequeue"
	"github.com/quivermq/quiver/engine/index"
	"github.com/quivermq/quiver/engine/vfs"
	"github.com/quivermq/quiver/message"
)

// MaxQueueID bounds queue ids (exclusive): the topic-queue table keeps a
// slice per topic indexed by queue id.
const MaxQueueID = 1 << 16

// Config configures a Store. It is immutable once passed to Open.
type Config struct {
	// Dir is the store root (broker.conf storePathRootDir). Required.
	// Open creates commitlog/, consumequeue/, index/, checkpoint, abort
	// and lock under it.
	Dir string
	// CommitLog configures the commit log (segment size, flush mode...).
	// Its Clock is replaced by Config.Clock when that is set.
	CommitLog commitlog.Config
	// ConsumeQueue configures the consume queues.
	ConsumeQueue consumequeue.Config
	// Index configures the key index; its Dir is set by Open to Dir/index.
	Index index.Config
	// MessageIndexEnable turns the key index on (broker.conf
	// messageIndexEnable). Default true.
	MessageIndexEnable bool
	// FS is the file system. Default vfs.Default.
	FS vfs.FS
	// Clock gives store timestamps and the checkpoint's clock. Default
	// time.Now.
	Clock func() time.Time
	// TagsCode computes the consume-queue tags code of a record; nil (the
	// default) means DefaultTagsCode, the TAGS hash, which the dispatcher
	// then takes from the one pass it makes over the properties for the
	// index keys. Called on the dispatcher goroutine; must not block.
	TagsCode func(r message.Record) int64
	// Notify is called by the dispatcher after it published new entries of
	// a queue (maxOffset is the queue's new MaxOffset, readable at once),
	// at most once per queue per dispatch round. Long polling hangs on it.
	// It runs on the dispatcher goroutine with no engine lock held: it must
	// not block, and may call any read method. Default: none.
	Notify func(topic string, queueID int32, maxOffset int64)
	// CheckpointInterval is how often the consume queues and the index
	// are synced and the checkpoint written. Default 1 s.
	CheckpointInterval time.Duration
	// BootID identifies the running boot of the machine; Open writes it
	// into the abort marker. An unclean start whose marker holds the
	// current BootID was a process crash (the page cache survived), so the
	// index keeps the entries written after its last flush; otherwise
	// (another boot, or unknown) it is treated as a power loss. Default
	// LinuxBootID; "" means unknown.
	BootID func() string
	// Logger receives recovery findings, dispatcher and checkpoint
	// failures. Default slog.Default(). Index.Logger defaults to it.
	Logger *slog.Logger
	// DispatchPoll is the longest the dispatcher sleeps without a wake-up
	// from Append (a safety net; appends wake it at once). Default 100 ms.
	DispatchPoll time.Duration

	// Retention and disk pressure (retention.go). The cleaner reads the
	// time from Clock, in its Location, and the usage of the file system
	// holding Dir from FS.DiskUsage.

	// FileReservedTime is how long, in hours, a sealed commit-log segment
	// is kept after its file was last modified (broker.conf
	// fileReservedTime). Zero means the default, 72; negative is invalid.
	FileReservedTime int
	// DeleteWhen lists the local hours at which expired segments are
	// deleted, ';'-separated, each 0..23 ("04", "04;16"; broker.conf
	// deleteWhen). Empty means the default, "04".
	DeleteWhen string
	// DiskMaxUsedSpaceRatio is the disk usage, in percent, at or above
	// which the cleaner deletes expired segments at any hour and then the
	// oldest segments regardless of age until usage is below it
	// (broker.conf diskMaxUsedSpaceRatio). Zero means the default, 75;
	// like RocketMQ, values are clamped to 10..95; negative is invalid.
	DiskMaxUsedSpaceRatio int
	// DiskHighWatermark is the disk usage, in percent, at or above which
	// Append and AppendBatch fail with ErrDiskFull; they work again once a
	// check finds usage below DiskHighWatermark-2 (hysteresis). Zero means
	// the default, 90; otherwise 10..100. (No RocketMQ key: RocketMQ
	// refuses writes past a fixed 90%, diskSpaceWarningLevelRatio.)
	DiskHighWatermark int
	// CleanInterval is how often the cleaner checks disk usage and
	// deletes (broker.conf cleanResourceInterval, ms there). Default 10 s;
	// negative is invalid.
	CleanInterval time.Duration
}

// DefaultTagsCode is what a nil Config.TagsCode computes: message.TagsCode
// of the TAGS property (0 without one).
func DefaultTagsCode(r message.Record) int64 { return r.TagsCode() }

// DefaultConfig returns the defaults documented on Config's fields, with
// Dir unset.
func DefaultConfig() Config {
	return Config{
		CommitLog:          commitlog.DefaultConfig(),
		ConsumeQueue:       consumequeue.DefaultConfig(),
		Index:              index.DefaultConfig(),
		MessageIndexEnable: true,
		FS:                 vfs.Default,
		Clock:              time.Now,
		CheckpointInterval: time.Second,
		DispatchPoll:       100 * time.Millisecond,

		FileReservedTime:      DefaultFileReservedTime,
		DeleteWhen:            DefaultDeleteWhen,
		DiskMaxUsedSpaceRatio: DefaultDiskMaxUsedSpaceRatio,
		DiskHighWatermark:     DefaultDiskHighWatermark,
		CleanInterval:         DefaultCleanInterval,
	}
}

// withDefaults fills zero fields with their defaults.
func (c Config) withDefaults() Config {
	if c.FS == nil {
		c.FS = vfs.Default
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.CheckpointInterval == 0 {
		c.CheckpointInterval = time.Second
	}
	if c.DispatchPoll == 0 {
		c.DispatchPoll = 100 * time.Millisecond
	}
	if c.BootID == nil {
		c.BootID = LinuxBootID
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Index.Logger == nil {
		c.Index.Logger = c.Logger
	}
	if c.CommitLog.Clock == nil {
		c.CommitLog.Clock = c.Clock
	}
	c = c.retentionDefaults()
	return c
}

// Validate reports the first invalid field, wrapping ErrInvalidConfig.
// Zero FS, Clock, TagsCode, CheckpointInterval and DispatchPoll mean their
// defaults.
func (c Config) Validate() error {
	c = c.withDefaults()
	if c.Dir == "" {
		return fmt.Errorf("%w: Dir is empty", ErrInvalidConfig)
	}
	if c.CheckpointInterval < 0 || c.DispatchPoll < 0 {
		return fmt.Errorf("%w: negative CheckpointInterval or DispatchPoll", ErrInvalidConfig)
	}
	if err := c.validateRetention(); err != nil {
		return err
	}
	if err := c.CommitLog.Validate(); err != nil {
		return fmt.Errorf("%w: CommitLog: %w", ErrInvalidConfig, err)
	}
	if err := c.ConsumeQueue.Validate(); err != nil {
		return fmt.Errorf("%w: ConsumeQueue: %w", ErrInvalidConfig, err)
	}
	ic := c.Index
	ic.Dir = "index"
	if err := ic.Validate(); err != nil {
		return fmt.Errorf("%w: Index: %w", ErrInvalidConfig, err)
	}
	return nil
}

// LinuxBootID returns /proc/sys/kernel/random/boot_id, or "" if it cannot be
// read. It is the default Config.BootID. (Not a store file, so not read
// through Config.FS.)
func LinuxBootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
