package index

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/quivermq/quiver/engine/vfs"
	"github.com/quivermq/quiver/engine/vfs/errorfs"
	"github.com/quivermq/quiver/message"
)

// keepAll is the Recovery that keeps every file.
var keepAll = Recovery{MaxPhyOffset: math.MaxInt64}

func openIndex(t testing.TB, fs vfs.FS, cfg Config, rec Recovery) *Index {
	t.Helper()
	x, err := Open(fs, quiet(cfg), rec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = x.Close() })
	return x
}

// quiet sets a logger that drops the deletion logs.
func quiet(cfg Config) Config {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return cfg
}

func put(t testing.TB, x *Index, topic, uniq, keys string, phy, ts int64) {
	t.Helper()
	if err := x.Put([]byte(topic), []byte(uniq), []byte(keys), phy, ts); err != nil {
		t.Fatalf("Put(%q, %q, %q, %d): %v", uniq, keys, topic, phy, err)
	}
}

func query(x *Index, topic, key string) []int64 {
	return x.Query(nil, topic, key, 1000, 0, math.MaxInt64)
}

func TestConfig(t *testing.T) {
	d := DefaultConfig()
	if d.MaxHashSlots != 5_000_000 || d.MaxIndexNum != 20_000_000 || d.Logger == nil {
		t.Fatalf("DefaultConfig = %+v", d)
	}
	for _, tc := range []struct {
		cfg Config
		ok  bool
	}{
		{Config{Dir: "/x"}, true},
		{Config{Dir: "/x", MaxHashSlots: 1, MaxIndexNum: 2}, true},
		{Config{}, false},
		{Config{Dir: "/x", MaxHashSlots: -1}, false},
		{Config{Dir: "/x", MaxIndexNum: 1}, false},
		{Config{Dir: "/x", MaxIndexNum: -5}, false},
		{Config{Dir: "/x", MaxIndexNum: 200_000_000}, false}, // over MaxInt32 bytes
	} {
		err := tc.cfg.Validate()
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrInvalidConfig)) {
			t.Errorf("Validate(%+v) = %v", tc.cfg, err)
		}
	}
	if _, err := Open(vfs.Default, Config{}, Recovery{}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("Open without Dir: %v", err)
	}
}

func TestFileName(t *testing.T) {
	loc := time.FixedZone("X", 8*3600)
	tm := time.Date(2024, 3, 5, 7, 8, 9, 123_456_789, loc)
	if got := fileName(tm); got != "20240305070809123" {
		t.Fatalf("fileName = %q", got)
	}
	if got := fileName(time.Date(2024, 12, 31, 23, 59, 59, 7_000_000, loc)); got != "20241231235959007" {
		t.Fatalf("fileName = %q", got)
	}
}

// TestPutKeys: one entry for UNIQ_KEY and one per non-empty KEYS value,
// each under topic#key.
func TestPutKeys(t *testing.T) {
	fs, dir := testFS(t)
	x := openIndex(t, fs, Config{Dir: dir, MaxHashSlots: 64, MaxIndexNum: 64}, keepAll)
	put(t, x, "T", "U1", " a  b c ", 100, 1000)
	put(t, x, "T", "", "a", 200, 1000)
	put(t, x, "T", "U3", "", 300, 1000)
	put(t, x, "T2", "", "a", 400, 1000)
	if n := x.cur.Header().IndexCount - 1; n != 7 {
		t.Fatalf("%d entries, want 7", n)
	}
	for _, tc := range []struct {
		topic, key string
		want       []int64
	}{
		{"T", "U1", []int64{100}},
		{"T", "a", []int64{200, 100}},
		{"T", "b", []int64{100}},
		{"T", "c", []int64{100}},
		{"T", "U3", []int64{300}},
		{"T2", "a", []int64{400}},
		{"T", "", nil},
		{"T", " ", nil},
		{"T", "a  b", nil},
		{"T2", "U1", nil},
	} {
		if got := query(x, tc.topic, tc.key); !slices.Equal(got, tc.want) {
			t.Errorf("Query(%q, %q) = %v, want %v", tc.topic, tc.key, got, tc.want)
		}
	}
	ts, phy := x.LastUpdate()
	if ts != 1000 || phy != 400 {
		t.Errorf("LastUpdate = %d, %d", ts, phy)
	}
}

