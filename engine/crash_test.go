package engine

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/quivermq/quiver/engine/commitlog"
	"github.com/quivermq/quiver/engine/vfs"
	"github.com/quivermq/quiver/internal/testutil"
)

var crashCycles = flag.Int("crashcycles", 8, "SIGKILL cycles of TestStoreSIGKILL")

const crashChildEnv = "ENGINE_CRASH_CHILD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		crashChild(dir)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// crashChild opens the store under SYNC_FLUSH and appends with 4
// goroutines, one per queue of topic K, until killed, printing
// "qid queueOffset body" for every record after WaitFlushed said nil.
func crashChild(dir string) {
	cycle, _ := strconv.Atoi(os.Getenv("ENGINE_CRASH_CYCLE"))
	s, err := Open(testConfig(vfs.Default, dir, commitlog.FlushSync))
	if err != nil {
		fmt.Fprintln(os.Stderr, "child open:", err)
		os.Exit(2)
	}
	var out sync.Mutex
	var wg sync.WaitGroup
	for w := int32(0); w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			done := make(chan error, 1)
			for i := 0; ; i++ {
				body := fmt.Sprintf("c%d-w%d-%d", cycle, w, i)
				res, err := s.Append(fields("K", w, []byte(body), "", "key"+body, ""))
				if err != nil {
					fmt.Fprintln(os.Stderr, "child append:", err)
					os.Exit(3)
				}
				s.WaitFlushed(res.End, func(err error) { done <- err })
				if err := <-done; err != nil {
					fmt.Fprintln(os.Stderr, "child flush:", err)
					os.Exit(3)
				}
				out.Lock()
				fmt.Fprintf(os.Stdout, "%d %d %s\n", w, res.QueueOffset, body)
				out.Unlock()
			}
		}()
	}
	wg.Wait()
}

// TestStoreSIGKILL runs SYNC_FLUSH appends through a Store in a child
// process, SIGKILLs it at random moments and reopens the store after each
// kill: the abort marker is seen, every record acknowledged in any cycle is
// readable by (queue, queue offset), and every queue reads contiguously.
// -crashcycles sets the count.
func TestStoreSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	type key struct {
		qid int32
		qo  int64
	}
	acked := map[key]string{}
	for cycle := 0; cycle < *crashCycles; cycle++ {
		env := []string{crashChildEnv + "=" + dir, "ENGINE_CRASH_CYCLE=" + strconv.Itoa(cycle)}
		got := map[key]string{}
		for _, line := range testutil.RunAndKill(t, env, time.Duration(50+rng.IntN(150))*time.Millisecond) {
			var k key
			var body string
			if n, _ := fmt.Sscanf(line, "%d %d %s\n", &k.qid, &k.qo, &body); n == 3 {
				got[k] = body
			}
		}
		for k, b := range got {
			acked[k] = b
		}

		s, err := Open(testConfig(vfs.Default, dir, commitlog.FlushSync))
		if err != nil {
			t.Fatalf("cycle %d: reopen: %v", cycle, err)
		}
		if !s.Unclean() || (LinuxBootID() != "" && s.PowerLoss()) {
			t.Fatalf("cycle %d: abort marker not seen, or taken for a power loss", cycle)
		}
		if err := s.Report().Err(); err != nil {
			t.Fatalf("cycle %d: %v", cycle, err)
		}
		for k, b := range acked {
			r, err := s.GetMessages("K", k.qid, k.qo, 1, 1<<20, nil)
			if err != nil || r.Status != Found || r.QueueOffsets[0] != k.qo || !bytes.Equal(r.Records[0].Body(), []byte(b)) {
				t.Fatalf("cycle %d: acknowledged %d/%d %q lost (%v %v)", cycle, k.qid, k.qo, b, err, r.Status)
			}
			r.Release()
		}
		for qid := int32(0); qid < 4; qid++ {
			if n := int64(len(readQueue(t, s, "K", qid))); n != s.MaxOffset("K", qid) {
				t.Fatalf("cycle %d: queue %d reads %d of %d", cycle, qid, n, s.MaxOffset("K", qid))
			}
		}
		t.Logf("cycle %d: %d acked so far, recovery %v, re-dispatched %d bytes", cycle, len(acked), s.StartTime(), s.Redispatched())
		mustClose(t, s)
	}
}
