package engine

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quivermq/quiver/engine/commitlog"
	"github.com/quivermq/quiver/engine/segment"
	"github.com/quivermq/quiver/engine/vfs"
	"github.com/quivermq/quiver/engine/vfs/errorfs"
	"github.com/quivermq/quiver/message"
)

var topics = []string{"TopicA", "TopicB", "TopicC"}

// appendAll appends n messages round-robin over topics × 4 queues and
// returns how many went to each (topic, queue).
func appendAll(t testing.TB, s *Store, n int) map[string]int64 {
	t.Helper()
	counts := map[string]int64{}
	for i := 0; i < n; i++ {
		topic, qid := topics[i%len(topics)], int32(i/len(topics)%4)
		k := fmt.Sprintf("%s/%d", topic, qid)
		qo := counts[k]
		f := fields(topic, qid, msgBody(topic, qid, qo, 100+i%50), "tag"+fmt.Sprint(i%2),
			fmt.Sprintf("key%d other%d", i, i), fmt.Sprintf("UNIQ%08d", i))
		res, err := s.Append(f)
		if err != nil {
			t.Fatalf("Append %d: %v", i, err)
		}
		if res.QueueOffset != qo {
			t.Fatalf("Append %d to %s: queue offset %d, want %d", i, k, res.QueueOffset, qo)
		}
		counts[k] = qo + 1
	}
	return counts
}

func checkQueues(t testing.TB, s *Store, counts map[string]int64) {
	t.Helper()
	for _, topic := range topics {
		for qid := int32(0); qid < 4; qid++ {
			want := counts[fmt.Sprintf("%s/%d", topic, qid)]
			got := readQueue(t, s, topic, qid)
			if int64(len(got)) != want {
				t.Fatalf("%s/%d: %d messages, want %d", topic, qid, len(got), want)
			}
			for i, b := range got {
				exp := msgBody(topic, qid, int64(i), len(b))
				if !bytes.Equal(b, exp) {
					t.Fatalf("%s/%d offset %d: body %q...", topic, qid, i, b[:20])
				}
			}
			if mx := s.MaxOffset(topic, qid); mx != want {
				t.Fatalf("%s/%d: MaxOffset %d, want %d", topic, qid, mx, want)
			}
		}
	}
}

// permutations runs fn for each flush mode × write mode.
func permutations(t *testing.T, fn func(t *testing.T, cfg Config)) {
	for _, flush := range []commitlog.FlushMode{commitlog.FlushAsync, commitlog.FlushSync} {
		for _, mode := range []segment.WriteMode{segment.WritePwrite, segment.WriteMapped} {
			t.Run(fmt.Sprintf("%v/%v", flush, mode), func(t *testing.T) {
				cfg := testConfig(vfs.Default, t.TempDir(), flush)
				cfg.CommitLog.WriteMode = mode
				fn(t, cfg)
			})
		}
	}
}

func TestRoundTrip(t *testing.T) { permutations(t, testRoundTrip) }

func testRoundTrip(t *testing.T, cfg Config) {
	s := mustOpen(t, cfg)
	defer mustClose(t, s)
	counts := appendAll(t, s, 600)
	waitDispatched(t, s)
	checkQueues(t, s, counts)
	if s.Unclean() {
		t.Fatal("fresh store reported unclean")
	}

	// ReadByPhys, OffsetByTime, EarliestStoreTime.
	r, err := s.GetMessages("TopicA", 0, 0, 1, 1<<20, nil)
	if err != nil || r.Status != Found {
		t.Fatalf("GetMessages: %v %v", err, r.Status)
	}
	phys, ts := r.Records[0].PhysicalOffset(), r.Records[0].StoreTimestamp()
	r.Release()
	rec, pin, err := s.ReadByPhys(phys)
	if err != nil || !bytes.Equal(rec.Body()[:10], msgBody("TopicA", 0, 0, 10)) {
		t.Fatalf("ReadByPhys(%d): %v", phys, err)
	}
	pin.Release()
	if got, ok := s.EarliestStoreTime("TopicA", 0); !ok || got != ts {
		t.Fatalf("EarliestStoreTime = %d %v, want %d", got, ok, ts)
	}
	if got := s.OffsetByTime("TopicA", 0, ts-1000); got != 0 {
		t.Fatalf("OffsetByTime(before) = %d", got)
	}
	if got, want := s.OffsetByTime("TopicA", 0, time.Now().UnixMilli()+10000), s.MaxOffset("TopicA", 0); got != want {
		t.Fatalf("OffsetByTime(after) = %d, want %d", got, want)
	}
}