// TestPutRecord reads topic, keys, offset and time from a stored record and
// skips rollback records.
func TestPutRecord(t *testing.T) {
	fs, dir := testFS(t)
	x := openIndex(t, fs, Config{Dir: dir, MaxHashSlots: 64, MaxIndexNum: 64}, keepAll)
	var props []byte
	props = message.AppendProperty(props, message.PropertyKeys, "k1 k2")
	props = message.AppendProperty(props, message.PropertyUniqKey, "ABC")
	props = message.AppendProperty(props, message.PropertyTags, "tag")
	f := message.Fields{
		Topic: []byte("TopicTest"), Body: []byte("hello"), Properties: props,
		PhysicalOffset: 4096, StoreTimestamp: 1_700_000_000_000,
	}
	rec, err := message.AppendRecord(nil, &f)
	if err != nil {
		t.Fatal(err)
	}
	if err := x.PutRecord(message.Record(rec)); err != nil {
		t.Fatal(err)
	}
	f.PhysicalOffset = 8192
	f.SysFlag = message.SysFlagTransactionRollback
	rec, err = message.AppendRecord(nil, &f)
	if err != nil {
		t.Fatal(err)
	}
	if err := x.PutRecord(message.Record(rec)); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"k1", "k2", "ABC"} {
		if got := query(x, "TopicTest", k); !slices.Equal(got, []int64{4096}) {
			t.Errorf("Query(%q) = %v, want [4096]", k, got)
		}
	}
	if got := query(x, "TopicTest", "tag"); got != nil {
		t.Errorf("TAGS indexed: %v", got)
	}
	if ts, phy := x.LastUpdate(); ts != 1_700_000_000_000 || phy != 4096 {
		t.Errorf("LastUpdate = %d, %d", ts, phy)
	}
}

// TestQueryTimeAndMaxNum: the time range and maxNum across files.
func TestQueryTimeAndMaxNum(t *testing.T) {
	fs, dir := testFS(t)
	// 4 entries a file: 3 usable.
	x := openIndex(t, fs, Config{Dir: dir, MaxHashSlots: 8, MaxIndexNum: 4}, keepAll)
	const T = 1_700_000_000_000
	for i := range 12 { // 4 files, 10 s apart per entry
		put(t, x, "T", "", "k", int64(i*100), T+int64(i)*10_000)
	}
	if len(x.files) != 4 {
		t.Fatalf("%d files, want 4", len(x.files))
	}
	all := []int64{1100, 1000, 900, 800, 700, 600, 500, 400, 300, 200, 100, 0}
	for _, tc := range []struct {
		max        int
		begin, end int64
		want       []int64
	}{
		{100, 0, math.MaxInt64, all},
		{5, 0, math.MaxInt64, all[:5]},
		{3, 0, math.MaxInt64, all[:3]},
		{0, 0, math.MaxInt64, nil},
		{100, T + 25_000, T + 65_000, []int64{600, 500, 400, 300}},
		{2, T + 25_000, T + 65_000, []int64{600, 500}},
		{100, T + 110_000, math.MaxInt64, []int64{1100}},
		{100, 0, T, []int64{0}},
		{100, T + 120_000, math.MaxInt64, nil},
	} {
		got := x.Query(nil, "T", "k", tc.max, tc.begin, tc.end)
		if !slices.Equal(got, tc.want) {
			t.Errorf("Query(max %d, [%d, %d]) = %v, want %v", tc.max, tc.begin-T, tc.end-T, got, tc.want)
		}
	}
}

