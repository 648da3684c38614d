package segment

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/quivermq/quiver/engine/vfs"
)

// nameLen is the length of a segment file name: the base offset in
// decimal, zero-padded, so that lexical order is numeric order (RocketMQ's
// commit-log names). Format, never change.
const nameLen = 20

// tmpSuffix marks a segment still being allocated. A file with it is never
// a valid segment; RemoveTemps deletes leftovers after a crash.
const tmpSuffix = ".tmp"

// Name returns the file name of the segment starting at base, e.g.
// Name(1073741824) == "00000000001073741824". base must not be negative.
func Name(base int64) string {
	return fmt.Sprintf("%0*d", nameLen, base)
}

// ParseName returns the base offset a segment file name encodes. It
// accepts exactly 20 decimal digits, wrapping ErrBadName otherwise.
func ParseName(name string) (int64, error) {
	if len(name) != nameLen {
		return 0, fmt.Errorf("%w: %q", ErrBadName, name)
	}
	var base int64
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%w: %q", ErrBadName, name)
		}
		d := int64(c - '0')
		if base > (1<<63-1-d)/10 {
			return 0, fmt.Errorf("%w: %q overflows int64", ErrBadName, name)
		}
		base = base*10 + d
	}
	return base, nil
}

// List returns the base offsets of the segments in dir, ascending. Other
// entries (temporary files included) are ignored. A missing dir is empty.
func List(fs vfs.FS, dir string) ([]int64, error) {
	names, err := fs.List(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("segment: list %s: %w", dir, err)
	}
	var bases []int64
	for _, n := range names { // sorted, and the names are fixed-width
		if b, err := ParseName(n); err == nil {
			bases = append(bases, b)
		}
	}
	return bases, nil
}

// RemoveTemps deletes the temporary files a crash during Create can leave
// in dir and syncs dir if it removed any. It returns how many it removed.
// Call it at start-up, before an Allocator runs in dir.
func RemoveTemps(fs vfs.FS, dir string) (int, error) {
	names, err := fs.List(dir)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("segment: list %s: %w", dir, err)
	}
	n := 0
	for _, name := range names {
		stem, ok := strings.CutSuffix(name, tmpSuffix)
		if !ok {
			continue
		}
		if _, err := ParseName(stem); err != nil {
			continue
		}
		if err := fs.Remove(filepath.Join(dir, name)); err != nil {
			return n, fmt.Errorf("segment: remove %s: %w", name, err)
		}
		n++
	}
	if n > 0 {
		if err := fs.SyncDir(dir); err != nil {
			return n, fmt.Errorf("segment: sync dir %s: %w", dir, err)
		}
	}
	return n, nil
}