func TestPullStatuses(t *testing.T) {
	s := mustOpen(t, testConfig(vfs.Default, t.TempDir(), commitlog.FlushAsync))
	defer mustClose(t, s)
	var size int
	for i := 0; i < 10; i++ {
		tag := "tagA"
		if i%2 == 1 {
			tag = "tagB"
		}
		res, err := s.Append(fields("T", 0, msgBody("T", 0, int64(i), 200), tag, "", ""))
		if err != nil {
			t.Fatal(err)
		}
		size = res.Size
	}
	waitDispatched(t, s)
	// A queue starting at offset 5 (as after retention) and one whose entry
	// points at no record.
	late, err := s.cq.Get("Late", 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := late.Put(5, 0, int32(size), 0); err != nil {
		t.Fatal(err)
	}
	null, _ := s.cq.Get("Null", 0)
	if err := null.Put(0, s.log.Wrote()+(1<<30), 100, 0); err != nil {
		t.Fatal(err)
	}
	tagA := message.TagsCode("tagA")
	onlyA := func(c int64) bool { return c == tagA }
	none := func(int64) bool { return false }

	tests := []struct {
		name           string
		topic          string
		off            int64
		maxMsgs, maxB  int
		filter         func(int64) bool
		status         GetStatus
		next, min, max int64
		n              int
	}{
		{"empty", "Nope", 0, 32, 1 << 20, nil, NoMessageInQueue, 0, 0, 0, 0},
		{"found", "T", 0, 32, 1 << 20, nil, Found, 10, 0, 10, 10},
		{"maxMsgs", "T", 2, 3, 1 << 20, nil, Found, 5, 0, 10, 3},
		{"maxBytes", "T", 0, 32, 2*size + size/2, nil, Found, 2, 0, 10, 2},
		{"maxBytes below one", "T", 0, 32, 10, nil, Found, 1, 0, 10, 1},
		{"tag filter", "T", 0, 32, 1 << 20, onlyA, Found, 10, 0, 10, 5},
		{"no matched", "T", 0, 32, 1 << 20, none, NoMatchedMessage, 10, 0, 10, 0},
		{"overflow one", "T", 10, 32, 1 << 20, nil, OffsetOverflowOne, 10, 0, 10, 0},
		{"overflow badly", "T", 12, 32, 1 << 20, nil, OffsetOverflowBadly, 10, 0, 10, 0},
		{"too small", "Late", 2, 32, 1 << 20, nil, OffsetTooSmall, 5, 5, 6, 0},
		{"late found", "Late", 5, 32, 1 << 20, nil, Found, 6, 5, 6, 1},
		{"found null", "Null", 0, 32, 1 << 20, nil, OffsetFoundNull, 1, 0, 1, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := s.GetMessages(tc.topic, 0, tc.off, tc.maxMsgs, tc.maxB, tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Release()
			if r.Status != tc.status || r.NextBeginOffset != tc.next || r.MinOffset != tc.min ||
				r.MaxOffset != tc.max || len(r.Records) != tc.n {
				t.Fatalf("got %v next %d min %d max %d n %d; want %v next %d min %d max %d n %d",
					r.Status, r.NextBeginOffset, r.MinOffset, r.MaxOffset, len(r.Records),
					tc.status, tc.next, tc.min, tc.max, tc.n)
			}
			for _, rec := range r.Records {
				if tc.filter != nil && !tc.filter(rec.TagsCode()) {
					t.Fatalf("record with tags %q passed the filter", rec.Tags())
				}
			}
		})
	}
}

func TestScanCap(t *testing.T) {
	s := mustOpen(t, testConfig(vfs.Default, t.TempDir(), commitlog.FlushAsync))
	defer mustClose(t, s)
	for i := 0; i < 1000; i++ {
		if _, err := s.Append(fields("T", 0, []byte("x"), "skip", "", "")); err != nil {
			t.Fatal(err)
		}
	}
	waitDispatched(t, s)
	r, _ := s.GetMessages("T", 0, 0, 32, 1<<20, func(int64) bool { return false })
	defer r.Release()
	if r.Status != NoMatchedMessage || r.NextBeginOffset != scanBytes/20 {
		t.Fatalf("got %v next %d, want NO_MATCHED_MESSAGE next %d", r.Status, r.NextBeginOffset, scanBytes/20)
	}
}

func TestNotify(t *testing.T) {
	cfg := testConfig(vfs.Default, t.TempDir(), commitlog.FlushAsync)
	cfg.DispatchPoll = time.Hour // the wake-up must come from Append
	type ev struct {
		topic string
		qid   int32
		max   int64
		found GetStatus
	}
	evs := make(chan ev, 16)
	var s *Store
	var ready atomic.Bool
	cfg.Notify = func(topic string, qid int32, max int64) {
		if !ready.Load() {
			return
		}
		r, _ := s.GetMessages(topic, qid, max-1, 1, 1<<20, nil)
		evs <- ev{topic, qid, max, r.Status}
		r.Release()
	}
	s = mustOpen(t, cfg)
	defer mustClose(t, s)
	ready.Store(true)
	if _, err := s.Append(fields("N", 3, []byte("hello"), "", "", "")); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-evs:
		if e.topic != "N" || e.qid != 3 || e.max != 1 || e.found != Found {
			t.Fatalf("notified %+v", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no notification within 5s")
	}
}

func TestCleanRestart(t *testing.T) { permutations(t, testCleanRestart) }

func testCleanRestart(t *testing.T, cfg Config) {
	s := mustOpen(t, cfg)
	counts := appendAll(t, s, 3000)
	mustClose(t, s)

	s = mustOpen(t, cfg)
	t.Logf("start after clean close of %d bytes: %v (re-dispatched %d bytes)",
		s.Log().Wrote(), s.StartTime(), s.Redispatched())
	if s.Unclean() {
		t.Fatal("clean close reported unclean")
	}
	if s.Redispatched() > 4096 {
		t.Fatalf("clean start re-dispatched %d bytes", s.Redispatched())
	}
	checkQueues(t, s, counts)
	more := appendAllFrom(t, s, counts, 30)
	waitDispatched(t, s)
	checkQueues(t, s, more)
	mustClose(t, s)
	if _, err := s.Append(fields("T", 0, nil, "", "", "")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close: %v", err)
	}
	if err := s.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
}

// appendAllFrom continues appendAll's pattern from counts.
func appendAllFrom(t testing.TB, s *Store, counts map[string]int64, n int) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for k, v := range counts {
		out[k] = v
	}
	for i := 0; i < n; i++ {
		topic, qid := topics[i%len(topics)], int32(i/len(topics)%4)
		k := fmt.Sprintf("%s/%d", topic, qid)
		qo := out[k]
		res, err := s.Append(fields(topic, qid, msgBody(topic, qid, qo, 64), "", "", ""))
		if err != nil {
			t.Fatal(err)
		}
		if res.QueueOffset != qo {
			t.Fatalf("%s: queue offset %d after restart, want %d", k, res.QueueOffset, qo)
		}
		out[k] = qo + 1
	}
	return out
}

func TestLock(t *testing.T) {
	cfg := testConfig(vfs.Default, t.TempDir(), commitlog.FlushAsync)
	s := mustOpen(t, cfg)
	defer mustClose(t, s)
	if s2, err := Open(cfg); !errors.Is(err, vfs.ErrLocked) {
		if s2 != nil {
			_ = s2.Close()
		}
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
}

func TestRebuildDerived(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(vfs.Default, dir, commitlog.FlushAsync)
	s := mustOpen(t, cfg)
	counts := appendAll(t, s, 900)
	mustClose(t, s)
	for _, d := range []string{"consumequeue", "index"} {
		if err := vfs.Default.RemoveAll(filepath.Join(dir, d)); err != nil {
			t.Fatal(err)
		}
	}
	s = mustOpen(t, cfg)
	defer mustClose(t, s)
	t.Logf("rebuilt %d bytes in %v", s.Redispatched(), s.StartTime())
	checkQueues(t, s, counts)
	q, err := s.QueryByKey("TopicB", "key301", 10, 0, time.Now().UnixMilli()+1000)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Release()
	if len(q.Records) != 1 || string(q.Records[0].UniqKey()) != "UNIQ00000301" {
		t.Fatalf("QueryByKey after rebuild: %d records", len(q.Records))
	}
	more := appendAllFrom(t, s, counts, 12)
	waitDispatched(t, s)
	checkQueues(t, s, more)
}

func TestTransactionPrepared(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(vfs.Default, dir, commitlog.FlushAsync)
	s := mustOpen(t, cfg)
	mk := func(flag int32, body string) AppendResult {
		f := fields("Tx", 0, []byte(body), "", "k-"+body, "")
		f.SysFlag = flag
		res, err := s.Append(f)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	a := mk(0, "a")
	p := mk(message.SysFlagTransactionPrepared, "prep")
	b := mk(message.SysFlagTransactionCommit, "b")
	rb := mk(message.SysFlagTransactionRollback, "rollback")
	c := mk(0, "c")
	if a.QueueOffset != 0 || p.QueueOffset != 0 || b.QueueOffset != 1 || rb.QueueOffset != 0 || c.QueueOffset != 2 {
		t.Fatalf("queue offsets %d %d %d %d %d", a.QueueOffset, p.QueueOffset, b.QueueOffset, rb.QueueOffset, c.QueueOffset)
	}
	items := []message.Fields{*fields("Tx", 0, []byte("x"), "", "", "")}
	items[0].SysFlag = message.SysFlagTransactionPrepared
	if _, err := s.AppendBatch(items); !errors.Is(err, ErrTransactionBatch) {
		t.Fatalf("AppendBatch of a prepared record: %v", err)
	}
	waitDispatched(t, s)
	check := func() {
		got := readQueue(t, s, "Tx", 0)
		if len(got) != 3 || string(got[0]) != "a" || string(got[1]) != "b" || string(got[2]) != "c" {
			t.Fatalf("queue holds %q", got)
		}
		q, _ := s.QueryByKey("Tx", "k-rollback", 10, 0, time.Now().UnixMilli()+1000)
		if len(q.Records) != 0 {
			t.Fatalf("rollback record indexed")
		}
		q.Release()
	}
	check()
	mustClose(t, s)
	if err := vfs.Default.RemoveAll(filepath.Join(dir, "consumequeue")); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, cfg)
	defer mustClose(t, s)
	check()
}

func TestQueryByKeyCollision(t *testing.T) {
	// "Aa" and "BB" have the same Java hashCode, so T#Aa and T#BB share a
	// hash (and a slot).
	if message.IndexKeyHash("T", "Aa") != message.IndexKeyHash("T", "BB") {
		t.Fatal("test keys do not collide")
	}
	cfg := testConfig(vfs.Default, t.TempDir(), commitlog.FlushAsync)
	cfg.Index.MaxHashSlots = 1
	s := mustOpen(t, cfg)
	defer mustClose(t, s)
	for i, k := range []string{"Aa", "BB", "Aa"} {
		if _, err := s.Append(fields("T", 0, []byte(fmt.Sprint(k, i)), "", k, "")); err != nil {
			t.Fatal(err)
		}
	}
	waitDispatched(t, s)
	for _, k := range []string{"Aa", "BB", "Cc"} {
		q, err := s.QueryByKey("T", k, 32, 0, time.Now().UnixMilli()+1000)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int{"Aa": 2, "BB": 1, "Cc": 0}[k]
		if len(q.Records) != want {
			t.Fatalf("QueryByKey(%s): %d records, want %d", k, len(q.Records), want)
		}
		for _, r := range q.Records {
			if string(r.Keys()) != k {
				t.Fatalf("QueryByKey(%s) returned keys %q", k, r.Keys())
			}
		}
		q.Release()
	}
	s2 := s
	_ = s2
}

func TestCrashSyncFlush(t *testing.T) {
	for seed := int64(0); seed < 4; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { testCrashSyncFlush(t, seed) })
	}
}