// TestRollover fills several files, queries across them, and finds the
// file names and headers as RocketMQ makes them.
func TestRollover(t *testing.T) {
	fs, dir := testFS(t)
	cfg := Config{Dir: dir, MaxHashSlots: 16, MaxIndexNum: 8}
	x := openIndex(t, fs, cfg, keepAll)
	const n = 100 // 2 entries each, 7 per file: 29 files
	for i := range n {
		put(t, x, "T", fmt.Sprintf("U%d", i), fmt.Sprintf("k%d", i%10), int64(i)*1000, 1_000_000+int64(i)*1000)
	}
	if got, want := len(x.files), (2*n+6)/7; got != want {
		t.Fatalf("%d files, want %d", got, want)
	}
	names := listNames(t, fs, dir)
	if len(names) != len(x.files) {
		t.Fatalf("files on disk %v", names)
	}
	re := regexp.MustCompile(`^\d{17}$`)
	for i, name := range names {
		if !re.MatchString(name) || (i > 0 && name <= names[i-1]) {
			t.Fatalf("names not 17 increasing digits: %v", names)
		}
	}
	for i := 1; i < len(x.files); i++ {
		prev, cur := x.files[i-1].Header(), x.files[i].Header()
		if prev.IndexCount != 8 || cur.BeginPhyOffset < prev.EndPhyOffset {
			t.Fatalf("file %d: %+v after %+v", i, cur, prev)
		}
	}
	for i := range n {
		if got := query(x, "T", fmt.Sprintf("U%d", i)); !slices.Equal(got, []int64{int64(i) * 1000}) {
			t.Fatalf("Query(U%d) = %v", i, got)
		}
	}
	for k := range 10 {
		got := query(x, "T", fmt.Sprintf("k%d", k))
		var want []int64
		for i := n - 1; i >= 0; i-- {
			if i%10 == k {
				want = append(want, int64(i)*1000)
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("Query(k%d) = %v, want %v", k, got, want)
		}
	}
}

// TestFileNamesIncrease: files started in the same millisecond, or after
// the clock stepped back, still get increasing names.
func TestFileNamesIncrease(t *testing.T) {
	fs, dir := testFS(t)
	x := openIndex(t, fs, Config{Dir: dir, MaxHashSlots: 4, MaxIndexNum: 2}, keepAll)
	now := time.Date(2024, 1, 1, 12, 0, 0, 999_000_000, time.Local)
	x.now = func() time.Time { return now }
	for i := range 3 {
		put(t, x, "T", "", "k", int64(i), 1000)
	}
	now = now.Add(-time.Hour)
	put(t, x, "T", "", "k", 3, 1000)
	now = now.Add(2 * time.Hour)
	put(t, x, "T", "", "k", 4, 1000)
	want := []string{"20240101120000999", "20240101120001000", "20240101120001001", "20240101120001002", "20240101130000999"}
	if got := listNames(t, fs, dir); !slices.Equal(got, want) {
		t.Fatalf("names %v, want %v", got, want)
	}
}

// countSyncs counts the File.Sync calls of fs.
func countSyncs(fs *errorfs.FS) *atomic.Int64 {
	var n atomic.Int64
	fs.Inject(errorfs.InjectorFunc(func(c errorfs.Call) error {
		if c.Op == errorfs.OpSync {
			n.Add(1)
		}
		return nil
	}))
	return &n
}

// TestReopen: everything put before Close is found after Open, on the OS
// file system and, in memory, after a power loss that follows Close.
func TestReopen(t *testing.T) {
	t.Run("os", func(t *testing.T) {
		fs, dir := testFS(t)
		testReopen(t, fs, dir, func() vfs.FS { return fs })
	})
	t.Run("powerloss", func(t *testing.T) {
		fs, dir := memFS(t)
		syncs := countSyncs(fs)
		testReopen(t, fs, dir, func() vfs.FS {
			if syncs.Load() == 0 {
				t.Error("nothing synced")
			}
			return fs.CrashClone(errorfs.CrashOptions{})
		})
	})
}

func testReopen(t *testing.T, fs vfs.FS, dir string, afterClose func() vfs.FS) {
	cfg := Config{Dir: dir, MaxHashSlots: 16, MaxIndexNum: 8}
	x, err := Open(fs, quiet(cfg), keepAll)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		put(t, x, "T", fmt.Sprintf("U%d", i), "", int64(i)*10, 5000+int64(i))
	}
	ts, phy := x.LastUpdate()
	nfiles := len(x.files)
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	if err := x.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := x.Put([]byte("T"), []byte("U"), nil, 1000, 1); !errors.Is(err, ErrClosed) {
		t.Errorf("Put after Close: %v", err)
	}
	if err := x.Flush(); !errors.Is(err, ErrClosed) {
		t.Errorf("Flush after Close: %v", err)
	}
	if got := query(x, "T", "U1"); got != nil {
		t.Errorf("Query after Close: %v", got)
	}

	fs = afterClose()
	y := openIndex(t, fs, cfg, keepAll)
	if len(y.files) != nfiles {
		t.Fatalf("%d files after reopen, want %d", len(y.files), nfiles)
	}
	if ts2, phy2 := y.LastUpdate(); ts2 != ts || phy2 != phy {
		t.Fatalf("LastUpdate after reopen %d, %d, want %d, %d", ts2, phy2, ts, phy)
	}
	for i := range 30 {
		if got := query(y, "T", fmt.Sprintf("U%d", i)); !slices.Equal(got, []int64{int64(i) * 10}) {
			t.Fatalf("Query(U%d) after reopen = %v", i, got)
		}
	}
	// Put continues in the last file, then rolls.
	put(t, y, "T", "U30", "", 300, 6000)
	if got := query(y, "T", "U30"); !slices.Equal(got, []int64{300}) {
		t.Fatalf("Query(U30) = %v", got)
	}
}

