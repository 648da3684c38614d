package commitlog

import (
	"testing"
	"time"

	"github.com/quivermq/quiver/engine/segment"
	"github.com/quivermq/quiver/engine/vfs/errorfs"
	"github.com/quivermq/quiver/internal/testutil"
)

// stageConfig is FlushSync in WritePwrite mode (the stage's mode) with a
// small stage and no periodic flush, so that only the stage's own paths
// make records readable.
func stageConfig(stage int) Config {
	cfg := testConfig(segment.WritePwrite, FlushSync)
	cfg.StageSize = stage
	cfg.FlushInterval = time.Hour
	return cfg
}

func TestStageReadableWithoutWaiter(t *testing.T) {
	var published int
	cfg := stageConfig(64 << 10)
	cfg.Published = func() { published++ } // under the append lock
	l, _ := mustOpen(t, errorfs.New(), "/s/commitlog", cfg, 0)
	defer l.Close()
	res, err := l.Append(fieldsFor(0, 1000), nil)
	if err != nil {
		t.Fatal(err)
	}
	if l.Appended() != res.End {
		t.Fatalf("Appended %d, want %d", l.Appended(), res.End)
	}
	// Nobody waits and the periodic flush is an hour away: the append's
	// wake-up alone must get the flusher to write the stage.
	testutil.Eventually(t, 5*time.Second, func() bool { return l.Wrote() == res.End }, "staged record readable")
	checkRecord(t, l, res.Phys, 0, 1000)
	l.mu.Lock()
	n := published
	l.mu.Unlock()
	if n == 0 {
		t.Fatal("Published not called")
	}
}

func TestStageFullAndOversize(t *testing.T) {
	cfg := stageConfig(4096)
	l, _ := mustOpen(t, errorfs.New(), "/s/commitlog", cfg, 0)
	defer l.Close()
	// The flusher may drain the stage at any time (the first append woke
	// it); the checks hold whoever drained.
	var phys []int64
	sizes := []int{1000, 1000, 1000, 1000, 9000, 1000}
	for i, n := range sizes {
		res, err := l.Append(fieldsFor(i, n), nil)
		if err != nil {
			t.Fatal(err)
		}
		phys = append(phys, res.Phys)
		switch i {
		case 3:
			// The fourth 1 KiB record does not fit with the first three:
			// unless the flusher drained some of them first, they were
			// written before it was staged. Either way the stage never
			// holds more than its 4096 bytes.
			// NB: checking Wrote >= phys[3] alone failed 16 runs in 200
			// under -race: the flusher had drained the first record.
			if w := l.Wrote(); w < phys[3] && res.End-w > 4096 {
				t.Fatalf("after a full stage Wrote %d: %d bytes staged, more than the stage", w, res.End-w)
			}
		case 4:
			// Larger than the stage: written directly, after the staged
			// record before it, so everything up to it is readable.
			if l.Wrote() != res.End {
				t.Fatalf("after an oversize record Wrote %d, want %d", l.Wrote(), res.End)
			}
		}
	}
	done := make(chan error, 1)
	l.WaitFlushed(l.Appended(), func(err error) { done <- err })
	if err := waitDone(t, done, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	for i, p := range phys {
		checkRecord(t, l, p, i, sizes[i])
	}
}

func TestStageAcrossRolls(t *testing.T) {
	cfg := stageConfig(16 << 10)
	fs := errorfs.New()
	l, _ := mustOpen(t, fs, "/s/commitlog", cfg, 0)
	var phys []int64
	n := 3 * cfg.SegmentSize / 1200
	for i := 0; i < n; i++ {
		res, err := l.Append(fieldsFor(i, 1000), nil)
		if err != nil {
			t.Fatal(err)
		}
		phys = append(phys, res.Phys)
	}
	done := make(chan error, 1)
	l.WaitFlushed(l.Appended(), func(err error) { done <- err })
	if err := waitDone(t, done, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if l.Metrics().Rolls < 3 {
		t.Fatalf("%d rolls, want the test to cross segments", l.Metrics().Rolls)
	}
	for i, p := range phys {
		checkRecord(t, l, p, i, 1000)
	}
	// What a scan of the reopened log finds is the same, in order.
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l, rep := mustOpen(t, fs, "/s/commitlog", cfg, 0)
	defer l.Close()
	if rep.Records != int64(len(phys)) || rep.Err() != nil {
		t.Fatalf("report %v, want %d records", rep, len(phys))
	}
}