// testCrashSyncFlush: SYNC_FLUSH appends acknowledged through WaitFlushed,
// a checkpoint in the middle, a power loss (seed 0: no unsynced byte
// survives; others: random partial write-back), reopen.
func testCrashSyncFlush(t *testing.T, seed int64) {
	fs := errorfs.New()
	cfg := testConfig(fs, "/store", commitlog.FlushSync)
	// errorfs's Sync reads a writable mapping while the dispatcher writes
	// it, a race the detector reports (on the OS the kernel does this):
	// checkpoint by hand, with the dispatcher idle.
	cfg.CheckpointInterval = time.Hour
	s := mustOpen(t, cfg)
	type acked struct {
		qid  int32
		qo   int64
		body []byte
	}
	var mu sync.Mutex
	var acks []acked
	var wg sync.WaitGroup
	phase := 0
again:
	for w := int32(0); w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				body := []byte(fmt.Sprintf("w%d-%d-%d", w, phase, i))
				res, err := s.Append(fields("C", w, body, "", "", ""))
				if err != nil {
					t.Error(err)
					return
				}
				done := make(chan error, 1)
				s.WaitFlushed(res.End, func(err error) { done <- err })
				if err := <-done; err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				acks = append(acks, acked{w, res.QueueOffset, body})
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if phase == 0 {
		waitDispatched(t, s)
		if err := s.Checkpoint(); err != nil {
			t.Fatal(err)
		}
		phase++
		goto again
	}
	// Unacknowledged tail: appended, never waited for.
	for i := 0; i < 20; i++ {
		if _, err := s.Append(fields("C", 0, []byte("unacked"), "", "", "")); err != nil {
			t.Fatal(err)
		}
	}
	waitDispatched(t, s) // stop writers through mappings before the clone
	opts := errorfs.CrashOptions{}
	if seed > 0 {
		opts.Rand = rand.New(rand.NewPCG(uint64(seed), 1))
	}
	clone := fs.CrashClone(opts)
	defer mustClose(t, s) // the "dead" process, on the old file system

	cfg.FS = clone
	cfg.BootID = func() string { return "after-power-loss" }
	s2 := mustOpen(t, cfg)
	defer mustClose(t, s2)
	if !s2.Unclean() || !s2.PowerLoss() {
		t.Fatal("abort marker (power loss) not seen after a crash")
	}
	t.Logf("recovery after crash: %v, re-dispatched %d bytes, report %v", s2.StartTime(), s2.Redispatched(), s2.Report())
	if s2.Report().Start == 0 {
		t.Fatal("recovery ignored the checkpoint")
	}
	for _, a := range acks {
		r, err := s2.GetMessages("C", a.qid, a.qo, 1, 1<<20, nil)
		if err != nil || r.Status != Found || !bytes.Equal(r.Records[0].Body(), a.body) {
			t.Fatalf("acknowledged %d/%d lost: %v %v", a.qid, a.qo, err, r.Status)
		}
		r.Release()
	}
	// New appends continue each queue after what survived.
	for qid := int32(0); qid < 4; qid++ {
		mx := s2.MaxOffset("C", qid)
		res, err := s2.Append(fields("C", qid, []byte("after"), "", "", ""))
		if err != nil || res.QueueOffset != mx {
			t.Fatalf("queue %d: append after recovery at %d, max %d (%v)", qid, res.QueueOffset, mx, err)
		}
	}
	waitDispatched(t, s2)
}

