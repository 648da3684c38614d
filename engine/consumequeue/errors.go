package consumequeue

import "errors"

// Errors returned by this package, wrapped with context (queue, offset,
// file) where there is any. Test for them with errors.Is.
var (
	// ErrClosed is returned by every method of a Queue or Table after
	// Close, and by a Queue whose topic was deleted.
	ErrClosed = errors.New("consumequeue: closed")

	// ErrBelowMin is returned by Entries and At for an offset below the
	// queue's MinOffset: the entry was deleted by retention or points at
	// commit-log data that is gone. The broker answers OFFSET_TOO_SMALL.
	ErrBelowMin = errors.New("consumequeue: offset below the queue's minimum")

	// ErrBeyondMax is returned by At for an offset at or past MaxOffset.
	ErrBeyondMax = errors.New("consumequeue: offset at or past the queue's maximum")

	// ErrInvalidEntry is returned by Put for a negative queue or commit-log
	// offset, or a size outside (0, BlankSize).
	ErrInvalidEntry = errors.New("consumequeue: invalid entry")

	// ErrMismatch is returned by Put for a queue offset below MaxOffset
	// whose stored entry differs from the one put: the queue disagrees
	// with the commit log being re-dispatched. The queue is unchanged.
	ErrMismatch = errors.New("consumequeue: stored entry differs from the re-put one")

	// ErrGap is returned by Put when the queue offset is further past
	// MaxOffset of a non-empty queue than MaxGap entries; filling it with
	// blank entries would write more than any real loss can explain.
	ErrGap = errors.New("consumequeue: queue offset too far past the maximum")

	// ErrCorrupt marks queue files that cannot be loaded: a wrong file
	// size, a name that is not a multiple of the file size, or a hole in
	// the sequence of files. The queue is derived data; the store can
	// delete its directory and rebuild it from the commit log.
	ErrCorrupt = errors.New("consumequeue: corrupt queue files")

	// ErrInvalidName is returned for a topic name that is empty, "." or
	// "..", longer than 255 bytes, or holds '/', '\\' or NUL, and for a
	// negative queue id: either could escape the consumequeue directory.
	ErrInvalidName = errors.New("consumequeue: invalid topic name or queue id")

	// ErrInvalidConfig is returned (wrapped, naming the field) by
	// Config.Validate.
	ErrInvalidConfig = errors.New("consumequeue: invalid config")
)