// TestOpenDropsFilesPastEnd: files that index records past the commit
// log's recovered end are deleted, the dispatcher re-dispatches from
// LastUpdate, and every key is found once.
func TestOpenDropsFilesPastEnd(t *testing.T) {
	fs, dir := testFS(t)
	cfg := Config{Dir: dir, MaxHashSlots: 16, MaxIndexNum: 5} // 4 entries a file
	x, err := Open(fs, quiet(cfg), keepAll)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 { // 5 files: offsets 0-30, 40-70, 80-110, 120-150, 160-190
		put(t, x, "T", fmt.Sprintf("U%d", i), "", int64(i)*10, 5000+int64(i))
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	// A leftover of an interrupted creation and a foreign file.
	for _, n := range []string{"20990101000000000.tmp", "README"} {
		f, err := fs.Create(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		_ = f.Close()
	}

	// The commit log ends at 125: the record at 120 is gone.
	y := openIndex(t, fs, cfg, Recovery{MaxPhyOffset: 125})
	if len(y.files) != 3 {
		t.Fatalf("%d files kept, want 3", len(y.files))
	}
	if names := listNames(t, fs, dir); len(names) != 4 || names[3] != "README" {
		t.Fatalf("files on disk %v", names)
	}
	_, phy := y.LastUpdate()
	if phy != 110 {
		t.Fatalf("LastUpdate phyOffset %d, want 110", phy)
	}
	// Re-dispatch from 100 (earlier than needed): what is indexed is
	// ignored, the rest is indexed.
	for i := 10; i < 12; i++ {
		put(t, y, "T", fmt.Sprintf("U%d", i), "", int64(i)*10, 5000+int64(i))
	}
	put(t, y, "T", "U12", "", 120, 5012)
	for i := range 13 {
		if got := query(y, "T", fmt.Sprintf("U%d", i)); !slices.Equal(got, []int64{int64(i) * 10}) {
			t.Errorf("Query(U%d) = %v", i, got)
		}
	}
	for i := 13; i < 20; i++ {
		if got := query(y, "T", fmt.Sprintf("U%d", i)); got != nil {
			t.Errorf("Query(U%d) = %v, want nothing", i, got)
		}
	}
	_ = y.Close()

	// An empty commit log drops everything.
	z := openIndex(t, fs, cfg, Recovery{})
	if len(z.files) != 0 {
		t.Fatalf("%d files kept for an empty commit log", len(z.files))
	}
	if ts, phy := z.LastUpdate(); ts != 0 || phy != 0 {
		t.Fatalf("LastUpdate of an empty index %d, %d", ts, phy)
	}
}

// TestOpenWrongSize: a file that does not match the configured geometry
// fails Open with ErrCorrupt.
func TestOpenWrongSize(t *testing.T) {
	fs, dir := testFS(t)
	x := openIndex(t, fs, Config{Dir: dir, MaxHashSlots: 16, MaxIndexNum: 8}, keepAll)
	put(t, x, "T", "U", "", 1, 1)
	_ = x.Close()
	if _, err := Open(fs, Config{Dir: dir, MaxHashSlots: 16, MaxIndexNum: 9}, keepAll); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open with another MaxIndexNum: %v", err)
	}
}

// TestRedispatchIgnoredAndDeduplicated: a message below the newest entry
// is ignored; one at the newest offset is indexed again and queries return
// its offset once.
func TestRedispatchIgnoredAndDeduplicated(t *testing.T) {
	fs, dir := testFS(t)
	x := openIndex(t, fs, Config{Dir: dir, MaxHashSlots: 16, MaxIndexNum: 4}, keepAll)
	put(t, x, "T", "A", "k", 100, 1000)
	put(t, x, "T", "B", "k", 200, 1000)
	put(t, x, "T", "A", "k", 100, 1000) // ignored
	if got := query(x, "T", "A"); !slices.Equal(got, []int64{100}) {
		t.Fatalf("Query(A) = %v", got)
	}
	// The same offset again (3 usable entries a file): B and k go into
	// file 2 again, the second k into file 3.
	put(t, x, "T", "B", "k k", 200, 1000)
	if len(x.files) != 3 {
		t.Fatalf("%d files", len(x.files))
	}
	if got := query(x, "T", "B"); !slices.Equal(got, []int64{200}) {
		t.Fatalf("Query(B) = %v, want [200]", got)
	}
	if got := query(x, "T", "k"); !slices.Equal(got, []int64{200, 100}) {
		t.Fatalf("Query(k) = %v, want [200 100]", got)
	}
}

func TestDeleteBelow(t *testing.T) {
	fs, dir := testFS(t)
	x := openIndex(t, fs, Config{Dir: dir, MaxHashSlots: 16, MaxIndexNum: 5}, keepAll)
	for i := range 20 { // 5 files: 0-30, 40-70, 80-110, 120-150, 160-190
		put(t, x, "T", fmt.Sprintf("U%d", i), "", int64(i)*10, 5000+int64(i))
	}
	for _, tc := range []struct {
		min           int64
		deleted, left int
	}{
		{0, 0, 5},
		{30, 0, 5},            // file 0 ends at 30: still live
		{31, 1, 4},            // file 0 gone
		{115, 2, 2},           // files 1 and 2
		{math.MaxInt64, 1, 1}, // never the newest
	} {
		n, err := x.DeleteBelow(tc.min)
		if err != nil || n != tc.deleted || len(x.files) != tc.left || len(listNames(t, fs, dir)) != tc.left {
			t.Fatalf("DeleteBelow(%d) = %d, %v; %d files, on disk %v", tc.min, n, err, len(x.files), listNames(t, fs, dir))
		}
	}
	if got := query(x, "T", "U19"); !slices.Equal(got, []int64{190}) {
		t.Fatalf("Query(U19) = %v", got)
	}
	if got := query(x, "T", "U15"); got != nil {
		t.Fatalf("Query(U15) = %v", got)
	}
	_ = x.Close()
	if _, err := x.DeleteBelow(1); !errors.Is(err, ErrClosed) {
		t.Fatalf("DeleteBelow after Close: %v", err)
	}
}

// TestFlush syncs only what was written, and a sync error is sticky.
func TestFlush(t *testing.T) {
	fs, dir := memFS(t)
	syncs := countSyncs(fs)
	x := openIndex(t, fs, Config{Dir: dir, MaxHashSlots: 16, MaxIndexNum: 5}, keepAll)
	if err := x.Flush(); err != nil {
		t.Fatal(err)
	}
	for i := range 6 { // two files
		put(t, x, "T", fmt.Sprintf("U%d", i), "", int64(i), 1)
	}
	s0 := syncs.Load()
	if err := x.Flush(); err != nil {
		t.Fatal(err)
	}
	if n := syncs.Load() - s0; n != 2 {
		t.Fatalf("Flush synced %d files, want 2", n)
	}
	if err := x.Flush(); err != nil || syncs.Load()-s0 != 2 {
		t.Fatalf("clean Flush synced again: %v, %d", err, syncs.Load()-s0)
	}
	// What Flush synced survives a power loss.
	y := openIndex(t, fs.CrashClone(errorfs.CrashOptions{}), Config{Dir: dir, MaxHashSlots: 16, MaxIndexNum: 5}, keepAll)
	for i := range 6 {
		if got := query(y, "T", fmt.Sprintf("U%d", i)); !slices.Equal(got, []int64{int64(i)}) {
			t.Fatalf("after power loss: Query(U%d) = %v", i, got)
		}
	}

	put(t, x, "T", "U6", "", 6, 1)
	remove := fs.Inject(&errorfs.Rule{Op: errorfs.OpSync, Err: syscall.EIO, Times: 1})
	if err := x.Flush(); !errors.Is(err, syscall.EIO) {
		t.Fatalf("Flush = %v, want EIO", err)
	}
	remove()
	if err := x.Flush(); err == nil {
		t.Fatal("Flush after a failed one succeeded")
	}
	if err := x.Put([]byte("T"), []byte("U7"), nil, 7, 1); err == nil {
		t.Fatal("Put after a failed Flush succeeded")
	}
	if got := query(x, "T", "U6"); !slices.Equal(got, []int64{6}) {
		t.Fatalf("Query after a failed Flush = %v", got)
	}
}

// TestRollError: a failing file creation is returned, leaves nothing
// behind, and a later Put succeeds.
func TestRollError(t *testing.T) {
	fs, dir := memFS(t)
	x := openIndex(t, fs, Config{Dir: dir, MaxHashSlots: 16, MaxIndexNum: 3}, keepAll)
	put(t, x, "T", "A", "", 1, 1)
	put(t, x, "T", "B", "", 2, 1)
	fs.SetCapacity(1) // full disk
	if err := x.Put([]byte("T"), []byte("C"), nil, 3, 1); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Put into a full index on a full disk: %v", err)
	}
	if names := listNames(t, fs, dir); len(names) != 1 {
		t.Fatalf("files %v", names)
	}
	fs.SetCapacity(0)
	put(t, x, "T", "D", "", 4, 1)
	if got := query(x, "T", "D"); !slices.Equal(got, []int64{4}) {
		t.Fatalf("Query(D) = %v", got)
	}
}

