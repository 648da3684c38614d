package topics

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"

	"github.com/quivermq/quiver/internal/fileutil"
	"github.com/quivermq/quiver/protocol"
)

// bakSuffix names the previous version of the file (MixAll.string2File).
const bakSuffix = ".bak"

// Load merges the file at Options.Path over the table: stored topics
// replace those of the same name (system topics included, as Java's putAll
// does) and the stored DataVersion becomes the table's. Call it once,
// after New and before serving.
//
// Like Java's ConfigManager: a missing or empty file reads the .bak
// instead, and a file that does not parse is logged and the .bak read
// instead; no file and no .bak is an empty table. Unlike Java, when the
// file does not parse and the .bak is missing or does not parse too, Load
// returns an error wrapping ErrCorrupt that names the file, rather than
// starting with the topics lost. Other read errors are returned as they
// are. Stored names that fail ValidateTopic are skipped with a warning.
func (m *Manager) Load() error {
	if m.opts.Path == "" {
		return nil
	}
	m.persistMu.Lock()
	defer m.persistMu.Unlock()

	name := m.opts.Path
	data, err := readConfig(name)
	if err != nil {
		return err
	}
	var mainErr error
	if data != nil {
		w, derr := decodeFile(data)
		if derr == nil {
			m.apply(name, w, data, true)
			return nil
		}
		mainErr = fmt.Errorf("%w: %s: %w", ErrCorrupt, name, derr)
		m.log.Error("topic config file does not parse; trying the backup", "file", name, "err", derr)
	}

	bak := name + bakSuffix
	bdata, err := readConfig(bak)
	if err != nil {
		if mainErr != nil {
			return errors.Join(mainErr, err)
		}
		return err
	}
	if bdata == nil {
		if mainErr != nil {
			return fmt.Errorf("%w (no usable %s)", mainErr, bak)
		}
		return nil // a new broker
	}
	w, derr := decodeFile(bdata)
	if derr != nil {
		err := fmt.Errorf("%w: %s: %w", ErrCorrupt, bak, derr)
		if mainErr != nil {
			return errors.Join(mainErr, err)
		}
		return err
	}
	m.log.Warn("loaded topic config from the backup file", "file", bak)
	m.apply(bak, w, bdata, false)
	return nil
}

// readConfig returns the file's content, or nil when it is missing or
// holds only white space.
func readConfig(name string) ([]byte, error) {
	data, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("topics: load %s: %w", name, err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	return data, nil
}

// decodeFile parses a topics.json (fastjson's output included; unknown
// fields ignored).
func decodeFile(data []byte) (*protocol.TopicConfigSerializeWrapper, error) {
	w := new(protocol.TopicConfigSerializeWrapper)
	if err := protocol.UnmarshalBody(data, w); err != nil {
		return nil, err
	}
	return w, nil
}

// apply merges a decoded file into the table. fromMain says the content
// came from the file itself rather than its .bak (which leaves the file to
// be rewritten by the next Persist).
//
// REQUIRES: m.persistMu held.
func (m *Manager) apply(file string, w *protocol.TopicConfigSerializeWrapper, data []byte, fromMain bool) {
	m.mu.Lock()
	cur := m.snap.Load()
	table := maps.Clone(cur.table)
	loaded := make(map[string]protocol.TopicConfig, len(w.TopicConfigTable))
	for name, cfg := range w.TopicConfigTable {
		if _, known := cur.table[name]; !known {
			if err := ValidateTopic(name); err != nil {
				m.log.Warn("skipping stored topic with an invalid name", "file", file, "topic", name, "err", err)
				continue
			}
		}
		if cfg.TopicName != name {
			m.log.Warn("stored topic config names another topic; using the table key",
				"file", file, "key", name, "topicName", cfg.TopicName)
			cfg.TopicName = name
		}
		if cfg.TopicFilterType != protocol.TopicFilterSingleTag && cfg.TopicFilterType != protocol.TopicFilterMultiTag {
			m.log.Warn("stored topic has an unknown filter type; using SINGLE_TAG",
				"file", file, "topic", name, "topicFilterType", cfg.TopicFilterType)
			cfg.TopicFilterType = protocol.TopicFilterSingleTag
		}
		table[name] = cfg
		loaded[name] = cfg
	}
	version := cur.version
	if w.DataVersion != (protocol.DataVersion{}) {
		version = w.DataVersion
	}
	s := &snapshot{table: table, version: version}
	m.snap.Store(s)
	m.mu.Unlock()

	m.lastGood = data
	m.persisted = nil
	if fromMain && version == w.DataVersion && maps.Equal(table, loaded) && maps.Equal(w.TopicConfigTable, loaded) {
		m.persisted = s // the file already says exactly this
	}
	m.log.Info("loaded topic config", "file", file, "topics", len(loaded), "counter", version.Counter)
}

// Persist writes the table to Options.Path if it changed since the last
// write or load: the previous content (when it is known to parse) goes to
// the .bak, then the file is replaced atomically. Safe to call at any time,
// from any goroutine; concurrent calls write in turn and the file ends with
// the newest table.
func (m *Manager) Persist() error {
	if m.opts.Path == "" {
		return nil
	}
	m.persistMu.Lock()
	defer m.persistMu.Unlock()
	s := m.snap.Load()
	if s == m.persisted {
		return nil
	}
	data, err := encodeFile(s)
	if err != nil {
		return err
	}
	name := m.opts.Path
	if m.lastGood != nil && !bytes.Equal(m.lastGood, data) {
		if err := fileutil.WriteAtomic(name+bakSuffix, m.lastGood, 0o644); err != nil {
			return fmt.Errorf("topics: persist: %w", err)
		}
	}
	if err := fileutil.WriteAtomic(name, data, 0o644); err != nil {
		return fmt.Errorf("topics: persist: %w", err)
	}
	m.persisted, m.lastGood = s, data
	return nil
}

// encodeFile renders s as topics.json: tab-indented like Java's pretty
// fastjson, topics in name order.
func encodeFile(s *snapshot) ([]byte, error) {
	compact, err := protocol.MarshalBody(protocol.TopicConfigSerializeWrapper{
		DataVersion:      s.version,
		TopicConfigTable: s.table,
	})
	if err != nil {
		return nil, fmt.Errorf("topics: encode: %w", err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, compact, "", "\t"); err != nil {
		return nil, fmt.Errorf("topics: encode: %w", err)
	}
	return out.Bytes(), nil
}
