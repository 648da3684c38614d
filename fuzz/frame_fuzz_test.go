package fuzz

import (
	"bytes"
	"errors"
	"testing"

	"github.com/quivermq/quiver/protocol"
)

// maxFrames are the frame limits FuzzFrameSplitter picks from: the default
// (0 → 16 MiB) and small ones that fuzz inputs can exceed.
var maxFrames = [...]int{0, 16, 64, 400, 1 << 10}

// splitResult is what splitting a byte stream into frames produced.
type splitResult struct {
	frames [][]byte // whole frames, prefix included, in stream order
	stop   int      // stream offset where splitting stopped (after the last frame, or at the bad one)
	err    error    // the error at stop, if any
}

// splitWhole splits a stream that is all there, the reference for
// splitChunked.
func splitWhole(t *testing.T, stream []byte, maxFrame int) splitResult {
	var res splitResult
	for {
		rest := stream[res.stop:]
		n, err := protocol.SplitFrame(rest, maxFrame)
		checkSplit(t, rest, n, err)
		if err != nil {
			res.err = err
			return res
		}
		if n == 0 {
			return res
		}
		res.frames = append(res.frames, rest[:n])
		res.stop += n
	}
}

// splitChunked feeds stream to an accumulating buffer chunk by chunk, the
// way an event loop handles reads: append what arrived, split off and
// consume every whole frame, keep the partial tail, compact. Chunk sizes
// cycle through sizes; a 0 is a read that brought nothing.
func splitChunked(t *testing.T, stream, sizes []byte, maxFrame int) splitResult {
	var res splitResult
	sum := 0
	for _, s := range sizes {
		sum += int(s)
	}
	if sum == 0 {
		sizes = []byte{1}
	}
	buf := make([]byte, 0, 64) // grows like an inbound buffer
	fed := 0
	for k := 0; fed < len(stream); k++ {
		size := min(int(sizes[k%len(sizes)]), len(stream)-fed)
		buf = append(buf, stream[fed:fed+size]...)
		fed += size
		consumed := 0
		for {
			rest := buf[consumed:]
			n, err := protocol.SplitFrame(rest, maxFrame)
			checkSplit(t, rest, n, err)
			if err != nil {
				// The connection is closed: nothing more is read.
				res.stop += consumed
				res.err = err
				return res
			}
			if n == 0 {
				break
			}
			res.frames = append(res.frames, bytes.Clone(rest[:n]))
			consumed += n
		}
		if consumed > 0 {
			res.stop += consumed
			buf = append(buf[:0], buf[consumed:]...)
		}
	}
	if len(buf) != len(stream)-res.stop {
		t.Fatalf("chunked: %d bytes buffered, want %d", len(buf), len(stream)-res.stop)
	}
	return res
}

// checkSplit asserts SplitFrame's contract for one call on buf.
func checkSplit(t *testing.T, buf []byte, n int, err error) {
	switch {
	case err != nil && n != 0:
		t.Fatalf("SplitFrame returned n=%d with error %v", n, err)
	case err != nil && !errorsIsAny(err, protocol.ErrFrameNegative, protocol.ErrFrameTooLarge,
		protocol.ErrFrameTooShort, protocol.ErrSerializeType, protocol.ErrHeaderLength):
		t.Fatalf("SplitFrame returned an undocumented error %v", err)
	case err != nil && len(buf) < 4:
		t.Fatalf("SplitFrame failed with %v on %d bytes, before the length prefix is complete", err, len(buf))
	case n < 0 || n > len(buf):
		t.Fatalf("SplitFrame claimed a %d-byte frame in a %d-byte buffer", n, len(buf))
	case n > 0 && n < 8:
		t.Fatalf("SplitFrame claimed a %d-byte frame, shorter than prefix and header word", n)
	}
}

