package errorfs

import "errors"

// ErrInjected marks every error that an Injector caused: errors.Is(err,
// ErrInjected) tells an injected fault from a real bug. The injected errno
// itself (syscall.EIO, syscall.ENOSPC, ...) stays reachable with errors.Is.
var ErrInjected = errors.New("errorfs: injected fault")

// ErrCrashed is returned (wrapped in an *os.PathError) by every method of a
// File or Mapping that was opened before FS.Crash: the process that held
// it is, in the simulation, dead.
var ErrCrashed = errors.New("errorfs: handle predates a simulated crash")

// ErrMappedGrowth is returned (wrapped) when a file would grow past the
// capacity of its backing array while a mapping of it exists. The backing
// array is what Mapping.Bytes returns, so it cannot move; preallocate a
// file to its final size before mapping it (the engine does anyway).
var ErrMappedGrowth = errors.New("errorfs: mapped file cannot grow past its preallocated size")

// InjectedError is the error an Injector returned, as the FS wraps it in
// an *os.PathError (an *os.LinkError for Rename).
type InjectedError struct {
	Op  Op
	Err error
}

func (e *InjectedError) Error() string { return e.Err.Error() + " (injected at " + e.Op.String() + ")" }

// Unwrap returns the injected error, so errors.Is(err, syscall.EIO) holds.
func (e *InjectedError) Unwrap() error { return e.Err }

// Is reports target == ErrInjected.
func (e *InjectedError) Is(target error) bool { return target == ErrInjected }
