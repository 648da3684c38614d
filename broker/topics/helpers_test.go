package topics

import (
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quivermq/quiver/protocol"
)

// testClock returns a clock that advances one millisecond per call from a
// fixed start, so DataVersion timestamps are predictable and distinct.
func testClock() func() time.Time {
	var n atomic.Int64
	start := time.UnixMilli(1_700_000_000_000)
	return func() time.Time { return start.Add(time.Duration(n.Add(1)) * time.Millisecond) }
}

func testOptions(t testing.TB, dir string) Options {
	t.Helper()
	o := DefaultOptions("broker-a")
	if dir != "" {
		o.Path = filepath.Join(dir, "config", "topics.json")
	}
	o.Clock = testClock()
	o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	return o
}

func newManager(t testing.TB, o Options) *Manager {
	t.Helper()
	m, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// wantCode checks that err is an *Error with the response code and kind.
func wantCode(t *testing.T, err error, code protocol.ResponseCode, kind error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v (%T), want *topics.Error with code %d", err, err, code)
	}
	if e.ResponseCode() != code || e.Code() != int32(code) {
		t.Fatalf("code = %d, want %d (remark %q)", e.Code(), code, e.Remark())
	}
	if !errors.Is(err, kind) {
		t.Fatalf("err = %v, want kind %v", err, kind)
	}
	gotCode, remark := protocol.ResponseFor(err)
	if gotCode != code || remark != e.Remark() || remark == "" {
		t.Fatalf("protocol.ResponseFor = %d %q, want %d %q", gotCode, remark, code, e.Remark())
	}
	return e
}
