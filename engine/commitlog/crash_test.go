package commitlog

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/quivermq/quiver/engine/segment"
	"github.com/quivermq/quiver/engine/vfs"
	"github.com/quivermq/quiver/internal/testutil"
	"github.com/quivermq/quiver/message"
)

var crashCycles = flag.Int("crashcycles", 20, "SIGKILL cycles of TestCrashSIGKILL")

const crashChildEnv = "COMMITLOG_CRASH_CHILD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		crashChild(dir)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// crashChild appends under SYNC_FLUSH with 8 goroutines until killed,
// printing "phys id" for every record after its done(nil).
func crashChild(dir string) {
	cycle, _ := strconv.Atoi(os.Getenv("COMMITLOG_CRASH_CYCLE"))
	cfg := testConfig(segment.WritePwrite, FlushSync)
	l, _, err := Open(vfs.Default, dir, cfg, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child open:", err)
		os.Exit(2)
	}
	var out sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			done := make(chan error, 1)
			for i := 0; ; i++ {
				id := cycle*1_000_000 + w*100_000 + i
				res, err := l.Append(fieldsFor(id, 700), nil)
				if err != nil {
					fmt.Fprintln(os.Stderr, "child append:", err)
					os.Exit(3)
				}
				l.WaitFlushed(res.End, func(err error) { done <- err })
				if err := <-done; err != nil {
					fmt.Fprintln(os.Stderr, "child flush:", err)
					os.Exit(3)
				}
				out.Lock()
				fmt.Fprintf(os.Stdout, "%d %d\n", res.Phys, id)
				out.Unlock()
			}
		}()
	}
	wg.Wait()
}

// TestCrashSIGKILL runs SYNC_FLUSH appends in a child process, SIGKILLs it
// at random moments, and after each kill reopens the log: every record the
// child acknowledged (done(nil)) in any cycle is intact, the log scans in
// order and no partial record is visible. -crashcycles sets the count.
func TestCrashSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	acked := map[int64]int{}
	for cycle := 0; cycle < *crashCycles; cycle++ {
		env := []string{crashChildEnv + "=" + dir, "COMMITLOG_CRASH_CYCLE=" + strconv.Itoa(cycle)}
		got := map[int64]int{}
		for _, line := range testutil.RunAndKill(t, env, time.Duration(20+rng.IntN(80))*time.Millisecond) {
			var phys int64
			var id int
			if n, _ := fmt.Sscanf(line, "%d %d\n", &phys, &id); n == 2 {
				got[phys] = id
			}
		}
		for p, id := range got {
			acked[p] = id
		}
		l, rep, err := Open(vfs.Default, dir, testConfig(segment.WritePwrite, FlushSync), 0)
		if err != nil {
			t.Fatalf("cycle %d: reopen: %v", cycle, err)
		}
		if rep.Err() != nil {
			t.Fatalf("cycle %d: %v", cycle, rep.Err())
		}
		for p, id := range acked {
			checkRecord(t, l, p, id, 700)
		}
		prev := int64(-1)
		if err := l.Scan(0, func(p int64, rec message.Record) error {
			if p <= prev || rec.PhysicalOffset() != p {
				return fmt.Errorf("record at %d after %d, stored phys %d", p, prev, rec.PhysicalOffset())
			}
			prev = p
			return rec.Check()
		}); err != nil {
			t.Fatalf("cycle %d: scan: %v", cycle, err)
		}
		t.Logf("cycle %d: %d acked this cycle, %d total; %v", cycle, len(got), len(acked), rep)
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if len(acked) == 0 {
		t.Fatal("the children acknowledged nothing")
	}
}
