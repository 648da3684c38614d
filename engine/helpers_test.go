package engine

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/quivermq/quiver/engine/commitlog"
	"github.com/quivermq/quiver/engine/vfs"
	"github.com/quivermq/quiver/message"
)

// testConfig is a small, fast store configuration: 1 MiB segments, small
// consume-queue and index files, quick checkpoints.
func testConfig(fs vfs.FS, dir string, flush commitlog.FlushMode) Config {
	c := DefaultConfig()
	c.Dir = dir
	c.FS = fs
	c.CommitLog.SegmentSize = 1 << 20
	c.CommitLog.FlushMode = flush
	c.CommitLog.FlushInterval = 10 * time.Millisecond
	c.CommitLog.NoWarm = true
	c.ConsumeQueue.EntriesPerFile = 1000
	c.Index.MaxHashSlots = 64
	c.Index.MaxIndexNum = 4096
	c.CheckpointInterval = 50 * time.Millisecond
	c.DispatchPoll = 20 * time.Millisecond
	c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	c.Index.Logger = c.Logger
	return c
}

func mustOpen(t testing.TB, cfg Config) *Store {
	t.Helper()
	s, err := Open(cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func mustClose(t testing.TB, s *Store) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// msgBody is the deterministic body of message i of (topic, qid).
func msgBody(topic string, qid int32, i int64, n int) []byte {
	b := make([]byte, n)
	copy(b, fmt.Sprintf("%s/%d/%d/", topic, qid, i))
	return b
}

// fields builds a message; tags and keys may be empty.
func fields(topic string, qid int32, body []byte, tags, keys, uniq string) *message.Fields {
	var props []byte
	if tags != "" {
		props = message.AppendProperty(props, message.PropertyTags, tags)
	}
	if keys != "" {
		props = message.AppendProperty(props, message.PropertyKeys, keys)
	}
	if uniq != "" {
		props = message.AppendProperty(props, message.PropertyUniqKey, uniq)
	}
	return &message.Fields{
		Version: message.V1, QueueID: qid, Topic: []byte(topic), Body: body, Properties: props,
		BornTimestamp: 1700000000000, BornHost: message.Host{Port: 1}, StoreHost: message.Host{Port: 10911},
	}
}

// waitDispatched waits until the dispatcher caught up with the log.
func waitDispatched(t testing.TB, s *Store) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.DispatchLag() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("dispatch lag %d after 10s (err %v)", s.DispatchLag(), s.DispatchErr())
		}
		time.Sleep(time.Millisecond)
	}
}

// readQueue pulls (topic, qid) from 0 to the end and returns the bodies.
func readQueue(t testing.TB, s *Store, topic string, qid int32) [][]byte {
	t.Helper()
	var out [][]byte
	off := int64(0)
	for {
		r, err := s.GetMessages(topic, qid, off, 32, 1<<20, nil)
		if err != nil {
			t.Fatalf("GetMessages: %v", err)
		}
		if r.Status != Found {
			st := r.Status
			r.Release()
			if st == OffsetOverflowOne || st == NoMessageInQueue {
				return out
			}
			t.Fatalf("GetMessages(%s,%d,%d): %v", topic, qid, off, st)
		}
		for i, rec := range r.Records {
			if rec.QueueOffset() != r.QueueOffsets[i] {
				t.Fatalf("record queue offset %d, entry %d", rec.QueueOffset(), r.QueueOffsets[i])
			}
			out = append(out, bytes.Clone(rec.Body()))
		}
		off = r.NextBeginOffset
		r.Release()
	}
}
