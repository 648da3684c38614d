package netio

import (
	"sync"

	"github.com/quivermq/quiver/protocol"
)

// iovMax is the most iovecs passed to one writev (UIO_MAXIOV on Linux and
// the BSDs; gnet's eventloop_unix.go iovMax). Longer batches take several
// writev calls.
const iovMax = 1024

// maxRetainedBuf is the largest encode buffer kept for reuse; a batch that
// grew past it (a reply with a large inline body) drops its buffer. Pooled
// buffers go when the pool is cleared, within two GC cycles of disuse.
// NB: 4 MiB, not less: a client pipelining 64 batches of 32 1 KiB messages
// queues about 2 MiB per writev, and at 1 MiB the buffer was dropped and
// grown again for every writev: growslice was 27% of bench/producer's CPU
// profile (-m async -b 32; 3.2 µs of producer CPU per message at 1 MiB,
// 1.2 µs at 4 MiB).
const maxRetainedBuf = 4 << 20

// outFrame is one frame to send. With parted false, cmd is encoded whole
// (header and cmd.Body, copied). With parted true, cmd's header is encoded
// with a length that counts parts, and parts are written after it as they
// are, without a copy; cmd.Body is ignored.
type outFrame struct {
	cmd    *protocol.Command
	parts  [][]byte
	done   func(error)
	parted bool
	reply  bool // a reply (counted in RepliesOut), else a request
}

// outBatch accumulates frames for one writev: encoded commands and headers
// back to back in buf, and borrowed parts that go between them. Every frame
// puts at least its header in buf, so an empty buf means an empty batch.
//
// An outBatch is not safe for concurrent use; its owner (an event loop, or
// whoever holds the mutex of the queue it sits in) serializes access.
type outBatch struct {
	buf      []byte
	parts    []partRef
	dones    []func(error)
	bytes    int // len(buf) plus the parts' lengths
	replies  int
	requests int
}

// partRef is a borrowed part written after buf[:at].
type partRef struct {
	at int
	b  []byte
}

// add encodes f into b. On error b is unchanged and f.done is not called.
func (b *outBatch) add(f *outFrame) error {
	start := len(b.buf)
	var err error
	if !f.parted {
		b.buf, err = protocol.AppendCommand(b.buf, f.cmd)
	} else {
		n := 0
		for _, p := range f.parts {
			n += len(p)
		}
		b.buf, err = protocol.AppendHeader(b.buf, f.cmd, n)
		if err == nil {
			for _, p := range f.parts {
				if len(p) > 0 {
					b.parts = append(b.parts, partRef{at: len(b.buf), b: p})
				}
			}
			b.bytes += n
		}
	}
	if err != nil {
		return err
	}
	b.bytes += len(b.buf) - start
	if f.done != nil {
		b.dones = append(b.dones, f.done)
	}
	if f.reply {
		b.replies++
	} else {
		b.requests++
	}
	return nil
}

func (b *outBatch) empty() bool { return len(b.buf) == 0 }

// appendIovecs appends b's bytes as iovecs to dst, in frame order: runs of
// buf between parts are one iovec each, so whole-command replies encoded
// back to back cost one iovec together.
func (b *outBatch) appendIovecs(dst [][]byte) [][]byte {
	prev := 0
	for _, p := range b.parts {
		if p.at > prev {
			dst = append(dst, b.buf[prev:p.at])
			prev = p.at
		}
		dst = append(dst, p.b)
	}
	if len(b.buf) > prev {
		dst = append(dst, b.buf[prev:])
	}
	return dst
}

// finish calls every done callback with err (nil: the bytes were handed to
// the kernel or copied into gnet's outbound buffer) and empties b.
func (b *outBatch) finish(err error) {
	dones := b.dones
	b.reset()
	for i, d := range dones {
		dones[i] = nil
		d(err)
	}
}

// reset empties b, dropping references to borrowed parts and an oversized
// buffer.
func (b *outBatch) reset() {
	if cap(b.buf) > maxRetainedBuf {
		b.buf = nil
	} else {
		b.buf = b.buf[:0]
	}
	clear(b.parts)
	b.parts = b.parts[:0]
	b.dones = b.dones[:0]
	b.bytes, b.replies, b.requests = 0, 0, 0
}

var batchPool = sync.Pool{New: func() any { return new(outBatch) }}

func getBatch() *outBatch { return batchPool.Get().(*outBatch) }

// putBatch returns a finished (empty) batch to the pool.
func putBatch(b *outBatch) {
	b.reset()
	batchPool.Put(b)
}
