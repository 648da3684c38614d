package engine

import "errors"

var (
	// ErrClosed is returned by every Store method after Close.
	ErrClosed = errors.New("engine: store closed")
	// ErrInvalidConfig is returned (wrapped, naming the field) by
	// Config.Validate and Open.
	ErrInvalidConfig = errors.New("engine: invalid config")
	// ErrInvalidQueue is returned by Append for a negative queue id or one
	// of MaxQueueID or more.
	ErrInvalidQueue = errors.New("engine: queue id out of range")
	// ErrInvalidTopic is returned by Append and AppendBatch for a topic the
	// consume queues cannot hold as a directory name: empty, "." or "..",
	// longer than 255 bytes, or holding '/', '\\' or NUL.
	ErrInvalidTopic = errors.New("engine: invalid topic name")
	// ErrTransactionBatch is returned by AppendBatch for a batch holding a
	// PREPARED or ROLLBACK transaction record: batches are never
	// transactional (RocketMQ refuses them too).
	ErrTransactionBatch = errors.New("engine: transaction record in a batch")
	// ErrCheckpoint marks a checkpoint file that is not ours or whose CRC
	// does not match. Open then recovers as after a crash, from the start
	// of the commit log.
	ErrCheckpoint = errors.New("engine: bad checkpoint file")
	// ErrIndexDisabled is returned by QueryByKey when
	// Config.MessageIndexEnable is false.
	ErrIndexDisabled = errors.New("engine: message index disabled")
	// ErrCorruptRecord is returned (wrapped, with the range) by the read
	// methods for an offset inside a range the commit log's recovery
	// reported as corrupt (Store.Report); GetMessages skips such records.
	ErrCorruptRecord = errors.New("engine: record in a corrupt range")
	// ErrDispatch marks a failure of the dispatcher (a consume-queue or
	// index write): the dispatcher stops, appends go on, Close and
	// DispatchErr return it.
	ErrDispatch = errors.New("engine: dispatch failed")
	// ErrDiskFull is returned (as a *DiskFullError naming the usage) by
	// Append and AppendBatch while disk usage is at or above
	// Config.DiskHighWatermark. Reads go on; appends resume once a check
	// of the cleaner finds usage below the watermark minus 2%.
	ErrDiskFull = errors.New("engine: disk full")
)
