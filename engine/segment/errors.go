package segment

import "errors"

// ErrClosed is returned by every method that needs the file or the
// mapping once Close or Remove has been called, and by a second Close or
// Remove.
var ErrClosed = errors.New("segment: closed")

// ErrOutOfRange is returned (wrapped) by WriteAt and Truncate for a range
// that does not lie within [0, Size()). It is a caller bug and, unlike an
// I/O error, does not make the segment refuse later writes.
var ErrOutOfRange = errors.New("segment: range outside the segment")

// ErrBadName is returned (wrapped) by ParseName for a name that is not 20
// decimal digits.
var ErrBadName = errors.New("segment: not a segment file name")

// ErrExists is returned (wrapped) by Create when a segment with that base
// offset is already in the directory: Create never replaces one.
var ErrExists = errors.New("segment: segment file already exists")

// ErrSize is returned (wrapped) by Open when the file's length is not the
// configured segment size. Create renames a file to its final name only
// after it is fully allocated, so this means the file was changed behind
// the engine's back or the configuration changed.
var ErrSize = errors.New("segment: file size is not the segment size")

// ErrInvalidConfig is returned (wrapped) by Config.Validate.
var ErrInvalidConfig = errors.New("segment: invalid config")

// ErrAllocatorClosed is returned by Allocator.Next after Allocator.Close.
var ErrAllocatorClosed = errors.New("segment: allocator closed")

// ErrNotMapped is returned by Commit in WritePwrite mode: only a writable
// mapping can hold bytes stored by the writer directly.
var ErrNotMapped = errors.New("segment: not in WriteMapped mode")
