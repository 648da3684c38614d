//go:build !linux && !darwin

package stats

import "os"

// IsTerminal reports whether f is a terminal. Off Linux it says no, and the
// tools print plain lines.
func IsTerminal(f *os.File) bool { return false }
