package errorfs

import (
	"bytes"
	"math/bits"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"time"
)

// PageSize is the granularity of write-back that the FS models: dirty
// pages, lost pages after a failed Sync and the partial write-back of
// Crash are all counted in PageSize pages.
const PageSize = 4096

// inode is a file or a directory. Directory entries name inodes, so a
// renamed file keeps its identity, its open handles and its mappings.
//
// Locking: fields marked (fs) are guarded by FS.mu; fields marked (mu) by
// inode.mu; maps, wmaps and freed change only with both held, so either
// lock is enough to read them. Lock order: FS.mu, then inode.mu.
type inode struct {
	st  *state // the state whose disk usage this inode counts in; immutable
	dir bool   // immutable
	// perm is the permission bits; immutable.
	perm os.FileMode

	// entries is a directory's live entry set, what List sees (fs).
	entries map[string]*inode
	// durable is a directory's entry set as of its last SyncDir: what a
	// crash leaves (fs).
	durableEntries map[string]*inode
	// nlink counts the live directory entries naming the inode (fs).
	nlink int
	// opens counts open Files (fs).
	opens int

	mu sync.Mutex
	// data is the live content (the page cache): what ReadAt and every
	// Mapping see; len(data) is the file's size. While maps > 0, data's
	// backing array never moves; it is always zero past len(data), so
	// growth within cap needs no clearing (mu).
	data []byte
	// durable is the content as of the last successful Sync (mu).
	durable []byte
	// dirty has a bit per page that WriteAt, Truncate or Preallocate may
	// have changed since the last Sync (mu).
	dirty []uint64
	// scanAll is set while a writable mapping may have changed pages that
	// dirty does not know of: Sync and Crash then compare every page (mu).
	scanAll bool
	// maps and wmaps count live mappings, all and writable (mu+fs).
	maps, wmaps int
	// lost holds the pages a failed Sync dropped, with their content at
	// that time: as on Linux after an fsync error, they are clean in the
	// page cache but not on disk, and a later Sync does not write them
	// unless they change again (mu).
	lost map[int][]byte
	// freed is set once the inode has no name, handle or mapping left and
	// its bytes no longer count as used (mu+fs).
	freed   bool
	modTime time.Time // (mu)
	scratch []int     // pendingLocked's result (mu)
}

func newFile(st *state, now time.Time) *inode {
	return &inode{st: st, perm: 0o644, modTime: now}
}

func newDir(st *state, perm os.FileMode, now time.Time) *inode {
	return &inode{
		st: st, dir: true, perm: perm & os.ModePerm, modTime: now,
		entries: map[string]*inode{}, durableEntries: map[string]*inode{},
	}
}

// resize returns b resized to n bytes, zero past the old length, reusing
// b's array when it is large enough. exact allocates exactly n bytes of
// capacity when it must allocate; otherwise growth is amortized.
func resize(b []byte, n int, exact bool) []byte {
	if n <= len(b) {
		return b[:n]
	}
	if n <= cap(b) {
		old := len(b)
		b = b[:n]
		clear(b[old:])
		return b
	}
	c := n
	if !exact {
		c = max(n, 2*cap(b))
	}
	nb := make([]byte, n, c)
	copy(nb, b)
	return nb
}

// markDirtyLocked marks the pages of [lo, hi) dirty. A page lost to a
// failed Sync is no longer lost once written again, even with the same
// bytes (a write through a mapping cannot be seen, so there only a change
// of content counts).
//
// REQUIRES: n.mu held.
func (n *inode) markDirtyLocked(lo, hi int64) {
	if hi <= lo {
		return
	}
	first, last := int(lo/PageSize), int((hi-1)/PageSize)
	if w := last/64 + 1; w > len(n.dirty) {
		n.dirty = append(n.dirty, make([]uint64, w-len(n.dirty))...)
	}
	for p := first; p <= last; p++ {
		n.dirty[p/64] |= 1 << (p % 64)
		if n.lost != nil {
			delete(n.lost, p)
		}
	}
}