func TestConcurrentAppendRead(t *testing.T) {
	s := mustOpen(t, testConfig(vfs.Default, t.TempDir(), commitlog.FlushAsync))
	defer mustClose(t, s)
	const writers, per = 4, 400
	var wg sync.WaitGroup
	var done atomic.Bool
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				if _, err := s.Append(fields("Cc", int32(i%2), []byte(fmt.Sprintf("w%d-%d", w, i)), "", "", "")); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	var rwg sync.WaitGroup
	for r := 0; r < 2; r++ {
		rwg.Add(1)
		go func() {
			defer rwg.Done()
			qid := int32(r)
			off := int64(0)
			last := map[int]int{}
			for !done.Load() || off < s.MaxOffset("Cc", qid) {
				res, err := s.GetMessages("Cc", qid, off, 32, 1<<20, nil)
				if err != nil {
					t.Error(err)
					return
				}
				for i, rec := range res.Records {
					if res.QueueOffsets[i] != off+int64(i) {
						t.Errorf("gap at %d", off)
					}
					var w, n int
					fmt.Sscanf(string(rec.Body()), "w%d-%d", &w, &n)
					if p, ok := last[w]; ok && n <= p {
						t.Errorf("writer %d: %d after %d", w, n, p)
					}
					last[w] = n
				}
				if res.Status == Found {
					off = res.NextBeginOffset
				} else {
					time.Sleep(time.Millisecond)
				}
				res.Release()
			}
			if off != writers*per/2 {
				t.Errorf("queue %d: read %d, want %d", qid, off, writers*per/2)
			}
		}()
	}
	wg.Wait()
	waitDispatched(t, s)
	done.Store(true)
	rwg.Wait()
}

