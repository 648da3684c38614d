package errorfs_test

import (
	"bytes"
	"errors"
	"io/fs"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/quivermq/quiver/engine/vfs"
	"github.com/quivermq/quiver/engine/vfs/errorfs"
)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// newFS returns an FS with the durable directory /d.
func newFS(t *testing.T) *errorfs.FS {
	t.Helper()
	fsys := errorfs.New()
	must(t, fsys.MkdirAll("/d", 0o755))
	return fsys
}

// put writes a file whole; sync syncs it, dir syncs its directory.
func put(t *testing.T, fsys vfs.FS, name, data string, sync, dir bool) {
	t.Helper()
	f, err := fsys.Create(name)
	must(t, err)
	if _, err := f.WriteAt([]byte(data), 0); err != nil {
		t.Fatal(err)
	}
	if sync {
		must(t, f.Sync())
	}
	must(t, f.Close())
	if dir {
		must(t, fsys.SyncDir("/d"))
	}
}

// get returns a file's content, or ok false if it does not exist.
func get(t *testing.T, fsys vfs.FS, name string) (data string, ok bool) {
	t.Helper()
	fi, err := fsys.Stat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false
	}
	must(t, err)
	f, err := fsys.Open(name)
	must(t, err)
	defer f.Close()
	b := make([]byte, fi.Size())
	if len(b) > 0 {
		if _, err := f.ReadAt(b, 0); err != nil {
			t.Fatal(err)
		}
	}
	return string(b), true
}

func openRW(t *testing.T, fsys vfs.FS, name string) vfs.File {
	t.Helper()
	f, err := fsys.OpenReadWrite(name)
	must(t, err)
	return f
}

// want is a file's expected state after the crash: absent, or content.
type want struct {
	name    string
	content string
	absent  bool
}

