package commitlog

import (
	"errors"
	"fmt"
)

var (
	// ErrClosed is returned by every method once Close has been called.
	ErrClosed = errors.New("commitlog: closed")
	// ErrInvalidConfig is returned (wrapped) by Config.Validate.
	ErrInvalidConfig = errors.New("commitlog: invalid config")
	// ErrRecordTooLarge is returned (wrapped) by Append for a record that,
	// with the end-of-segment filler, does not fit in one segment, and by
	// AppendBatch for a batch that does not.
	ErrRecordTooLarge = errors.New("commitlog: record or batch larger than a segment")
	// ErrEmptyBatch is returned by AppendBatch for a batch with no items.
	ErrEmptyBatch = errors.New("commitlog: empty batch")
	// ErrFlushTimeout completes a WaitFlushed waiter whose data was not
	// durable within Config.SyncFlushTimeout (the broker answers
	// FLUSH_DISK_TIMEOUT). The data may still become durable later; the log
	// stays writable.
	ErrFlushTimeout = errors.New("commitlog: flush timed out")
	// ErrOffsetRange is returned (wrapped) by Read and ReadRange for an
	// offset below MinOffset (deleted) or at or past MaxOffset (not
	// written yet).
	ErrOffsetRange = errors.New("commitlog: offset out of range")
	// ErrNotRecord is returned (wrapped) by Read for an offset that holds
	// an end-of-segment filler, not a record.
	ErrNotRecord = errors.New("commitlog: offset holds no record")
	// ErrCorrupt marks a recovery that found damaged data between valid
	// records; see Report.Corrupt and CorruptError.
	ErrCorrupt = errors.New("commitlog: corrupt data in the log")
	// ErrPhysicalOffset is the reason recovery gives for a well-formed record
	// whose PHYSICALOFFSET is not its position (stale or misplaced bytes).
	ErrPhysicalOffset = errors.New("commitlog: record PHYSICALOFFSET differs from its position")
	// ErrDataPastEnd is returned (wrapped) by Open when a segment after the
	// recovered end of the log holds data that recovery could not reach.
	// Open deletes nothing in that case; the operator must look.
	ErrDataPastEnd = errors.New("commitlog: segment with data past the end of the log")
)

// CorruptRange is a range of the log that recovery could not read as
// records, with valid records after it. Err is why the first entry at Start
// failed (a *message.CorruptionError or ErrPhysicalOffset, wrapped).
type CorruptRange struct {
	Start, End int64
	Err        error
}

// CorruptError is what Report.Err returns when recovery found corrupt ranges.
// errors.Is(err, ErrCorrupt) holds.
type CorruptError struct {
	Ranges []CorruptRange
}

// Error formats the first range and the count.
func (e *CorruptError) Error() string {
	r := e.Ranges[0]
	return fmt.Sprintf("commitlog: %d corrupt range(s), first [%d, %d): %v", len(e.Ranges), r.Start, r.End, r.Err)
}

// Is reports ErrCorrupt.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }
