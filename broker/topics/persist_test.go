package topics

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quivermq/quiver/protocol"
)

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func writeFile(t *testing.T, name string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestPersistLoadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	o := testOptions(t, dir)
	m := newManager(t, o)
	if err := m.Load(); err != nil { // nothing there: empty
		t.Fatal(err)
	}
	if _, err := os.Stat(o.Path); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("Load created the file")
	}
	cfgs := []protocol.TopicConfig{
		{TopicName: "TopicTest", ReadQueueNums: 4, WriteQueueNums: 4, Perm: 6, TopicFilterType: "SINGLE_TAG"},
		{TopicName: "Ordered", ReadQueueNums: 2, WriteQueueNums: 1, Perm: 4, TopicFilterType: "MULTI_TAG", TopicSysFlag: 3, Order: true},
	}
	for _, c := range cfgs {
		if err := m.CreateOrUpdate(c); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := m.CreateRetryTopicIfAbsent("%RETRY%g", 1, 6, 2); err != nil {
		t.Fatal(err)
	}

	// The file is valid standard JSON in RocketMQ's shape.
	data := readFile(t, o.Path)
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatalf("file is not JSON: %v\n%s", err, data)
	}
	if _, ok := raw["dataVersion"]; !ok || raw["topicConfigTable"] == nil || len(raw) != 2 {
		t.Fatalf("file keys: %s", data)
	}
	if !bytes.Contains(data, []byte("\n\t\"topicConfigTable\"")) {
		t.Fatalf("not tab-indented:\n%s", data)
	}

	m2 := newManager(t, o)
	if err := m2.Load(); err != nil {
		t.Fatal(err)
	}
	a, b := m.All(), m2.All()
	if a.DataVersion != b.DataVersion || len(a.TopicConfigTable) != len(b.TopicConfigTable) {
		t.Fatalf("reloaded %+v, want %+v", b, a)
	}
	for name, cfg := range a.TopicConfigTable {
		if b.TopicConfigTable[name] != cfg {
			t.Errorf("%s: reloaded %+v, want %+v", name, b.TopicConfigTable[name], cfg)
		}
	}
	// Loaded exactly what it would write: nothing to persist.
	st := statFile(t, o.Path)
	if err := m2.Persist(); err != nil {
		t.Fatal(err)
	}
	if !statFile(t, o.Path).ModTime().Equal(st.ModTime()) || !bytes.Equal(readFile(t, o.Path), data) {
		t.Fatal("Persist rewrote an unchanged table")
	}
}