// eachCandidateLocked calls fn, in ascending order, for every page that
// may differ between the live and the durable content.
//
// REQUIRES: n.mu held.
func (n *inode) eachCandidateLocked(fn func(p int)) {
	if n.scanAll {
		end := max(len(n.data), len(n.durable))
		for p := 0; p*PageSize < end; p++ {
			fn(p)
		}
		return
	}
	for w, word := range n.dirty {
		for word != 0 {
			b := bits.TrailingZeros64(word)
			fn(w*64 + b)
			word &^= 1 << b
		}
	}
}

// page returns page p of b: b[p*PageSize:...] clipped to len(b).
func page(b []byte, p int) []byte {
	lo := p * PageSize
	if lo >= len(b) {
		return nil
	}
	return b[lo:min(lo+PageSize, len(b))]
}

// pendingLocked returns, ascending, the pages whose live content a Sync
// would write: pages that differ from the durable content (in bytes or in
// where the file ends) and are not lost to a failed Sync. The slice is
// n's scratch space, valid until the next call.
//
// REQUIRES: n.mu held.
func (n *inode) pendingLocked() []int {
	out := n.scratch[:0]
	n.eachCandidateLocked(func(p int) {
		live := page(n.data, p)
		if bytes.Equal(live, page(n.durable, p)) {
			return
		}
		if l, ok := n.lost[p]; ok && live != nil && bytes.Equal(l, live) {
			return
		}
		out = append(out, p)
	})
	n.scratch = out
	return out
}

// syncLocked makes the live content durable, except pages lost to an
// earlier failed Sync that have not changed since.
//
// REQUIRES: n.mu held.
func (n *inode) syncLocked() {
	pend := n.pendingLocked()
	size := len(n.data)
	n.durable = resize(n.durable, size, false)
	for _, p := range pend {
		live := page(n.data, p)
		if live == nil {
			continue // past the new end: gone with the resize
		}
		copy(n.durable[p*PageSize:], live)
		delete(n.lost, p)
	}
	for p := range n.lost {
		if p*PageSize >= size {
			delete(n.lost, p)
		}
	}
	clear(n.dirty)
	n.scanAll = n.wmaps > 0
}

// failSyncLocked models a failed fdatasync on Linux: the pages it was
// writing are marked clean although they never reached the disk.
//
// REQUIRES: n.mu held.
func (n *inode) failSyncLocked() {
	for _, p := range n.pendingLocked() {
		live := page(n.data, p)
		if live == nil {
			continue
		}
		if n.lost == nil {
			n.lost = map[int][]byte{}
		}
		n.lost[p] = slices.Clone(live)
	}
	clear(n.dirty)
	n.scanAll = n.wmaps > 0
}

// crashContentLocked returns the content the file has after a power loss:
// the durable content, plus, if r is not nil, the first k of the pending
// pages in file order, k drawn uniformly from [0, pending]. Write-back of a
// file's dirty pages in offset order, cut short, is what leaves a torn
// tail. The file's size follows the pages: it is the live size if every
// pending page is kept, else the durable size, extended to the end of the
// last kept page if that lies past it.
//
// REQUIRES: n.mu held.
func (n *inode) crashContentLocked(r *rand.Rand) []byte {
	if r == nil {
		return slices.Clone(n.durable)
	}
	pend := n.pendingLocked()
	if len(pend) == 0 {
		return slices.Clone(n.durable)
	}
	k := r.IntN(len(pend) + 1)
	size := len(n.durable)
	switch {
	case k == len(pend):
		size = len(n.data)
	case k > 0:
		end := min(len(n.data), (pend[k-1]+1)*PageSize)
		size = max(size, end)
	}
	out := resize(slices.Clone(n.durable), size, true)
	for _, p := range pend[:k] {
		live := page(n.data, p)
		lo := p * PageSize
		if lo >= size {
			continue
		}
		copy(out[lo:], live[:min(len(live), size-lo)])
	}
	return out
}