func TestCrash(t *testing.T) {
	page := func(c byte) string { return string(bytes.Repeat([]byte{c}, errorfs.PageSize)) }
	tests := []struct {
		name string
		do   func(t *testing.T, fsys *errorfs.FS)
		want []want
	}{
		{"write+sync+syncdir survives", func(t *testing.T, fsys *errorfs.FS) {
			put(t, fsys, "/d/a", "hello", true, true)
		}, []want{{name: "/d/a", content: "hello"}}},
		{"write without sync is lost", func(t *testing.T, fsys *errorfs.FS) {
			put(t, fsys, "/d/a", "", true, true)
			f := openRW(t, fsys, "/d/a")
			_, _ = f.WriteAt([]byte("abc"), 0)
		}, []want{{name: "/d/a", content: ""}}},
		{"overwrite without sync reverts", func(t *testing.T, fsys *errorfs.FS) {
			put(t, fsys, "/d/a", "old", true, true)
			f := openRW(t, fsys, "/d/a")
			_, _ = f.WriteAt([]byte("new!"), 0)
		}, []want{{name: "/d/a", content: "old"}}},
		{"write after sync is lost, before kept", func(t *testing.T, fsys *errorfs.FS) {
			put(t, fsys, "/d/a", "one", true, true)
			f := openRW(t, fsys, "/d/a")
			_, _ = f.WriteAt([]byte("two"), 3)
			must(t, f.Sync())
			_, _ = f.WriteAt([]byte("three"), 6)
		}, []want{{name: "/d/a", content: "onetwo"}}},
		{"create without SyncDir disappears", func(t *testing.T, fsys *errorfs.FS) {
			put(t, fsys, "/d/a", "data", true, false)
		}, []want{{name: "/d/a", absent: true}}},
		{"SyncDir without Sync leaves an empty file", func(t *testing.T, fsys *errorfs.FS) {
			put(t, fsys, "/d/a", "data", false, true)
		}, []want{{name: "/d/a", content: ""}}},
		{"rename without SyncDir reverts", func(t *testing.T, fsys *errorfs.FS) {
			put(t, fsys, "/d/a.tmp", "seg", true, true)
			must(t, fsys.Rename("/d/a.tmp", "/d/a"))
		}, []want{{name: "/d/a.tmp", content: "seg"}, {name: "/d/a", absent: true}}},
		{"rename with SyncDir is durable", func(t *testing.T, fsys *errorfs.FS) {
			put(t, fsys, "/d/a.tmp", "seg", true, true)
			must(t, fsys.Rename("/d/a.tmp", "/d/a"))
			must(t, fsys.SyncDir("/d"))
		}, []want{{name: "/d/a.tmp", absent: true}, {name: "/d/a", content: "seg"}}},
		{"rename over a file without SyncDir brings both back", func(t *testing.T, fsys *errorfs.FS) {
			put(t, fsys, "/d/new", "new", true, false)
			put(t, fsys, "/d/cur", "cur", true, true)
			must(t, fsys.Rename("/d/new", "/d/cur"))
		}, []want{{name: "/d/new", content: "new"}, {name: "/d/cur", content: "cur"}}},
		{"remove without SyncDir reappears", func(t *testing.T, fsys *errorfs.FS) {
			put(t, fsys, "/d/a", "keep", true, true)
			must(t, fsys.Remove("/d/a"))
		}, []want{{name: "/d/a", content: "keep"}}},
		{"remove with SyncDir is durable", func(t *testing.T, fsys *errorfs.FS) {
			put(t, fsys, "/d/a", "gone", true, true)
			must(t, fsys.Remove("/d/a"))
			must(t, fsys.SyncDir("/d"))
		}, []want{{name: "/d/a", absent: true}}},
		{"RemoveAll without SyncDir brings the tree back", func(t *testing.T, fsys *errorfs.FS) {
			must(t, fsys.MkdirAll("/d/cq/0", 0o755))
			put(t, fsys, "/d/cq/0/f", "cq", true, false)
			must(t, fsys.SyncDir("/d/cq/0"))
			must(t, fsys.RemoveAll("/d/cq"))
		}, []want{{name: "/d/cq/0/f", content: "cq"}}},
		{"directories from MkdirAll are durable at once", func(t *testing.T, fsys *errorfs.FS) {
			must(t, fsys.MkdirAll("/d/x/y", 0o755))
			f, err := fsys.Create("/d/x/y/f")
			must(t, err)
			_, _ = f.WriteAt([]byte("f"), 0)
			must(t, f.Sync())
			must(t, fsys.SyncDir("/d/x/y"))
		}, []want{{name: "/d/x/y/f", content: "f"}}},
		{"cross-directory rename synced in the new directory only leaves two names", func(t *testing.T, fsys *errorfs.FS) {
			must(t, fsys.MkdirAll("/d/tmp", 0o755))
			f, err := fsys.Create("/d/tmp/s")
			must(t, err)
			_, _ = f.WriteAt([]byte("s"), 0)
			must(t, f.Sync())
			must(t, fsys.SyncDir("/d/tmp"))
			must(t, fsys.Rename("/d/tmp/s", "/d/s"))
			must(t, fsys.SyncDir("/d"))
		}, []want{{name: "/d/tmp/s", content: "s"}, {name: "/d/s", content: "s"}}},
		{"preallocate without sync reverts the size", func(t *testing.T, fsys *errorfs.FS) {
			put(t, fsys, "/d/a", "ab", true, true)
			f := openRW(t, fsys, "/d/a")
			must(t, f.Preallocate(1<<16))
		}, []want{{name: "/d/a", content: "ab"}}},
		{"preallocate with sync keeps the size", func(t *testing.T, fsys *errorfs.FS) {
			put(t, fsys, "/d/a", "ab", true, true)
			f := openRW(t, fsys, "/d/a")
			must(t, f.Preallocate(3*errorfs.PageSize))
			must(t, f.Sync())
		}, []want{{name: "/d/a", content: "ab" + string(make([]byte, 3*errorfs.PageSize-2))}}},
		{"truncate without sync reverts", func(t *testing.T, fsys *errorfs.FS) {
			put(t, fsys, "/d/a", "0123456789", true, true)
			f := openRW(t, fsys, "/d/a")
			must(t, f.Truncate(3))
		}, []want{{name: "/d/a", content: "0123456789"}}},
		{"truncate with sync is durable", func(t *testing.T, fsys *errorfs.FS) {
			put(t, fsys, "/d/a", "0123456789", true, true)
			f := openRW(t, fsys, "/d/a")
			must(t, f.Truncate(3))
			must(t, f.Sync())
		}, []want{{name: "/d/a", content: "012"}}},
		{"write through a mapping is lost without sync", func(t *testing.T, fsys *errorfs.FS) {
			put(t, fsys, "/d/seg", page(0)+page(0), true, true)
			f := openRW(t, fsys, "/d/seg")
			m, err := f.Map(2*errorfs.PageSize, true)
			must(t, err)
			copy(m.Bytes()[errorfs.PageSize:], "mapped")
		}, []want{{name: "/d/seg", content: page(0) + page(0)}}},
		{"write through a mapping survives with sync", func(t *testing.T, fsys *errorfs.FS) {
			put(t, fsys, "/d/seg", page(0)+page(0), true, true)
			f := openRW(t, fsys, "/d/seg")
			m, err := f.Map(2*errorfs.PageSize, true)
			must(t, err)
			copy(m.Bytes(), page('a'))
			must(t, f.Sync())
			copy(m.Bytes()[errorfs.PageSize:], page('b')) // not synced
		}, []want{{name: "/d/seg", content: page('a') + page(0)}}},
		{"write through a mapping of a closed file, synced by another handle", func(t *testing.T, fsys *errorfs.FS) {
			put(t, fsys, "/d/seg", page(0), true, true)
			f := openRW(t, fsys, "/d/seg")
			m, err := f.Map(errorfs.PageSize, true)
			must(t, err)
			must(t, f.Close())
			copy(m.Bytes(), "x")
			must(t, m.Unmap())
			g := openRW(t, fsys, "/d/seg")
			must(t, g.Sync())
		}, []want{{name: "/d/seg", content: "x" + page(0)[1:]}}},
		{"a failed sync loses its pages even after a later sync", func(t *testing.T, fsys *errorfs.FS) {
			put(t, fsys, "/d/a", "", true, true)
			f := openRW(t, fsys, "/d/a")
			_, _ = f.WriteAt([]byte("abc"), 0)
			remove := fsys.Inject(&errorfs.Rule{Op: errorfs.OpSync, Err: syscall.EIO, Times: 1})
			if err := f.Sync(); !errors.Is(err, syscall.EIO) {
				t.Fatalf("Sync: %v, want EIO", err)
			}
			remove()
			must(t, f.Sync()) // "succeeds", writes nothing: the page is clean
		}, []want{{name: "/d/a", content: "\x00\x00\x00"}}},
		{"a page rewritten after a failed sync is synced again", func(t *testing.T, fsys *errorfs.FS) {
			put(t, fsys, "/d/a", "", true, true)
			f := openRW(t, fsys, "/d/a")
			_, _ = f.WriteAt([]byte("abc"), 0)
			remove := fsys.Inject(&errorfs.Rule{Op: errorfs.OpSync, Err: syscall.EIO, Times: 1})
			_ = f.Sync() // fails, as checked above
			remove()
			_, _ = f.WriteAt([]byte("abc"), 0) // the recovery: write again
			must(t, f.Sync())
		}, []want{{name: "/d/a", content: "abc"}}},
	}
	for _, tc := range tests {
		for _, mode := range []string{"Crash", "CrashClone"} {
			t.Run(tc.name+"/"+mode, func(t *testing.T) {
				fsys := newFS(t)
				tc.do(t, fsys)
				after := fsys
				if mode == "Crash" {
					fsys.Crash(errorfs.CrashOptions{})
				} else {
					after = fsys.CrashClone(errorfs.CrashOptions{})
				}
				for _, w := range tc.want {
					got, ok := get(t, after, w.name)
					switch {
					case w.absent && ok:
						t.Errorf("%s exists after the crash, holding %q", w.name, trunc(got))
					case !w.absent && !ok:
						t.Errorf("%s is missing after the crash", w.name)
					case !w.absent && got != w.content:
						t.Errorf("%s = %q after the crash, want %q", w.name, trunc(got), trunc(w.content))
					}
				}
				// What the crash left is itself durable: a second crash
				// changes nothing.
				again := after.CrashClone(errorfs.CrashOptions{Rand: rand.New(rand.NewPCG(1, 2))})
				for _, w := range tc.want {
					g1, ok1 := get(t, after, w.name)
					g2, ok2 := get(t, again, w.name)
					if g1 != g2 || ok1 != ok2 {
						t.Errorf("%s changed across a second crash", w.name)
					}
				}
			})
		}
	}
}