func statFile(t *testing.T, name string) os.FileInfo {
	t.Helper()
	st, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestPersistOnlyWhenChangedAndBak(t *testing.T) {
	dir := t.TempDir()
	o := testOptions(t, dir)
	o.DeferPersist = true
	m := newManager(t, o)
	if err := m.CreateOrUpdate(protocol.TopicConfig{TopicName: "A", ReadQueueNums: 1, WriteQueueNums: 1, Perm: 6}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(o.Path); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("DeferPersist: a mutation wrote the file")
	}
	if err := m.Persist(); err != nil {
		t.Fatal(err)
	}
	first := readFile(t, o.Path)
	if _, err := os.Stat(o.Path + ".bak"); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("first write made a .bak")
	}
	if err := os.Remove(o.Path); err != nil { // unchanged table: not rewritten
		t.Fatal(err)
	}
	if err := m.Persist(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(o.Path); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("Persist wrote an unchanged table")
	}
	writeFile(t, o.Path, first)

	if err := m.CreateOrUpdate(protocol.TopicConfig{TopicName: "B", ReadQueueNums: 1, WriteQueueNums: 1, Perm: 6}); err != nil {
		t.Fatal(err)
	}
	if err := m.Persist(); err != nil {
		t.Fatal(err)
	}
	second := readFile(t, o.Path)
	if !bytes.Equal(readFile(t, o.Path+".bak"), first) {
		t.Fatal(".bak does not hold the previous content")
	}
	if !bytes.Contains(second, []byte(`"B"`)) || bytes.Contains(first, []byte(`"B"`)) {
		t.Fatal("contents")
	}
	// No temporary files left behind.
	entries, err := os.ReadDir(filepath.Dir(o.Path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Fatalf("config dir holds %d entries", len(entries))
	}
}

// TestLoadJavaFile reads a topics.json as Java 4.9.4 writes it (fastjson,
// pretty format) and one from 5.x (attributes, stateVersion).
func TestLoadJavaFile(t *testing.T) {
	dir := t.TempDir()
	o := testOptions(t, dir)
	writeFile(t, o.Path, readFile(t, filepath.Join("testdata", "topics-java-4.9.4.json")))
	m := newManager(t, o)
	if err := m.Load(); err != nil {
		t.Fatal(err)
	}
	if v := m.DataVersion(); v.Counter != 7 || v.Timestamp != 1636355958169 {
		t.Fatalf("DataVersion = %+v", v)
	}
	want := map[string]protocol.TopicConfig{
		"TopicTest": {TopicName: "TopicTest", ReadQueueNums: 4, WriteQueueNums: 4, Perm: 6, TopicFilterType: "SINGLE_TAG"},
		"%RETRY%please_rename_unique_group_name_4": {TopicName: "%RETRY%please_rename_unique_group_name_4", ReadQueueNums: 1, WriteQueueNums: 1, Perm: 6, TopicFilterType: "SINGLE_TAG"},
		"ReadOnly":            {TopicName: "ReadOnly", ReadQueueNums: 2, WriteQueueNums: 2, Perm: 4, TopicFilterType: "SINGLE_TAG"},
		"SCHEDULE_TOPIC_XXXX": {TopicName: "SCHEDULE_TOPIC_XXXX", ReadQueueNums: 18, WriteQueueNums: 18, Perm: 6, TopicFilterType: "SINGLE_TAG"},
		"TBW102":              {TopicName: "TBW102", ReadQueueNums: 8, WriteQueueNums: 8, Perm: 7, TopicFilterType: "SINGLE_TAG"},
	}
	for name, w := range want {
		if got, ok := m.Get(name); !ok || got != w {
			t.Errorf("%s = %+v %t, want %+v", name, got, ok, w)
		}
	}
	// The file holds every start-up topic as New makes it, so the merged
	// table is the file's and there is nothing to write.
	if m.Len() != 11 {
		t.Fatalf("Len = %d, want 11: %v", m.Len(), m.All().TopicConfigTable)
	}
	if err := m.Persist(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(o.Path + ".bak"); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("Persist rewrote a table equal to the file")
	}

	// 5.x: unknown fields ignored; a stored TBW102 overrides the start-up one.
	dir5 := t.TempDir()
	o5 := testOptions(t, dir5)
	o5.DefaultQueueNums = 16
	writeFile(t, o5.Path, readFile(t, filepath.Join("testdata", "topics-java-5.json")))
	m5 := newManager(t, o5)
	if err := m5.Load(); err != nil {
		t.Fatal(err)
	}
	if v := m5.DataVersion(); v.Counter != 3 || v.Timestamp != 1670616895921 {
		t.Fatalf("5.x DataVersion = %+v", v)
	}
	if cfg, _ := m5.Get("TopicTest"); cfg.WriteQueueNums != 8 || cfg.Perm != 6 {
		t.Fatalf("5.x TopicTest = %+v", cfg)
	}
	if cfg, _ := m5.Get("TBW102"); cfg.WriteQueueNums != 8 {
		t.Fatalf("stored TBW102 not kept: %+v", cfg)
	}
	if _, ok := m5.Get("SELF_TEST_TOPIC"); !ok {
		t.Fatal("start-up topic lost by the merge")
	}
	// The merged table differs from the file, so Persist writes it.
	if err := m5.Persist(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(readFile(t, o5.Path), []byte("SELF_TEST_TOPIC")) {
		t.Fatal("merged table not persisted")
	}
	if !bytes.Contains(readFile(t, o5.Path+".bak"), []byte(`"attributes"`)) {
		t.Fatal(".bak does not hold the Java file")
	}
}

func TestLoadBakFallback(t *testing.T) {
	good := []byte(`{"dataVersion":{"counter":5,"timestamp":1000},"topicConfigTable":{"Good":{"topicName":"Good","readQueueNums":2,"writeQueueNums":2,"perm":6}}}`)
	corrupt := []byte(`{"dataVersion":{"counter":6,"timestamp":2000},"topicConfigTable":{"Good":{"topicName":"Go`)
	tests := []struct {
		name      string
		main, bak []byte // nil = absent
		wantErr   bool
		wantGood  bool
	}{
		{"corrupt main, good bak", corrupt, good, false, true},
		{"missing main, good bak", nil, good, false, true},
		{"empty main, good bak", []byte(" \n"), good, false, true},
		{"missing both", nil, nil, false, false},
		{"corrupt main, no bak", corrupt, nil, true, false},
		{"corrupt main, corrupt bak", corrupt, corrupt, true, false},
		{"missing main, corrupt bak", nil, corrupt, true, false},
		{"not an object", []byte(`[1,2]`), nil, true, false},
		{"wrong types", []byte(`{"topicConfigTable":{"T":{"perm":"six"}}}`), good, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := testOptions(t, t.TempDir())
			if tt.main != nil {
				writeFile(t, o.Path, tt.main)
			}
			if tt.bak != nil {
				writeFile(t, o.Path+".bak", tt.bak)
			}
			m := newManager(t, o)
			err := m.Load()
			if tt.wantErr {
				if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "topics.json") {
					t.Fatalf("Load = %v, want ErrCorrupt naming the file", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			_, ok := m.Get("Good")
			if ok != tt.wantGood {
				t.Fatalf("Good present = %t", ok)
			}
			if !tt.wantGood {
				return
			}
			if v := m.DataVersion(); v.Counter != 5 {
				t.Fatalf("version %+v", v)
			}
			// Persist rewrites a bad or missing file at once, keeping
			// the good backup.
			if err := m.Persist(); err != nil {
				t.Fatal(err)
			}
			rewritten := readFile(t, o.Path)
			if _, err := decodeFile(rewritten); err != nil {
				t.Fatalf("file still bad after Persist: %v", err)
			}
			if !bytes.Equal(readFile(t, o.Path+".bak"), good) {
				t.Fatalf(".bak = %s", readFile(t, o.Path+".bak"))
			}
			// The next write moves the rewritten file to the .bak.
			if err := m.CreateOrUpdate(protocol.TopicConfig{TopicName: "New", ReadQueueNums: 1, WriteQueueNums: 1, Perm: 6}); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(readFile(t, o.Path+".bak"), rewritten) {
				t.Fatalf(".bak = %s", readFile(t, o.Path+".bak"))
			}
			m2 := newManager(t, o)
			if err := m2.Load(); err != nil {
				t.Fatal(err)
			}
			if _, ok := m2.Get("New"); !ok {
				t.Fatal("new topic not persisted")
			}
		})
	}
}

func TestLoadSkipsBadEntries(t *testing.T) {
	o := testOptions(t, t.TempDir())
	writeFile(t, o.Path, []byte(`{"dataVersion":{"counter":1,"timestamp":1},"topicConfigTable":{
		"../../etc":{"topicName":"../../etc","readQueueNums":1,"writeQueueNums":1,"perm":6},
		"a/b":{"readQueueNums":1},
		"Key":{"topicName":"Other","readQueueNums":3,"writeQueueNums":3,"perm":6,"topicFilterType":"BOGUS"},
		"Nulled":null,
		"broker-a":{"topicName":"broker-a","readQueueNums":1,"writeQueueNums":1,"perm":1}}}`))
	m := newManager(t, o)
	if err := m.Load(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"../../etc", "a/b", "Other"} {
		if _, ok := m.Get(bad); ok {
			t.Errorf("%q loaded", bad)
		}
	}
	if cfg, _ := m.Get("Key"); cfg.TopicName != "Key" || cfg.TopicFilterType != "SINGLE_TAG" || cfg.WriteQueueNums != 3 {
		t.Errorf("Key = %+v", cfg)
	}
	if cfg, ok := m.Get("Nulled"); !ok || cfg.TopicName != "Nulled" || cfg.WriteQueueNums != 16 {
		t.Errorf("Nulled = %+v %t", cfg, ok)
	}
	if cfg, _ := m.Get("broker-a"); cfg.Perm != 1 {
		t.Errorf("stored broker topic perm not kept: %+v", cfg)
	}
}

func TestLoadReadError(t *testing.T) {
	o := testOptions(t, t.TempDir())
	if err := os.MkdirAll(o.Path, 0o755); err != nil { // a directory where the file should be
		t.Fatal(err)
	}
	m := newManager(t, o)
	if err := m.Load(); err == nil || errors.Is(err, ErrCorrupt) {
		t.Fatalf("Load = %v, want a read error", err)
	}
}

func TestInMemoryOnly(t *testing.T) {
	m := newManager(t, testOptions(t, ""))
	if err := m.Load(); err != nil {
		t.Fatal(err)
	}
	if err := m.CreateOrUpdate(protocol.TopicConfig{TopicName: "A", ReadQueueNums: 1, WriteQueueNums: 1, Perm: 6}); err != nil {
		t.Fatal(err)
	}
	if err := m.Persist(); err != nil {
		t.Fatal(err)
	}
}
