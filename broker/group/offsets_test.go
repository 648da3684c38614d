package group

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOffsetsCommitQuery(t *testing.T) {
	o := NewOffsets(testConfig(newFakeClock()))
	if _, ok := o.Query("G", "T", 0); ok {
		t.Fatal("found in empty table")
	}
	o.Commit("G", "T", 0, 12)
	o.Commit("G", "T", 1, 7)
	o.Commit("G", "T", 1, 5) // lower is accepted, as in RocketMQ
	o.Commit("H", "T", 0, 3)
	o.Commit("G", "U", 2, 9)
	if off, ok := o.Query("G", "T", 0); !ok || off != 12 {
		t.Fatalf("G T 0: %d %v", off, ok)
	}
	if off, ok := o.Query("G", "T", 1); !ok || off != 5 {
		t.Fatalf("G T 1: %d %v", off, ok)
	}
	if _, ok := o.Query("G", "T", 2); ok {
		t.Fatal("G T 2 found")
	}
	if m := o.QueryTopic("G", "T"); !maps.Equal(m, map[int32]int64{0: 12, 1: 5}) {
		t.Fatalf("QueryTopic %v", m)
	}
	if o.QueryTopic("X", "T") != nil {
		t.Fatal("QueryTopic of unknown")
	}
	if ts := o.TopicsOfGroup("G"); strings.Join(ts, ",") != "T,U" {
		t.Fatalf("topics %v", ts)
	}
	if gs := o.GroupsOfTopic("T"); strings.Join(gs, ",") != "G,H" {
		t.Fatalf("groups %v", gs)
	}
	tab := o.Table()
	if len(tab) != 3 || tab["T@G"][0] != 12 || tab["U@G"][2] != 9 {
		t.Fatalf("table %v", tab)
	}
	o.Clone("G", "K", "T")
	if off, ok := o.Query("K", "T", 1); !ok || off != 5 {
		t.Fatal("clone")
	}
	if !o.Remove("K", "T") || o.Remove("K", "T") {
		t.Fatal("remove")
	}
	if !o.RemoveTopic("U") || len(o.TopicsOfGroup("G")) != 1 {
		t.Fatal("remove topic")
	}
	if !o.RemoveGroup("G") || o.RemoveGroup("G") {
		t.Fatal("remove group")
	}
	if _, ok := o.Query("H", "T", 0); !ok {
		t.Fatal("H removed with G")
	}
}

func TestOffsetsPersistLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config", "consumerOffset.json")
	cfg := testConfig(newFakeClock())
	o := NewOffsets(cfg)
	if o.Dirty() {
		t.Fatal("new table dirty")
	}
	o.Commit("G", "T", 0, 12)
	o.Commit("G", "T", 1, 7)
	o.Commit("G", "%RETRY%G", 0, 1)
	if !o.Dirty() {
		t.Fatal("not dirty after commit")
	}
	if err := o.Persist(path); err != nil {
		t.Fatal(err)
	}
	if o.Dirty() {
		t.Fatal("dirty after persist")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"offsetTable":{"%RETRY%G@G":{"0":1},"T@G":{"0":12,"1":7}}}`
	if string(data) != want {
		t.Fatalf("file\n%s\nwant\n%s", data, want)
	}
	// Not dirty: no write (the file's mtime and content stay; remove it to
	// see).
	os.Remove(path)
	if err := o.Persist(path); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("clean table written")
	}
	// Committing the same value is not a change.
	o.Commit("G", "T", 0, 12)
	if o.Dirty() {
		t.Fatal("same value made it dirty")
	}
	o.Commit("G", "T", 0, 13)
	if err := o.Persist(path); err != nil {
		t.Fatal(err)
	}
	o.Commit("G", "T", 0, 14)
	if err := o.Persist(path); err != nil {
		t.Fatal(err)
	}
	// The previous version is the .bak.
	bak, err := os.ReadFile(path + BakSuffix)
	if err != nil || !strings.Contains(string(bak), `"0":13`) {
		t.Fatalf("bak %s %v", bak, err)
	}

	o2 := NewOffsets(cfg)
	if err := o2.Load(path); err != nil {
		t.Fatal(err)
	}
	if o2.Dirty() {
		t.Fatal("dirty after load")
	}
	if !maps.EqualFunc(o2.Table(), o.Table(), func(a, b map[int32]int64) bool { return maps.Equal(a, b) }) {
		t.Fatalf("loaded %v, want %v", o2.Table(), o.Table())
	}
}

func TestOffsetsLoadMissing(t *testing.T) {
	o := NewOffsets(testConfig(newFakeClock()))
	o.Commit("G", "T", 0, 1)
	if err := o.Load(filepath.Join(t.TempDir(), "consumerOffset.json")); err != nil {
		t.Fatal(err)
	}
	if len(o.Table()) != 0 {
		t.Fatal("missing file did not give an empty table")
	}
}

// A Java broker's file: fastjson, pretty-printed, bare int keys.
const javaOffsets = `{
	"offsetTable":{
		"TopicTest@please_rename_unique_group_name_4":{0:250,1:249,2:250,3:251
		},
		"%RETRY%please_rename_unique_group_name_4@please_rename_unique_group_name_4":{0:0
		}
	}
}`

func TestOffsetsLoadFastJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "consumerOffset.json")
	if err := os.WriteFile(path, []byte(javaOffsets), 0o644); err != nil {
		t.Fatal(err)
	}
	o := NewOffsets(testConfig(newFakeClock()))
	if err := o.Load(path); err != nil {
		t.Fatal(err)
	}
	g := "please_rename_unique_group_name_4"
	if m := o.QueryTopic(g, "TopicTest"); !maps.Equal(m, map[int32]int64{0: 250, 1: 249, 2: 250, 3: 251}) {
		t.Fatalf("TopicTest %v", m)
	}
	if off, ok := o.Query(g, "%RETRY%"+g, 0); !ok || off != 0 {
		t.Fatal("retry offset")
	}
}

func TestOffsetsBakFallback(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "consumerOffset.json")
	good := `{"offsetTable":{"T@G":{0:5}}}`
	cfg := testConfig(newFakeClock())

	for _, tc := range []struct {
		name string
		main *string // nil: no file
	}{
		{"corrupt", ptr(`{"offsetTable":{"T@G":{0:`)},
		{"empty", ptr("")},
		{"missing", nil},
		{"wrong shape", ptr(`{"offsetTable":[1,2]}`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			os.Remove(path)
			if tc.main != nil {
				os.WriteFile(path, []byte(*tc.main), 0o644)
			}
			os.WriteFile(path+BakSuffix, []byte(good), 0o644)
			o := NewOffsets(cfg)
			if err := o.Load(path); err != nil {
				t.Fatal(err)
			}
			if off, ok := o.Query("G", "T", 0); !ok || off != 5 {
				t.Fatal("bak not loaded")
			}
			// The next write must not turn the corrupt file into the .bak.
			o.Commit("G", "T", 0, 6)
			if err := o.Persist(path); err != nil {
				t.Fatal(err)
			}
			if b, _ := os.ReadFile(path + BakSuffix); string(b) != good {
				t.Fatalf("bak replaced by %q", b)
			}
			o.Commit("G", "T", 0, 7)
			if err := o.Persist(path); err != nil {
				t.Fatal(err)
			}
			if b, _ := os.ReadFile(path + BakSuffix); !strings.Contains(string(b), `"0":6`) {
				t.Fatalf("second write: bak %q", b)
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestOffsetsCorruptWithoutBak(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "consumerOffset.json")
	os.WriteFile(path, []byte("{not json"), 0o644)
	o := NewOffsets(testConfig(newFakeClock()))
	o.Commit("G", "T", 0, 1)
	err := o.Load(path)
	if !errors.Is(err, ErrCorruptFile) || !strings.Contains(err.Error(), path) {
		t.Fatalf("err %v", err)
	}
	if _, ok := o.Query("G", "T", 0); !ok {
		t.Fatal("table changed by a failed load")
	}
	// A corrupt .bak too: both named.
	os.WriteFile(path+BakSuffix, []byte("[1"), 0o644)
	err = o.Load(path)
	if !errors.Is(err, ErrCorruptFile) || !strings.Contains(err.Error(), path+BakSuffix) {
		t.Fatalf("err %v", err)
	}
	// Only a corrupt .bak.
	os.Remove(path)
	err = o.Load(path)
	if !errors.Is(err, ErrCorruptFile) || !strings.Contains(err.Error(), path+BakSuffix) {
		t.Fatalf("err %v", err)
	}
}

func TestOffsetsMalformedKeySkipped(t *testing.T) {
	path := filepath.Join(t.TempDir(), "consumerOffset.json")
	os.WriteFile(path, []byte(`{"offsetTable":{"noSeparator":{"0":1},"T@G":{"1":2},"A@B@C":{"0":3}}}`), 0o644)
	o := NewOffsets(testConfig(newFakeClock()))
	if err := o.Load(path); err != nil {
		t.Fatal(err)
	}
	tab := o.Table()
	if len(tab) != 2 || tab["T@G"][1] != 2 || tab["A@B@C"][0] != 3 {
		t.Fatalf("table %v", tab)
	}
}

func TestOffsetsCommitDoesNotAllocate(t *testing.T) {
	o := NewOffsets(testConfig(newFakeClock()))
	o.Commit("GroupName", "TopicName", 3, 0)
	var i int64
	n := testing.AllocsPerRun(1000, func() {
		i++
		o.Commit("GroupName", "TopicName", 3, i)
		_, _ = o.Query("GroupName", "TopicName", 3)
	})
	if n != 0 {
		t.Fatalf("%v allocations", n)
	}
}