func TestCheckpointEncoding(t *testing.T) {
	c := Checkpoint{1, 2, 3, 4096, 8192, 100}
	var b [checkpointSize]byte
	c.encode(b[:])
	got, err := decodeCheckpoint(b[:])
	if err != nil || got != c {
		t.Fatalf("decode = %+v, %v", got, err)
	}
	b[30] ^= 1
	if _, err := decodeCheckpoint(b[:]); !errors.Is(err, ErrCheckpoint) {
		t.Fatalf("flipped bit: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := (Config{}).Validate(); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("empty Dir: %v", err)
	}
	c := DefaultConfig()
	c.Dir = "x"
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	c.CommitLog.SegmentSize = 3
	if err := c.Validate(); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("bad segment size: %v", err)
	}
}

func TestAppendAllocs(t *testing.T) {
	cfg := testConfig(vfs.Default, t.TempDir(), commitlog.FlushAsync)
	cfg.CommitLog.SegmentSize = 16 << 20 // no roll during the run
	s := mustOpen(t, cfg)
	defer mustClose(t, s)
	f := fields("A", 1, make([]byte, 1024), "tagA", "", "")
	if _, err := s.Append(f); err != nil { // creates the queue
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(500, func() {
		if _, err := s.Append(f); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("Append: %.2f allocations per call, want 0", allocs)
	}
}

func TestRetention(t *testing.T) {
	s := mustOpen(t, testConfig(vfs.Default, t.TempDir(), commitlog.FlushAsync))
	defer mustClose(t, s)
	body := make([]byte, 4000)
	for i := 0; i < 800; i++ { // about 3 MiB: 4 segments of 1 MiB
		if _, err := s.Append(fields("R", 0, body, "", fmt.Sprint("k", i), "")); err != nil {
			t.Fatal(err)
		}
	}
	waitDispatched(t, s)
	r, _ := s.GetMessages("R", 0, 0, 1, 1<<20, nil) // pinned across the deletion
	if r.Status != Found {
		t.Fatal(r.Status)
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.log.Flushed() < s.log.Wrote() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	n, err := s.DeleteBefore(2 << 20)
	if err != nil || n != 2 {
		t.Fatalf("DeleteBefore: %d, %v", n, err)
	}
	if !bytes.Equal(r.Records[0].Body(), body) {
		t.Fatal("pinned record changed after deletion")
	}
	r.Release()
	minOff := s.MinOffset("R", 0)
	if minOff == 0 {
		t.Fatal("consume queue MinOffset not raised")
	}
	r, _ = s.GetMessages("R", 0, 0, 32, 1<<20, nil)
	if r.Status != OffsetTooSmall || r.NextBeginOffset != minOff {
		t.Fatalf("pull below min: %v next %d, want OFFSET_TOO_SMALL %d", r.Status, r.NextBeginOffset, minOff)
	}
	r.Release()
	r, _ = s.GetMessages("R", 0, minOff, 32, 1<<20, nil)
	if r.Status != Found || r.Records[0].PhysicalOffset() < s.log.MinOffset() {
		t.Fatalf("pull at min: %v", r.Status)
	}
	r.Release()
	if m := s.Metrics(); m.MinOffset != 2<<20 || m.DispatchLag != 0 {
		t.Fatalf("metrics %+v", m)
	}
}

// TestCorruptMiddle: a bad checkpoint forces a full, checked scan; a record
// whose body was damaged in the middle of the log is reported and skipped,
// the records after it stay readable.
func TestCorruptMiddle(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(vfs.Default, dir, commitlog.FlushAsync)
	s := mustOpen(t, cfg)
	var phys50 int64
	for i := 0; i < 100; i++ {
		res, err := s.Append(fields("M", 0, msgBody("M", 0, int64(i), 300), "", "", ""))
		if err != nil {
			t.Fatal(err)
		}
		if i == 50 {
			phys50 = res.Phys
		}
	}
	mustClose(t, s)
	ck := filepath.Join(dir, "checkpoint")
	f, err := vfs.Default.OpenReadWrite(ck)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte{0xFF}, 30); err != nil { // bad CRC
		t.Fatal(err)
	}
	f.Close()
	seg := filepath.Join(dir, "commitlog", "00000000000000000000")
	f, err = vfs.Default.OpenReadWrite(seg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte{0xEE}, phys50+150); err != nil { // inside the body
		t.Fatal(err)
	}
	f.Close()

	s = mustOpen(t, cfg)
	defer mustClose(t, s)
	if !s.Unclean() {
		t.Fatal("bad checkpoint did not force an unclean recovery")
	}
	var ce *commitlog.CorruptError
	if err := s.Report().Err(); !errors.As(err, &ce) || ce.Ranges[0].Start != phys50 {
		t.Fatalf("Report().Err() = %v, want a corrupt range at %d", err, phys50)
	}
	if _, _, err := s.ReadByPhys(phys50); !errors.Is(err, ErrCorruptRecord) {
		t.Fatalf("ReadByPhys of the damaged record: %v", err)
	}
	for off := int64(0); off < 100; off++ {
		r, err := s.GetMessages("M", 0, off, 1, 1<<20, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := off
		if off == 50 {
			got = 51 // the damaged record is skipped, the scan goes on
		}
		if r.Status != Found || r.NextBeginOffset != got+1 || r.QueueOffsets[0] != got {
			t.Fatalf("offset %d: %v next %d", off, r.Status, r.NextBeginOffset)
		}
		if !bytes.Equal(r.Records[0].Body(), msgBody("M", 0, got, 300)) {
			t.Fatalf("offset %d: wrong body", off)
		}
		r.Release()
	}
}

func TestIndexDisabled(t *testing.T) {
	cfg := testConfig(vfs.Default, t.TempDir(), commitlog.FlushAsync)
	cfg.MessageIndexEnable = false
	s := mustOpen(t, cfg)
	defer mustClose(t, s)
	counts := appendAll(t, s, 60)
	waitDispatched(t, s)
	checkQueues(t, s, counts)
	if _, err := s.QueryByKey("TopicA", "key0", 1, 0, time.Now().UnixMilli()); !errors.Is(err, ErrIndexDisabled) {
		t.Fatalf("QueryByKey with the index off: %v", err)
	}
	if m := s.Metrics(); m.Disk.Total == 0 || m.CommitLog.Appends != 60 {
		t.Fatalf("metrics %+v", m)
	}
}

// TestPowerLossAsync: FlushAsync may lose the unflushed window on a power
// loss, but what survives is consistent: every queue reads contiguously from
// 0 with the right bodies, and appends continue where it ends.
func TestPowerLossAsync(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			fs := errorfs.New()
			cfg := testConfig(fs, "/store", commitlog.FlushAsync)
			cfg.CheckpointInterval = time.Hour      // see testCrashSyncFlush
			cfg.CommitLog.FlushInterval = time.Hour // flushes only when 4 pages are dirty
			s := mustOpen(t, cfg)
			counts := appendAll(t, s, 1500)
			waitDispatched(t, s)
			if err := s.Checkpoint(); err != nil {
				t.Fatal(err)
			}
			counts = appendAllFrom(t, s, counts, 700)
			waitDispatched(t, s)
			clone := fs.CrashClone(errorfs.CrashOptions{Rand: rand.New(rand.NewPCG(seed, 7))})
			defer mustClose(t, s)

			cfg.FS = clone
			cfg.BootID = func() string { return "after-power-loss" }
			s2 := mustOpen(t, cfg)
			defer mustClose(t, s2)
			t.Logf("%v; re-dispatched %d bytes", s2.Report(), s2.Redispatched())
			lost := 0
			for _, topic := range topics {
				for qid := int32(0); qid < 4; qid++ {
					got := readQueue(t, s2, topic, qid)
					for i, b := range got {
						if !bytes.Equal(b[:16], msgBody(topic, qid, int64(i), len(b))[:16]) {
							t.Fatalf("%s/%d offset %d: body %q", topic, qid, i, b[:16])
						}
					}
					lost += int(counts[fmt.Sprintf("%s/%d", topic, qid)]) - len(got)
					res, err := s2.Append(fields(topic, qid, msgBody(topic, qid, int64(len(got)), 64), "", "", ""))
					if err != nil || res.QueueOffset != int64(len(got)) {
						t.Fatalf("%s/%d: append after recovery at %d, want %d (%v)", topic, qid, res.QueueOffset, len(got), err)
					}
				}
			}
			t.Logf("lost %d unflushed messages", lost)
			for _, i := range []int{0, 777, 1499} { // indexed before the checkpoint
				q, err := s2.QueryByKey(topics[i%3], fmt.Sprint("key", i), 4, 0, time.Now().UnixMilli()+1000)
				if err != nil || len(q.Records) != 1 || string(q.Records[0].UniqKey()) != fmt.Sprintf("UNIQ%08d", i) {
					t.Fatalf("QueryByKey(key%d) after power loss: %v", i, err)
				}
				q.Release()
			}
			waitDispatched(t, s2)
		})
	}
}

func TestReadsAfterClose(t *testing.T) {
	s := mustOpen(t, testConfig(vfs.Default, t.TempDir(), commitlog.FlushAsync))
	res, err := s.Append(fields("T", 0, []byte("x"), "", "k", ""))
	if err != nil {
		t.Fatal(err)
	}
	waitDispatched(t, s)
	held, err := s.GetMessages("T", 0, 0, 1, 1<<20, nil)
	if err != nil || held.Status != Found {
		t.Fatal(err)
	}
	mustClose(t, s)
	if string(held.Records[0].Body()) != "x" { // the pin keeps the mapping
		t.Fatal("held record changed after Close")
	}
	held.Release()
	if _, err := s.GetMessages("T", 0, 0, 1, 1<<20, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("GetMessages after Close: %v", err)
	}
	if _, _, err := s.ReadByPhys(res.Phys); !errors.Is(err, ErrClosed) {
		t.Fatalf("ReadByPhys after Close: %v", err)
	}
	if _, err := s.QueryByKey("T", "k", 1, 0, time.Now().UnixMilli()); !errors.Is(err, ErrClosed) {
		t.Fatalf("QueryByKey after Close: %v", err)
	}
}

func TestAppendValidation(t *testing.T) {
	s := mustOpen(t, testConfig(vfs.Default, t.TempDir(), commitlog.FlushAsync))
	defer mustClose(t, s)
	for _, topic := range []string{"", ".", "..", "a/b", "a\\b", "a\x00b", string(make([]byte, 256))} {
		if _, err := s.Append(fields(topic, 0, nil, "", "", "")); !errors.Is(err, ErrInvalidTopic) {
			t.Errorf("Append to topic %q: %v", topic, err)
		}
		if _, err := s.AppendBatch([]message.Fields{*fields(topic, 0, nil, "", "", "")}); !errors.Is(err, ErrInvalidTopic) {
			t.Errorf("AppendBatch to topic %q: %v", topic, err)
		}
	}
	for _, qid := range []int32{-1, MaxQueueID} {
		if _, err := s.Append(fields("T", qid, nil, "", "", "")); !errors.Is(err, ErrInvalidQueue) {
			t.Errorf("Append to queue %d: %v", qid, err)
		}
	}
	items := []message.Fields{*fields("T", 1, []byte("a"), "", "", ""), *fields("T", 1, []byte("b"), "", "", ""),
		*fields("U", 0, []byte("c"), "", "", "")}
	res, err := s.AppendBatch(items)
	if err != nil || res.QueueOffset != 0 {
		t.Fatalf("AppendBatch: %v %+v", err, res)
	}
	waitDispatched(t, s)
	if got := readQueue(t, s, "T", 1); len(got) != 2 || string(got[1]) != "b" {
		t.Fatalf("T/1 after a batch: %q", got)
	}
	if got := readQueue(t, s, "U", 0); len(got) != 1 {
		t.Fatalf("U/0 after a batch: %q", got)
	}
}

func TestDeleteTopic(t *testing.T) {
	cfg := testConfig(vfs.Default, t.TempDir(), commitlog.FlushAsync)
	s := mustOpen(t, cfg)
	for i := 0; i < 10; i++ {
		if _, err := s.Append(fields("Gone", 0, []byte(fmt.Sprint("old", i)), "", "", "")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Append(fields("Kept", 0, []byte("other"), "", "", "")); err != nil {
		t.Fatal(err)
	}
	waitDispatched(t, s)
	if n, err := s.DeleteTopic("Gone"); err != nil || n != 1 {
		t.Fatalf("DeleteTopic = %d, %v", n, err)
	}
	r, err := s.GetMessages("Gone", 0, 0, 32, 1<<20, nil)
	if err != nil || r.Status != NoMessageInQueue || s.MaxOffset("Gone", 0) != 0 {
		t.Fatalf("after delete: %v %v max %d", err, r.Status, s.MaxOffset("Gone", 0))
	}
	r.Release()
	if got := readQueue(t, s, "Kept", 0); len(got) != 1 {
		t.Fatalf("the other topic lost messages: %q", got)
	}
	// New messages continue the queue offsets; the old ones stay gone.
	for i := 0; i < 3; i++ {
		if _, err := s.Append(fields("Gone", 0, []byte(fmt.Sprint("new", i)), "", "", "")); err != nil {
			t.Fatal(err)
		}
	}
	waitDispatched(t, s)
	check := func(when string) {
		t.Helper()
		if mn, mx := s.MinOffset("Gone", 0), s.MaxOffset("Gone", 0); mn != 10 || mx != 13 {
			t.Fatalf("%s: offsets [%d, %d), want [10, 13)", when, mn, mx)
		}
		r, err := s.GetMessages("Gone", 0, 10, 32, 1<<20, nil)
		if err != nil || r.Status != Found || len(r.Records) != 3 || string(r.Records[0].Body()) != "new0" {
			t.Fatalf("%s: %v %v", when, err, r.Status)
		}
		r.Release()
		r, _ = s.GetMessages("Gone", 0, 0, 32, 1<<20, nil)
		if r.Status != OffsetTooSmall || r.NextBeginOffset != 10 {
			t.Fatalf("%s: read from 0: %v next %d", when, r.Status, r.NextBeginOffset)
		}
		r.Release()
	}
	check("before restart")
	mustClose(t, s)
	s = mustOpen(t, cfg)
	defer mustClose(t, s)
	check("after restart")
}

// TestDeleteTopicThenRestart: a deleted topic with no new message stays
// empty across a crash (the checkpoint DeleteTopic writes keeps its old
// records from being dispatched again), and starts again at offset 0.
func TestDeleteTopicThenRestart(t *testing.T) {
	fs := errorfs.New()
	cfg := testConfig(fs, "/store", commitlog.FlushSync)
	cfg.CheckpointInterval = time.Hour // only DeleteTopic's checkpoint
	s := mustOpen(t, cfg)
	for i := 0; i < 5; i++ {
		if _, err := s.Append(fields("Gone", 1, []byte("old"), "", "", "")); err != nil {
			t.Fatal(err)
		}
	}
	// Another queue with newer entries, as a broker has (see DeleteTopic's
	// NB on a deleted topic that held the newest entries).
	last, err := s.Append(fields("Kept", 0, []byte("newer"), "", "", ""))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	s.WaitFlushed(last.End, func(err error) { done <- err })
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	waitDispatched(t, s)
	if _, err := s.DeleteTopic("Gone"); err != nil {
		t.Fatal(err)
	}
	clone := fs.CrashClone(errorfs.CrashOptions{}) // the process dies here
	defer mustClose(t, s)
	cfg.FS = clone
	s2 := mustOpen(t, cfg)
	defer mustClose(t, s2)
	if !s2.Unclean() {
		t.Fatal("the crash was not seen")
	}
	if mx := s2.MaxOffset("Gone", 1); mx != 0 {
		t.Fatalf("after the crash the deleted queue has max offset %d", mx)
	}
	res, err := s2.Append(fields("Gone", 1, []byte("new"), "", "", ""))
	if err != nil || res.QueueOffset != 0 {
		t.Fatalf("first append after restart: offset %d, %v", res.QueueOffset, err)
	}
}
