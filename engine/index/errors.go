package index

import "errors"

// Sentinel errors. Errors returned by this package wrap one of these, or an
// error of the vfs, with the file name and the operation; test them with
// errors.Is.
var (
	// ErrFull is returned by File.Put when the file holds its maximum number
	// of entries (indexCount ≥ maxIndexNum). Index.Put never returns it: it
	// rolls to a new file instead.
	ErrFull = errors.New("index: index file full")

	// ErrClosed is returned for work handed to a closed Index.
	ErrClosed = errors.New("index: closed")

	// ErrInvalidConfig marks a Config that Validate refused; the message
	// names the field.
	ErrInvalidConfig = errors.New("index: invalid config")

	// ErrCorrupt marks an index file that cannot be used: its size does not
	// match the configured slot and entry counts (was maxHashSlotNum or
	// maxIndexNum changed?) or its header is out of range. The index is
	// derived data: the engine may delete the directory and rebuild it from
	// the commit log.
	ErrCorrupt = errors.New("index: corrupt index file")
)