func trunc(s string) string {
	if len(s) > 16 {
		return s[:16] + "..."
	}
	return s
}

func TestCrashInvalidatesHandles(t *testing.T) {
	fsys := newFS(t)
	put(t, fsys, "/d/seg", string(make([]byte, errorfs.PageSize)), true, true)
	f := openRW(t, fsys, "/d/seg")
	m, err := f.Map(errorfs.PageSize, true)
	must(t, err)
	l, err := fsys.Lock("/d/LOCK")
	must(t, err)

	fsys.Crash(errorfs.CrashOptions{})

	if _, err := f.WriteAt([]byte("x"), 0); !errors.Is(err, errorfs.ErrCrashed) {
		t.Errorf("WriteAt after Crash: %v, want ErrCrashed", err)
	}
	if _, err := f.ReadAt(make([]byte, 1), 0); !errors.Is(err, errorfs.ErrCrashed) {
		t.Errorf("ReadAt after Crash: %v, want ErrCrashed", err)
	}
	if err := f.Sync(); !errors.Is(err, errorfs.ErrCrashed) {
		t.Errorf("Sync after Crash: %v, want ErrCrashed", err)
	}
	if _, err := f.Map(1, false); !errors.Is(err, errorfs.ErrCrashed) {
		t.Errorf("Map after Crash: %v, want ErrCrashed", err)
	}
	if m.Bytes() != nil || !m.(*errorfs.Mapping).Unmapped() {
		t.Error("mapping still live after Crash")
	}
	if err := m.Unmap(); !errors.Is(err, errorfs.ErrCrashed) {
		t.Errorf("Unmap after Crash: %v, want ErrCrashed", err)
	}
	if err := f.Close(); !errors.Is(err, errorfs.ErrCrashed) {
		t.Errorf("Close after Crash: %v, want ErrCrashed", err)
	}
	// The lock died with the process; the lock file was never synced in /d.
	l2, err := fsys.Lock("/d/LOCK")
	must(t, err)
	if err := l.Close(); !errors.Is(err, errorfs.ErrCrashed) {
		t.Errorf("old lock Close: %v, want ErrCrashed", err)
	}
	files, maps := fsys.OpenHandles()
	if len(files) != 1 || files[0] != "/d/LOCK" || len(maps) != 0 {
		t.Errorf("OpenHandles after Crash = %q, %q; want only the new lock", files, maps)
	}
	must(t, l2.Close())
	// The new state works.
	put(t, fsys, "/d/seg", "again", true, true)
	if got, _ := get(t, fsys, "/d/seg"); got != "again" {
		t.Errorf("after Crash, /d/seg = %q", got)
	}
}