// TestPutQueryNoAlloc: Put (without a roll) and Query into a large enough
// dst do not allocate.
func TestPutQueryNoAlloc(t *testing.T) {
	fs, dir := testFS(t)
	x := openIndex(t, fs, Config{Dir: dir, MaxHashSlots: 1024, MaxIndexNum: 1 << 16}, keepAll)
	topic, uniq, keys := []byte("TopicTest"), []byte("C0A8000100002A9F0000000000000001"), []byte("order-1 user-7")
	put(t, x, "TopicTest", "first", "", 0, 1) // creates the file
	phy := int64(1)
	if a := testing.AllocsPerRun(1000, func() {
		if err := x.Put(topic, uniq, keys, phy, 1000); err != nil {
			t.Fatal(err)
		}
		phy++
	}); a != 0 {
		t.Errorf("Put: %v allocs, want 0", a)
	}
	dst := make([]int64, 0, 32)
	if a := testing.AllocsPerRun(1000, func() {
		dst = x.Query(dst[:0], "TopicTest", "order-1", 32, 0, math.MaxInt64)
	}); a != 0 {
		t.Errorf("Query: %v allocs, want 0", a)
	}
	if len(dst) != 32 {
		t.Errorf("Query found %d, want 32", len(dst))
	}
}

// TestConcurrentPutQuery runs one writer, readers, a flusher and a
// retention loop at once. Readers must find every key whose Put returned
// (and has not been retired), and nothing else under its hash.
//
// On the in-memory FS the mapping is Go memory, so -race checks the
// publication order there (it cannot see accesses to real mmap memory).
// Its Sync copies the mapping in Go, which -race reports as a race with
// the writer (real msync/fdatasync of a mapping being written is fine), so
// that run does not flush.
func TestConcurrentPutQuery(t *testing.T) {
	t.Run("os", func(t *testing.T) {
		fs, dir := testFS(t)
		testConcurrentPutQuery(t, fs, dir, true)
	})
	t.Run("mem", func(t *testing.T) {
		fs, dir := memFS(t)
		testConcurrentPutQuery(t, fs, dir, false)
	})
}

