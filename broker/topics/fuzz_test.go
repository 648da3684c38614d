package topics

import (
	"maps"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds arbitrary topics.json content to Load's decode and merge
// (in memory). Invariants: no panic; only valid names besides the start-up
// topics; what Persist would write loads back to the same table.
func FuzzLoad(f *testing.F) {
	for _, name := range []string{"topics-java-4.9.4.json", "topics-java-5.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"topicConfigTable":{"a/b":{},"T":null,"U":{"perm":-1,"readQueueNums":-5}}}`))
	f.Add([]byte(`{"dataVersion":{"counter":1},"topicConfigTable":{1:{"topicName":"x"}}}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"topicConfigTable":{"T":{"topicFilterType":"X","order":true}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m := newManager(t, testOptions(t, "")) // in memory: no disk per input
		start := m.All().TopicConfigTable
		w, err := decodeFile(data)
		if err != nil {
			return
		}
		m.persistMu.Lock()
		m.apply("fuzz", w, data, true)
		m.persistMu.Unlock()
		for name, cfg := range m.All().TopicConfigTable {
			if _, ok := start[name]; !ok && ValidateTopic(name) != nil {
				t.Fatalf("loaded invalid name %q", name)
			}
			if cfg.TopicName != name {
				t.Fatalf("key %q holds %q", name, cfg.TopicName)
			}
		}
		out, err := encodeFile(m.snap.Load())
		if err != nil {
			t.Fatal(err)
		}
		w2, err := decodeFile(out)
		if err != nil {
			t.Fatalf("own output does not decode: %v\n%s", err, out)
		}
		m2 := newManager(t, testOptions(t, ""))
		m2.persistMu.Lock()
		m2.apply("fuzz", w2, out, true)
		m2.persistMu.Unlock()
		a, b := m.All(), m2.All()
		if a.DataVersion != b.DataVersion || !maps.Equal(a.TopicConfigTable, b.TopicConfigTable) {
			t.Fatalf("round trip changed the table:\n%+v\n%+v", a, b)
		}
	})
}