// FuzzFrameSplitter feeds a byte stream to protocol.SplitFrame in chunks
// cut at sizes taken from the second argument, as the event loop does, and
// asserts:
//   - SplitFrame never claims more than the buffer, nor less than 8 bytes,
//     and fails only with its documented errors;
//   - the frames found are byte for byte those found splitting the whole
//     stream at once, and an error stops splitting at the same stream
//     offset with the same error, whatever the chunking;
//   - the valid prefix (the frames before the stop) re-splits into the same
//     frames with no error and no remainder;
//   - every frame SplitFrame accepts passes Decode's framing checks (it may
//     still fail on its header) and its body is a view inside the frame.
func FuzzFrameSplitter(f *testing.F) {
	frames := clientGoFrames(f)
	both := append(append([]byte(nil), frames[0]...), frames[1]...)
	f.Add(frames[0], []byte{1}, uint8(0))
	f.Add(frames[1], []byte{3, 5, 0, 200}, uint8(0))
	f.Add(both, []byte{7}, uint8(0))
	f.Add(both, []byte{255}, uint8(4))
	f.Add(both, []byte{4, 4, 0, 1}, uint8(3))
	f.Add(append(both, frames[0][:100]...), []byte{9, 2}, uint8(0)) // ends inside a frame
	// Minimal frames: empty JSON header "{}" and an 8-byte frame.
	f.Add([]byte("\x00\x00\x00\x06\x00\x00\x00\x02{}\x00\x00\x00\x04\x01\x00\x00\x00"), []byte{1, 2, 3}, uint8(1))
	// Bad prefixes and header words after a good frame.
	f.Add(append(append([]byte(nil), frames[1]...), 0xFF, 0xFF, 0xFF, 0xFF), []byte{2}, uint8(0))          // negative
	f.Add(append(append([]byte(nil), frames[1]...), 0x01, 0x00, 0x00, 0x01), []byte{16}, uint8(0))         // > 16 MiB
	f.Add(append(append([]byte(nil), frames[1]...), 0x00, 0x00, 0x00, 0x03), []byte{5}, uint8(0))          // too short
	f.Add(append(append([]byte(nil), frames[1]...), 0, 0, 0, 8, 2, 0, 0, 0), []byte{1}, uint8(0))          // serialize type 2
	f.Add(append(append([]byte(nil), frames[1]...), 0, 0, 0, 8, 0, 0, 0, 5, 1, 2, 3), []byte{6}, uint8(0)) // header past frame
	f.Add(frames[0], []byte{11}, uint8(2))                                                                 // over a small limit

	f.Fuzz(func(t *testing.T, stream, sizes []byte, limitSel uint8) {
		maxFrame := maxFrames[int(limitSel)%len(maxFrames)]
		whole := splitWhole(t, stream, maxFrame)
		chunked := splitChunked(t, stream, sizes, maxFrame)

		if len(chunked.frames) != len(whole.frames) {
			t.Fatalf("chunked split found %d frames, whole split %d", len(chunked.frames), len(whole.frames))
		}
		for i := range whole.frames {
			if !bytes.Equal(chunked.frames[i], whole.frames[i]) {
				t.Fatalf("frame %d differs under chunking:\n got %x\nwant %x", i, chunked.frames[i], whole.frames[i])
			}
		}
		if chunked.stop != whole.stop || !errors.Is(chunked.err, whole.err) || (chunked.err == nil) != (whole.err == nil) {
			t.Fatalf("chunked split stopped at %d with %v, whole split at %d with %v",
				chunked.stop, chunked.err, whole.stop, whole.err)
		}

		// The valid prefix re-splits into the same frames, with nothing left.
		again := splitWhole(t, stream[:whole.stop], maxFrame)
		if again.err != nil || again.stop != whole.stop || len(again.frames) != len(whole.frames) {
			t.Fatalf("valid prefix of %d bytes re-split: %d frames, stop %d, err %v; want %d frames",
				whole.stop, len(again.frames), again.stop, again.err, len(whole.frames))
		}

		// Decode agrees with SplitFrame on the framing.
		dec := protocol.Decoder{Limits: protocol.Limits{MaxFrame: maxFrame}}
		var cmd protocol.Command
		for i, fr := range whole.frames {
			err := dec.Decode(fr, &cmd)
			if errorsIsAny(err, protocol.ErrFrameNegative, protocol.ErrFrameTooLarge, protocol.ErrFrameTooShort,
				protocol.ErrFrameLength, protocol.ErrSerializeType, protocol.ErrHeaderLength) {
				t.Fatalf("frame %d: SplitFrame accepted it but Decode rejects its framing: %v", i, err)
			}
			if err != nil && !errorsIsAny(err, decodeErrors...) {
				t.Fatalf("frame %d: Decode returned an undocumented error %v", i, err)
			}
			if err == nil && !within(cmd.Body, fr) {
				t.Fatalf("frame %d: body is not a view of the frame", i)
			}
		}
	})
}