func testConcurrentPutQuery(t *testing.T, fs vfs.FS, dir string, flush bool) {
	// Small slot table: long chains; small files: many rolls.
	x := openIndex(t, fs, Config{Dir: dir, MaxHashSlots: 7, MaxIndexNum: 64}, keepAll)
	const n = 4000
	const live = 300 // retention deletes files below the offset of key published-live
	var published atomic.Int64
	var minLive atomic.Int64 // stored before each DeleteBelow(minLive)
	done := make(chan struct{})
	var wg sync.WaitGroup
	errc := make(chan error, 16)

	wg.Add(1)
	go func() { // writer
		defer wg.Done()
		defer close(done)
		for i := range n {
			err := x.Put([]byte("T"), fmt.Appendf(nil, "U%d", i), fmt.Appendf(nil, "k%d", i%50), int64(i)*100, 1_000_000+int64(i))
			if err != nil {
				errc <- err
				return
			}
			published.Store(int64(i + 1))
		}
	}()
	for r := range 4 {
		wg.Add(1)
		go func() { // reader
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(r), 1))
			dst := make([]int64, 0, 8)
			for {
				select {
				case <-done:
					return
				default:
				}
				p := published.Load()
				if p == 0 {
					continue
				}
				i := p - 1 - rng.Int64N(min(p, live/2))
				dst = x.Query(dst[:0], "T", fmt.Sprintf("U%d", i), 8, 0, math.MaxInt64)
				if !slices.Equal(dst, []int64{i * 100}) && !(len(dst) == 0 && i*100 < minLive.Load()) {
					errc <- fmt.Errorf("Query(U%d) with %d published = %v", i, p, dst)
					return
				}
				x.LastUpdate()
			}
		}()
	}
	wg.Add(1)
	go func() { // flusher and retention
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			default:
			}
			if flush {
				if err := x.Flush(); err != nil {
					errc <- err
					return
				}
			}
			bound := (published.Load() - live) * 100
			minLive.Store(max(bound, minLive.Load()))
			if _, err := x.DeleteBelow(bound); err != nil {
				errc <- err
				return
			}
		}
	}()
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	// The last keys of each KEYS value are all there, newest first.
	got := x.Query(nil, "T", "k7", 3, 0, math.MaxInt64)
	if want := []int64{(n - 43) * 100, (n - 93) * 100, (n - 143) * 100}; !slices.Equal(got, want) {
		t.Fatalf("Query(k7) = %v, want %v", got, want)
	}
}

