package namesrv

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sync"

	"github.com/quivermq/quiver/internal/fileutil"
	"github.com/quivermq/quiver/protocol"
)

// NamespaceOrderTopicConfig is the KV namespace of order-topic configs
// (NamesrvUtil.NAMESPACE_ORDER_TOPIC_CONFIG): key topic, value
// "brokerA:4;brokerB:4".
const NamespaceOrderTopicConfig = "ORDER_TOPIC_CONFIG"

// kvFile is the persisted form, Java's KVConfigSerializeWrapper (format,
// never change):
//
//	{"configTable":{"namespace":{"key":"value",...},...}}
type kvFile struct {
	ConfigTable map[string]map[string]string `json:"configTable"`
}

// kvStore is the KV config (KVConfigManager): namespace → key → value, in
// memory, persisted whole to one JSON file after every change.
//
// Changes are visible to readers at once; the PUT or DELETE that made one
// is answered only after a write of the file that contains it has been
// fsynced. The writes are done by one persister goroutine (event loops
// never touch the disk): it takes every waiting answer, snapshots the
// table, writes it with fileutil.WriteAtomic, and answers them all, so a
// burst of changes costs one write.
type kvStore struct {
	path string // "" keeps the table in memory only
	log  *slog.Logger

	mu    sync.RWMutex
	table map[string]map[string]string

	pmu     sync.Mutex // guards waiters; a leaf lock
	waiters []func(error)
	kick    chan struct{} // capacity 1: there are waiters
	stop    chan struct{}
	done    chan struct{}
}

// newKVStore loads path (a missing file is an empty table).
func newKVStore(path string, log *slog.Logger) (*kvStore, error) {
	kv := &kvStore{
		path:  path,
		log:   log,
		table: make(map[string]map[string]string),
		kick:  make(chan struct{}, 1),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	if path == "" {
		return kv, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return kv, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKVConfigFile, err)
	}
	if len(data) == 0 {
		return kv, nil
	}
	var f kvFile
	if err := protocol.UnmarshalBody(data, &f); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrKVConfigFile, path, err)
	}
	n := 0
	for ns, m := range f.ConfigTable {
		if len(m) == 0 {
			continue
		}
		kv.table[ns] = m
		n += len(m)
	}
	log.Info("namesrv: KV config loaded", "path", path, "namespaces", len(kv.table), "entries", n)
	return kv, nil
}

// start runs the persister.
func (kv *kvStore) start() { go kv.persistLoop() }

// close stops the persister after it has answered every waiter; call it
// after the server stopped taking requests. Only after start.
func (kv *kvStore) close() {
	close(kv.stop)
	<-kv.done
}

func (kv *kvStore) put(ns, key, value string) {
	kv.mu.Lock()
	m := kv.table[ns]
	if m == nil {
		m = make(map[string]string)
		kv.table[ns] = m
	}
	m[key] = value
	kv.mu.Unlock()
}

// delete removes a key and reports whether it existed.
func (kv *kvStore) delete(ns, key string) bool {
	kv.mu.Lock()
	defer kv.mu.Unlock()
	m := kv.table[ns]
	if _, ok := m[key]; !ok {
		return false
	}
	delete(m, key)
	if len(m) == 0 {
		delete(kv.table, ns)
	}
	return true
}

func (kv *kvStore) get(ns, key string) (string, bool) {
	kv.mu.RLock()
	defer kv.mu.RUnlock()
	v, ok := kv.table[ns][key]
	return v, ok
}

// list returns a copy of namespace ns, nil if it is empty.
func (kv *kvStore) list(ns string) map[string]string {
	kv.mu.RLock()
	defer kv.mu.RUnlock()
	m := kv.table[ns]
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// persist arranges for answer to be called once the table as it is now is
// on disk (with the write error, if any). With no file, or before start,
// answer is called at once.
func (kv *kvStore) persist(answer func(error)) {
	if kv.path == "" {
		answer(nil)
		return
	}
	kv.pmu.Lock()
	kv.waiters = append(kv.waiters, answer)
	kv.pmu.Unlock()
	select {
	case kv.kick <- struct{}{}:
	default:
	}
}

func (kv *kvStore) persistLoop() {
	defer close(kv.done)
	for {
		select {
		case <-kv.kick:
			kv.flush()
		case <-kv.stop:
			kv.flush()
			return
		}
	}
}

// flush writes the table for the waiters present and answers them.
//
// NB: the waiters are taken before the snapshot: a change whose waiter is
// taken was made before persist queued it, hence before the snapshot, so
// the file written contains it. A change made after the snapshot has its
// waiter queued after the take and is answered by the next flush.
func (kv *kvStore) flush() {
	kv.pmu.Lock()
	ws := kv.waiters
	kv.waiters = nil
	kv.pmu.Unlock()
	if len(ws) == 0 {
		return
	}
	data, err := kv.snapshot()
	if err == nil {
		err = fileutil.WriteAtomic(kv.path, data, 0o644)
	}
	if err != nil {
		kv.log.Error("namesrv: cannot persist KV config", "path", kv.path, "err", err)
	}
	for _, w := range ws {
		w(err)
	}
}

// snapshot encodes the table, namespaces and keys in sorted order.
func (kv *kvStore) snapshot() ([]byte, error) {
	kv.mu.RLock()
	defer kv.mu.RUnlock()
	// encoding/json sorts map keys; the file is indented for operators.
	f := kvFile{ConfigTable: kv.table}
	return json.MarshalIndent(f, "", "  ")
}
