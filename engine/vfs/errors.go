package vfs

import "errors"

// ErrLocked is returned (wrapped, with the path) by FS.Lock when another
// process, or another Lock in this one, holds the lock.
var ErrLocked = errors.New("vfs: file is locked")

// ErrMapRange is returned (wrapped) by File.Map when size is not positive
// or the file is shorter than size: touching a mapped page past the end of
// the file would raise SIGBUS.
var ErrMapRange = errors.New("vfs: mapping size out of range")

// ErrUnmapped is returned by Mapping.Advise and Mapping.Unmap once the
// mapping has been released.
var ErrUnmapped = errors.New("vfs: mapping released")