// TestUncleanRepairsSlots: a slot that names an entry past the header's
// count (a slot page that reached the disk before the header page) hides
// its chain; Open with Unclean rebuilds it from the entries.
func TestUncleanRepairsSlots(t *testing.T) {
	fs, dir := testFS(t)
	cfg := Config{Dir: dir, MaxHashSlots: 4, MaxIndexNum: 64}
	x := openIndex(t, fs, cfg, keepAll)
	for i := range 12 {
		put(t, x, "T", "", fmt.Sprintf("k%d", i), int64(i), 1000)
	}
	name := x.files[0].Name()
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	// Every slot names entry 20 or -1, as if later Puts had reached the
	// disk in the slot page only.
	writeFile(t, fs, name, HeaderSize, []byte{0, 0, 0, 20, 0, 0, 0, 20, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 13})

	y := openIndex(t, fs, cfg, keepAll)
	if got := query(y, "T", "k3"); got != nil {
		t.Fatalf("without repair: Query(k3) = %v, want nothing (chain hidden)", got)
	}
	_ = y.Close()
	z := openIndex(t, fs, cfg, Recovery{MaxPhyOffset: math.MaxInt64, Unclean: true})
	for i := range 12 {
		if got := query(z, "T", fmt.Sprintf("k%d", i)); !slices.Equal(got, []int64{int64(i)}) {
			t.Fatalf("after repair: Query(k%d) = %v", i, got)
		}
	}
	put(t, z, "T", "", "k0", 12, 1000)
	if got := query(z, "T", "k0"); !slices.Equal(got, []int64{12, 0}) {
		t.Fatalf("Put after repair: Query(k0) = %v", got)
	}
}

