package errorfs

import (
	"maps"
	"math/rand/v2"
	"slices"
)

// CrashOptions tunes a simulated power loss.
type CrashOptions struct {
	// Rand, if not nil, makes write-back partial: each file keeps a random
	// prefix, in file order and whole PageSize pages, of the pages a Sync
	// would have written, the count drawn uniformly from zero to all. The
	// size follows: the live size if every page is kept, else the durable
	// size, extended to the end of the last kept page past it. Files are
	// visited in name order, so a generator with the same seed over the
	// same history gives the same state. With nil Rand, no unsynced byte
	// survives.
	Rand *rand.Rand
}

// Crash simulates a power loss in place: from now on fs holds the state
// the disk had (see the package doc), and every File, Mapping and lock
// taken before is dead: its methods return ErrCrashed, and writes to
// slices of an old mapping reach nothing. Locks are released. Capacity,
// clock and injectors are kept.
//
// Stop writing through mappings before calling Crash (see the package
// doc); WriteAt, Sync and the rest may race with it freely.
func (fs *FS) Crash(opts CrashOptions) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	ns := fs.st.crashStateLocked(opts.Rand)
	fs.st.crashed.Store(true)
	fs.st = ns
}

// CrashClone returns a new FS holding the state a power loss would leave
// now, and leaves fs and its handles untouched: one history can be
// crashed at many points. The clone has fs's capacity and clock and no
// injectors.
func (fs *FS) CrashClone(opts CrashOptions) *FS {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	c := &FS{}
	c.st = fs.st.crashStateLocked(opts.Rand)
	c.capacity.Store(fs.capacity.Load())
	c.clock.Store(fs.clock.Load())
	return c
}

// crashStateLocked builds the post-crash state from st's durable images
// and entry sets. An inode named by two durable entries (a rename synced
// in the new directory but not in the old one) comes back as one file
// with two names.
//
// REQUIRES: FS.mu held.
func (st *state) crashStateLocked(r *rand.Rand) *state {
	ns := newState()
	done := map[*inode]*inode{}
	var clone func(o *inode) *inode
	clone = func(o *inode) *inode {
		if n, ok := done[o]; ok {
			return n
		}
		o.mu.Lock()
		n := &inode{st: ns, dir: o.dir, perm: o.perm, modTime: o.modTime}
		if !o.dir {
			n.durable = o.crashContentLocked(r)
			n.data = slices.Clone(n.durable)
			ns.used.Add(int64(len(n.data)))
		}
		o.mu.Unlock()
		done[o] = n
		if o.dir {
			n.entries = make(map[string]*inode, len(o.durableEntries))
			for _, name := range sortedNames(o.durableEntries) {
				c := clone(o.durableEntries[name])
				c.nlink++
				n.entries[name] = c
			}
			n.durableEntries = maps.Clone(n.entries)
		}
		return n
	}
	ns.root = clone(st.root)
	return ns
}