func TestCrashCloneLeavesOriginal(t *testing.T) {
	fsys := newFS(t)
	put(t, fsys, "/d/a", "synced", true, true)
	f := openRW(t, fsys, "/d/a")
	_, _ = f.WriteAt([]byte("SYNCED+unsynced"), 0)

	c := fsys.CrashClone(errorfs.CrashOptions{})
	if got, _ := get(t, c, "/d/a"); got != "synced" {
		t.Errorf("clone holds %q, want synced", got)
	}
	if got, _ := get(t, fsys, "/d/a"); got != "SYNCED+unsynced" {
		t.Errorf("original holds %q after CrashClone", got)
	}
	// The original's handle still works, and the two are independent.
	if _, err := f.WriteAt([]byte("!"), 0); err != nil {
		t.Fatal(err)
	}
	put(t, c, "/d/a", "clone", true, true)
	if got, _ := get(t, fsys, "/d/a"); got != "!YNCED+unsynced" {
		t.Errorf("original holds %q after writes to both", got)
	}
	must(t, f.Close())
}

// TestPartialWriteback checks that a crash with Rand keeps a page-aligned
// prefix of the unsynced pages, reproducibly, and that every prefix
// length occurs.
func TestPartialWriteback(t *testing.T) {
	const (
		synced   = 2 * errorfs.PageSize // durable: two pages of 'A'
		appended = 7*errorfs.PageSize + 100
	)
	fsys := newFS(t)
	put(t, fsys, "/d/log", string(bytes.Repeat([]byte{'A'}, synced)), true, true)
	f := openRW(t, fsys, "/d/log")
	live := make([]byte, appended)
	for i := range live {
		live[i] = byte('a' + i/errorfs.PageSize) // a page of 'a', one of 'b', ...
	}
	if _, err := f.WriteAt(live, synced); err != nil {
		t.Fatal(err)
	}
	full, _ := get(t, fsys, "/d/log")

	seen := map[int]bool{}
	for seed := range uint64(200) {
		crash := func() string {
			c := fsys.CrashClone(errorfs.CrashOptions{Rand: rand.New(rand.NewPCG(seed, 0))})
			got, ok := get(t, c, "/d/log")
			if !ok {
				t.Fatal("file lost")
			}
			return got
		}
		got := crash()
		if again := crash(); again != got {
			t.Fatalf("seed %d: two crashes differ (%d and %d bytes)", seed, len(got), len(again))
		}
		if !bytes.HasPrefix([]byte(full), []byte(got)) || len(got) < synced {
			t.Fatalf("seed %d: %d bytes are not a prefix of the live file of at least the synced size", seed, len(got))
		}
		if len(got) != len(full) && len(got)%errorfs.PageSize != 0 {
			t.Fatalf("seed %d: torn at %d, not a page boundary", seed, len(got))
		}
		seen[len(got)] = true
	}
	for k := 0; k <= 7; k++ {
		if !seen[synced+k*errorfs.PageSize] {
			t.Errorf("no seed kept exactly %d unsynced pages", k)
		}
	}
	if !seen[len(full)] {
		t.Error("no seed kept every unsynced page")
	}
	// Without Rand nothing unsynced survives.
	if got, _ := get(t, fsys.CrashClone(errorfs.CrashOptions{}), "/d/log"); len(got) != synced {
		t.Errorf("crash without Rand kept %d bytes, want %d", len(got), synced)
	}
}