// TestPowerLoss crashes one history many times, with write-back of the
// unsynced pages cut short at random, and recovers each with the bound the
// engine would keep (one past LastUpdate before the last Flush): nothing
// past the bound is kept, every key below LastUpdate is found, a later one
// is found or missing but never wrong, and re-dispatching from LastUpdate
// finds them all once.
func TestPowerLoss(t *testing.T) {
	fs, dir := memFS(t)
	// Files of 5 pages, 63 entries: 50 messages (2 keys each) fill 2 files.
	cfg := Config{Dir: dir, MaxHashSlots: 2048, MaxIndexNum: 64}
	x := openIndex(t, fs, cfg, keepAll)
	const flushed, total = 50, 80
	msg := func(x *Index, i int) error {
		return x.Put([]byte("T"), fmt.Appendf(nil, "U%d", i), fmt.Appendf(nil, "k%d", i), int64(i)*100, 1_000_000+int64(i)*10)
	}
	for i := range flushed {
		if err := msg(x, i); err != nil {
			t.Fatal(err)
		}
	}
	_, last := x.LastUpdate()
	bound := last + 1
	if err := x.Flush(); err != nil {
		t.Fatal(err)
	}
	for i := flushed; i < total; i++ {
		if err := msg(x, i); err != nil {
			t.Fatal(err)
		}
	}
	var kept []int64 // messages kept by each crash
	for seed := range uint64(40) {
		var opts errorfs.CrashOptions
		if seed > 0 {
			opts.Rand = rand.New(rand.NewPCG(seed, 7))
		}
		y := openIndex(t, fs.CrashClone(opts), cfg, Recovery{MaxPhyOffset: min(bound, total*100), Unclean: true})
		_, from := y.LastUpdate()
		if from > last {
			t.Fatalf("seed %d: LastUpdate %d past the flushed %d", seed, from, last)
		}
		kept = append(kept, from/100)
		for i := range total {
			for _, k := range []string{fmt.Sprintf("U%d", i), fmt.Sprintf("k%d", i)} {
				got := query(y, "T", k)
				if !slices.Equal(got, []int64{int64(i) * 100}) && (int64(i)*100 < from || got != nil) {
					t.Fatalf("seed %d: before re-dispatch from %d: Query(%s) = %v", seed, from, k, got)
				}
			}
		}
		for i := int(from / 100); i < total; i++ {
			if err := msg(y, i); err != nil {
				t.Fatal(err)
			}
		}
		for i := range total {
			for _, k := range []string{fmt.Sprintf("U%d", i), fmt.Sprintf("k%d", i)} {
				if got := query(y, "T", k); !slices.Equal(got, []int64{int64(i) * 100}) {
					t.Fatalf("seed %d: after re-dispatch from %d: Query(%s) = %v", seed, from, k, got)
				}
			}
		}
		_ = y.Close()
	}
	t.Logf("messages indexed after each crash: %v", kept)
}