// TestPartialWritebackOverwrite checks that write-back goes in file order:
// an unsynced overwrite of a later page is kept only with the earlier one.
func TestPartialWritebackOverwrite(t *testing.T) {
	fsys := newFS(t)
	put(t, fsys, "/d/f", string(make([]byte, 8*errorfs.PageSize)), true, true)
	f := openRW(t, fsys, "/d/f")
	_, _ = f.WriteAt([]byte("first"), 1*errorfs.PageSize)
	_, _ = f.WriteAt([]byte("second"), 5*errorfs.PageSize)
	counts := map[string]int{}
	for seed := range uint64(60) {
		c := fsys.CrashClone(errorfs.CrashOptions{Rand: rand.New(rand.NewPCG(seed, 7))})
		got, _ := get(t, c, "/d/f")
		if len(got) != 8*errorfs.PageSize {
			t.Fatalf("size changed to %d", len(got))
		}
		first := got[errorfs.PageSize:errorfs.PageSize+5] == "first"
		second := got[5*errorfs.PageSize:5*errorfs.PageSize+6] == "second"
		if second && !first {
			t.Fatal("page 5 written back before page 1")
		}
		counts[map[bool]string{false: "none", true: "first"}[first]+map[bool]string{false: "", true: "+second"}[second]]++
	}
	if len(counts) != 3 {
		t.Errorf("outcomes %v, want none, first and first+second", counts)
	}
}

// TestConcurrentSyncAndCrash runs appenders that sync each record and
// count it acknowledged, against CrashClone: every clone holds at least
// every record acknowledged before it was taken (the SYNC_FLUSH promise),
// and only whole, correct records before a zero-free prefix.
func TestConcurrentSyncAndCrash(t *testing.T) {
	const files, records, recSize = 3, 150, 100
	fsys := newFS(t)
	var acked [files]atomic.Int64
	hs := make([]vfs.File, files)
	for i := range files {
		f, err := fsys.Create("/d/" + string(rune('a'+i)))
		must(t, err)
		must(t, f.Preallocate(records*recSize))
		must(t, f.Sync())
		hs[i] = f
	}
	must(t, fsys.SyncDir("/d"))
	record := func(file, n int) []byte { return bytes.Repeat([]byte{byte(1 + (file*records+n)%250)}, recSize) }

	var wg sync.WaitGroup
	for i := range files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range records {
				if _, err := hs[i].WriteAt(record(i, n), int64(n*recSize)); err != nil {
					t.Error(err)
					return
				}
				if err := hs[i].Sync(); err != nil {
					t.Error(err)
					return
				}
				acked[i].Store(int64(n + 1))
			}
		}()
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for seed := uint64(0); ; seed++ {
			var before [files]int64
			for i := range files {
				before[i] = acked[i].Load()
			}
			c := fsys.CrashClone(errorfs.CrashOptions{Rand: rand.New(rand.NewPCG(seed, 0))})
			for i := range files {
				got, ok := get(t, c, "/d/"+string(rune('a'+i)))
				if !ok || len(got) != records*recSize {
					t.Errorf("clone %d: file %d missing or resized", seed, i)
					return
				}
				zero := string(make([]byte, recSize))
				gap := -1 // first record not written back
				for n := range records {
					rec, want := got[n*recSize:(n+1)*recSize], string(record(i, n))
					if rec == zero {
						if int64(n) < before[i] {
							t.Errorf("clone %d: file %d lost acknowledged record %d", seed, i, n)
							return
						}
						if gap < 0 {
							gap = n
						}
						continue
					}
					if gap >= 0 {
						t.Errorf("clone %d: file %d has record %d after the hole at %d", seed, i, n, gap)
						return
					}
					// Partial write-back may keep unacknowledged records,
					// whole or cut at a page boundary, never otherwise.
					cut := 0
					for cut < recSize && rec[cut] == want[cut] {
						cut++
					}
					if cut < recSize && ((n*recSize+cut)%errorfs.PageSize != 0 || rec[cut:] != zero[cut:]) {
						t.Errorf("clone %d: file %d record %d corrupt at byte %d", seed, i, n, cut)
						return
					}
					if cut < recSize {
						gap = n + 1
					}
				}
			}
			if acked[0].Load() == records && acked[1].Load() == records && acked[2].Load() == records {
				return
			}
		}
	}()
	wg.Wait()
	<-done
	for _, f := range hs {
		must(t, f.Close())
	}
}
