package protocol

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// codecFrame builds a frame around a header as any sender does.
func codecFrame(st SerializeType, header, body []byte) []byte {
	f := binary.BigEndian.AppendUint32(nil, uint32(4+len(header)+len(body)))
	f = binary.BigEndian.AppendUint32(f, uint32(st)<<24|uint32(len(header)))
	f = append(f, header...)
	return append(f, body...)
}

// codecEqual reports how a and b differ ("" if they do not). nil and
// empty slices are equal.
func codecEqual(a, b *Command) string {
	switch {
	case a.Code != b.Code:
		return fmt.Sprintf("code %d != %d", a.Code, b.Code)
	case a.Language != b.Language:
		return fmt.Sprintf("language %d != %d", a.Language, b.Language)
	case a.Version != b.Version:
		return fmt.Sprintf("version %d != %d", a.Version, b.Version)
	case a.Opaque != b.Opaque:
		return fmt.Sprintf("opaque %d != %d", a.Opaque, b.Opaque)
	case a.Flag != b.Flag:
		return fmt.Sprintf("flag %d != %d", a.Flag, b.Flag)
	case !bytes.Equal(a.Remark, b.Remark):
		return fmt.Sprintf("remark %q != %q", a.Remark, b.Remark)
	case a.Serialize != b.Serialize:
		return fmt.Sprintf("serialize %v != %v", a.Serialize, b.Serialize)
	case !bytes.Equal(a.Body, b.Body):
		return fmt.Sprintf("body of %d bytes != %d bytes", len(a.Body), len(b.Body))
	case a.Ext.Len() != b.Ext.Len():
		return fmt.Sprintf("ext len %d != %d", a.Ext.Len(), b.Ext.Len())
	}
	for i := 0; i < a.Ext.Len(); i++ {
		ak, av := a.Ext.At(i)
		bk, bv := b.Ext.At(i)
		if !bytes.Equal(ak, bk) || !bytes.Equal(av, bv) {
			return fmt.Sprintf("ext %d: %q=%q != %q=%q", i, ak, av, bk, bv)
		}
	}
	return ""
}

func TestSplitFrame(t *testing.T) {
	good := codecFrame(SerializeJSON, []byte(`{"code":1}`), []byte("body"))
	two := append(append([]byte(nil), good...), good...)
	for _, tc := range []struct {
		name string
		buf  []byte
		max  int
		n    int
		err  error
	}{
		{"empty", nil, 0, 0, nil},
		{"3 bytes", good[:3], 0, 0, nil},
		{"prefix only", good[:4], 0, 0, nil},
		{"prefix and word", good[:8], 0, 0, nil},
		{"all but one", good[:len(good)-1], 0, 0, nil},
		{"whole", good, 0, len(good), nil},
		{"two frames", two, 0, len(good), nil},
		{"two frames, second partial", two[:len(two)-1], 0, len(good), nil},
		{"negative", []byte{0x80, 0, 0, 0}, 0, 0, ErrFrameNegative},
		{"-1", []byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}, 0, 0, ErrFrameNegative},
		{"2 GiB", []byte{0x7f, 0xff, 0xff, 0xff}, 0, 0, ErrFrameTooLarge},
		{"just over default", binary.BigEndian.AppendUint32(nil, 16<<20+1), 0, 0, ErrFrameTooLarge},
		{"default max ok", binary.BigEndian.AppendUint32(nil, 16<<20), 0, 0, nil},
		{"over custom max", good, len(good) - 5, 0, ErrFrameTooLarge},
		{"custom max ok", good, len(good) - 4, len(good), nil},
		{"total 0", []byte{0, 0, 0, 0}, 0, 0, ErrFrameTooShort},
		{"total 3", []byte{0, 0, 0, 3, 0, 0, 0}, 0, 0, ErrFrameTooShort},
		{"total 4 empty header", []byte{0, 0, 0, 4, 0, 0, 0, 0}, 0, 8, nil},
		{"unknown serialize type", []byte{0, 0, 0, 8, 2, 0, 0, 1}, 0, 0, ErrSerializeType},
		{"serialize type 0xff", []byte{0, 0, 0, 8, 0xff, 0, 0, 1}, 0, 0, ErrSerializeType},
		{"header past frame", []byte{0, 0, 0, 8, 0, 0, 0, 5}, 0, 0, ErrHeaderLength},
		{"header 16M in small frame", []byte{0, 0, 0, 8, 1, 0xff, 0xff, 0xff}, 0, 0, ErrHeaderLength},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := SplitFrame(tc.buf, tc.max)
			if n != tc.n || !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
				t.Fatalf("SplitFrame = %d, %v; want %d, %v", n, err, tc.n, tc.err)
			}
		})
	}
}

func TestSplitFrameNoAllocs(t *testing.T) {
	bufs := [][]byte{
		codecFrame(SerializeJSON, []byte(`{}`), make([]byte, 1024)),
		{0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0},
		{0xff, 0xff, 0xff, 0xff},
	}
	if a := testing.AllocsPerRun(100, func() {
		for _, b := range bufs {
			_, _ = SplitFrame(b, 0)
		}
	}); a != 0 {
		t.Fatalf("SplitFrame allocates %v times", a)
	}
}

func TestDecodeMalformedFrames(t *testing.T) {
	hdr := []byte(`{"code":1}`)
	good := codecFrame(SerializeJSON, hdr, nil)
	mod := func(f func(b []byte) []byte) []byte {
		return f(append([]byte(nil), good...))
	}
	for _, tc := range []struct {
		name  string
		frame []byte
		err   error
	}{
		{"empty", nil, ErrFrameTooShort},
		{"7 bytes", good[:7], ErrFrameTooShort},
		{"negative", mod(func(b []byte) []byte { b[0] = 0x80; return b }), ErrFrameNegative},
		{"2 GiB prefix", mod(func(b []byte) []byte { b[0] = 0x7f; return b }), ErrFrameTooLarge},
		{"prefix short of bytes", mod(func(b []byte) []byte { return b[:len(b)-1] }), ErrFrameLength},
		{"prefix past bytes", mod(func(b []byte) []byte { return append(b, 0) }), ErrFrameLength},
		{"total 3", []byte{0, 0, 0, 3, 0, 0, 0, 0}[:7], ErrFrameTooShort},
		{"header past frame", mod(func(b []byte) []byte { b[7]++; return b }), ErrHeaderLength},
		{"header 16M", mod(func(b []byte) []byte { b[5], b[6], b[7] = 0xff, 0xff, 0xff; return b }), ErrHeaderLength},
		{"serialize type 2", mod(func(b []byte) []byte { b[4] = 2; return b }), ErrSerializeType},
		{"serialize type 0x80", mod(func(b []byte) []byte { b[4] = 0x80; return b }), ErrSerializeType},
		{"JSON header read as ROCKETMQ", mod(func(b []byte) []byte { b[4] = 1; return b }), ErrHeaderTruncated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var d Decoder
			var c Command
			if err := d.Decode(tc.frame, &c); !errors.Is(err, tc.err) {
				t.Fatalf("Decode = %v, want %v", err, tc.err)
			}
		})
	}
}

// TestDecodeClaimsDoNotAllocate feeds frames and headers that claim huge
// sizes and checks that nothing near the claimed size is allocated.
func TestDecodeClaimsDoNotAllocate(t *testing.T) {
	rmq := func(remarkLen, extLen uint32, rest ...byte) []byte {
		h := []byte{0, 10, 9, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0}
		h = binary.BigEndian.AppendUint32(h, remarkLen)
		if remarkLen == 0 {
			h = binary.BigEndian.AppendUint32(h, extLen)
		}
		return codecFrame(SerializeRocketMQ, append(h, rest...), nil)
	}
	cases := map[string][]byte{
		"2 GiB frame":            {0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0},
		"remark 2 GiB":           rmq(0x7fffffff, 0),
		"remark negative":        rmq(0x80000000, 0),
		"remark 1 MiB":           rmq(1<<20, 0),
		"ext block 2 GiB":        rmq(0, 0x7fffffff),
		"ext block negative":     rmq(0, 0xffffffff),
		"ext value 2 GiB":        rmq(0, 8, 0, 1, 'k', 0x7f, 0xff, 0xff, 0xff, 'v'),
		"ext value negative":     rmq(0, 8, 0, 1, 'k', 0xff, 0xff, 0xff, 0xff, 'v'),
		"ext key negative":       rmq(0, 8, 0xff, 0xff, 'k', 0, 0, 0, 1, 'v'),
		"ext key 32K":            rmq(0, 8, 0x7f, 0xff, 'k', 0, 0, 0, 1, 'v'),
		"JSON header past frame": {0, 0, 0, 8, 0, 0xff, 0xff, 0xff},
	}
	for name, frame := range cases {
		t.Run(name, func(t *testing.T) {
			var d Decoder
			var c Command
			if err := d.Decode(frame, &c); err == nil {
				t.Fatal("Decode accepted it")
			}
			allocs := testing.AllocsPerRun(50, func() {
				_, _ = SplitFrame(frame, 0)
				_ = d.Decode(frame, &c)
			})
			if allocs != 0 {
				t.Fatalf("%v allocations", allocs)
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for i := 0; i < 10; i++ {
				_, _ = SplitFrame(frame, 0)
				_ = d.Decode(frame, &c)
			}
			runtime.ReadMemStats(&after)
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<10 {
				t.Fatalf("allocated %d bytes", grew)
			}
		})
	}
}

// TestDecodeTruncatedPrefixes decodes every prefix of valid frames, with
// the length prefix fixed up, and every byte-flip of them: no panic.
func TestDecodeTruncatedPrefixes(t *testing.T) {
	var frames [][]byte
	for _, st := range []SerializeType{SerializeJSON, SerializeRocketMQ} {
		c := codecSamples()[3]
		c.Serialize = st
		f, err := AppendCommand(nil, c)
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, f)
	}
	var d Decoder
	var c Command
	for _, f := range frames {
		hl := int(binary.BigEndian.Uint32(f[4:]) & 0xffffff)
		for n := 0; n < hl; n++ {
			g := codecFrame(SerializeType(f[4]), f[8:8+n], nil)
			if err := d.Decode(g, &c); err == nil {
				t.Fatalf("prefix %d of %q decoded", n, f[8:8+hl])
			}
		}
		for i := 8; i < 8+hl; i++ {
			for _, x := range []byte{0x01, 0x80, 0xff} {
				g := append([]byte(nil), f...)
				g[i] ^= x
				_ = d.Decode(g, &c) // must not panic
			}
		}
	}
}

// codecSamples are commands that must survive both encodings unchanged.
func codecSamples() []*Command {
	var out []*Command
	add := func(f func(c *Command)) {
		c := &Command{Language: LangJava, Version: CurrentVersion}
		f(c)
		out = append(out, c)
	}
	add(func(c *Command) {})
	add(func(c *Command) { c.Code = 10; c.Opaque = 1; c.Ext.AddString("k", "v") })
	add(func(c *Command) {
		c.Code = 1
		c.Flag = FlagResponse
		c.Opaque = -7
		c.SetRemark("boom")
	})
	add(func(c *Command) {
		c.Code = 10
		c.Language = LangGo
		c.Version = 317
		c.Opaque = 1 << 30
		c.Ext.AddString("producerGroup", "PG")
		c.Ext.AddString("topic", "TopicTest")
		c.Ext.AddString("properties", "UNIQ_KEY\x01ABC\x02TAGS\x01tagA\x02")
		c.Ext.AddString("empty", "")
		c.Body = []byte("hello")
	})
	add(func(c *Command) {
		c.Code = 0x7fff
		c.Version = -1
		c.Opaque = -1 << 31
		c.Flag = -1
		c.SetRemark("quote \" backslash \\ slash / controls \b\f\n\r\t \x00\x01\x1f\x7f end")
		c.Ext.AddString("ünïcödé ключ", "世界 😀 \u2028\u2029 <&>")
		c.Ext.AddString("ctl\x00key", "\x02\x01")
	})
	add(func(c *Command) {
		c.Code = -0x8000
		c.Language = LangNodeJS
		c.SetRemark("invalid utf-8 \xff\xfe passes through")
		c.Ext.AddString("bin", "\xc3\x28\xa0\xa1")
	})
	add(func(c *Command) {
		c.Code = 11
		c.Language = LangOther
		for i := 0; i < 200; i++ {
			c.Ext.AddString(fmt.Sprintf("key%03d", i), strings.Repeat("v", i))
		}
		c.Body = bytes.Repeat([]byte{0, 1, 2, 0xff}, 1<<18) // 1 MiB
	})
	add(func(c *Command) {
		c.Code = 12
		c.SetRemark(strings.Repeat("r\n", 20000))
		c.Ext.AddString("big", strings.Repeat("\x01x", 20000))
	})
	return out
}

func TestRoundTrip(t *testing.T) {
	for _, st := range []SerializeType{SerializeJSON, SerializeRocketMQ} {
		for i, want := range codecSamples() {
			t.Run(fmt.Sprintf("%v/%d", st, i), func(t *testing.T) {
				want.Serialize = st
				prefix := []byte("junk")
				f, err := AppendCommand(prefix, want)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(f[:4], prefix) {
					t.Fatal("AppendCommand overwrote dst")
				}
				f = f[4:]
				n, err := SplitFrame(f, 0)
				if err != nil || n != len(f) {
					t.Fatalf("SplitFrame = %d, %v; want %d", n, err, len(f))
				}
				var d Decoder
				var got Command
				if err := d.Decode(f, &got); err != nil {
					t.Fatalf("Decode: %v\n%q", err, f[8:min(len(f), 300)])
				}
				if diff := codecEqual(&got, want); diff != "" {
					t.Fatal(diff)
				}
				// Re-encoding the decoded command gives the same bytes.
				g, err := AppendCommand(nil, &got)
				if err != nil || !bytes.Equal(g, f) {
					t.Fatalf("re-encode differs: %v", err)
				}
				// AppendHeader + body equals AppendCommand.
				h, err := AppendHeader(nil, want, len(want.Body))
				if err != nil || !bytes.Equal(append(h, want.Body...), f) {
					t.Fatalf("AppendHeader+body differs: %v", err)
				}
			})
		}
	}
}

func TestDecodeReusesCommand(t *testing.T) {
	var d Decoder
	var c Command
	cmds := codecSamples()
	for round := 0; round < 3; round++ {
		for _, st := range []SerializeType{SerializeJSON, SerializeRocketMQ} {
			for _, want := range cmds {
				want.Serialize = st
				f, err := AppendCommand(nil, want)
				if err != nil {
					t.Fatal(err)
				}
				if err := d.Decode(f, &c); err != nil {
					t.Fatal(err)
				}
				if diff := codecEqual(&c, want); diff != "" {
					t.Fatal(diff)
				}
			}
		}
	}
}

// TestRemarkNotAliased: a decoded remark must not alias the frame, since
// Reset and SetRemark reuse the remark buffer.
func TestRemarkNotAliased(t *testing.T) {
	for _, st := range []SerializeType{SerializeJSON, SerializeRocketMQ} {
		src := &Command{Serialize: st}
		src.SetRemark("the remark")
		f, _ := AppendCommand(nil, src)
		orig := append([]byte(nil), f...)
		var d Decoder
		var c Command
		if err := d.Decode(f, &c); err != nil {
			t.Fatal(err)
		}
		c.Reset()
		c.SetRemark("XXXXXXXXXX")
		if !bytes.Equal(f, orig) {
			t.Fatalf("%v: SetRemark after decode wrote into the frame", st)
		}
	}
}

func TestAppendHeaderErrors(t *testing.T) {
	dst := []byte("keep")
	c := &Command{Code: 0x8000, Serialize: SerializeRocketMQ}
	out, err := AppendCommand(dst, c)
	if !errors.Is(err, ErrCodeRange) || string(out) != "keep" {
		t.Fatalf("code 0x8000 in ROCKETMQ: %q, %v", out, err)
	}
	c.Code = -0x8001
	if _, err := AppendCommand(nil, c); !errors.Is(err, ErrCodeRange) {
		t.Fatalf("code -0x8001: %v", err)
	}
	c.Serialize = SerializeJSON // JSON carries 32-bit codes
	if _, err := AppendCommand(nil, c); err != nil {
		t.Fatal(err)
	}
	c.Serialize = 7
	if out, err := AppendCommand(dst, c); !errors.Is(err, ErrSerializeType) || string(out) != "keep" {
		t.Fatalf("serialize 7: %q, %v", out, err)
	}
	c.Serialize = SerializeJSON
	if out, err := AppendHeader(dst, c, 1<<31); !errors.Is(err, ErrEncodeFrameTooLarge) || string(out) != "keep" {
		t.Fatalf("2 GiB body: %q, %v", out, err)
	}
	if _, err := AppendHeader(dst, c, -1); !errors.Is(err, ErrEncodeFrameTooLarge) {
		t.Fatalf("negative body: %v", err)
	}
	c.Ext.AddString(strings.Repeat("k", 1<<15), "v")
	c.Serialize = SerializeRocketMQ
	c.Code = 1
	if _, err := AppendCommand(nil, c); !errors.Is(err, ErrExtKeyEncode) {
		t.Fatalf("32 KiB key: %v", err)
	}
	c.Ext.Reset()
	c.Ext.Add("v", bytes.Repeat([]byte("a"), 1<<24))
	for _, st := range []SerializeType{SerializeJSON, SerializeRocketMQ} {
		c.Serialize = st
		if out, err := AppendCommand(dst, c); !errors.Is(err, ErrHeaderTooLarge) || string(out) != "keep" {
			t.Fatalf("%v 16 MiB header: %v", st, err)
		}
	}
}

func TestAppendHeaderBodyLen(t *testing.T) {
	c := &Command{Code: 0, Flag: FlagResponse, Serialize: SerializeJSON}
	h, err := AppendHeader(nil, c, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if total := binary.BigEndian.Uint32(h); int(total) != len(h)-4+1000 {
		t.Fatalf("total %d, header frame %d", total, len(h))
	}
	f := append(h, make([]byte, 1000)...)
	n, err := SplitFrame(f, 0)
	if err != nil || n != len(f) {
		t.Fatalf("SplitFrame = %d, %v", n, err)
	}
	var d Decoder
	var got Command
	if err := d.Decode(f, &got); err != nil || len(got.Body) != 1000 {
		t.Fatalf("Decode: %v, body %d", err, len(got.Body))
	}
}

func TestDecoderLimits(t *testing.T) {
	mk := func(f func(c *Command)) *Command {
		c := &Command{}
		f(c)
		return c
	}
	lim := Limits{MaxFrame: 4096, MaxRemark: 10, MaxExtFields: 3, MaxExtKey: 5, MaxExtValue: 8}
	for _, tc := range []struct {
		name string
		c    *Command
		err  error
	}{
		{"remark at limit", mk(func(c *Command) { c.SetRemark("0123456789") }), nil},
		{"remark over", mk(func(c *Command) { c.SetRemark("0123456789a") }), ErrRemarkTooLarge},
		{"escaped remark over", mk(func(c *Command) { c.SetRemark("\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01") }), ErrRemarkTooLarge},
		{"escaped remark at limit", mk(func(c *Command) { c.SetRemark("\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01") }), nil},
		{"fields at limit", mk(func(c *Command) { c.Ext.AddString("a", ""); c.Ext.AddString("b", ""); c.Ext.AddString("c", "") }), nil},
		{"fields over", mk(func(c *Command) {
			c.Ext.AddString("a", "")
			c.Ext.AddString("b", "")
			c.Ext.AddString("c", "")
			c.Ext.AddString("d", "")
		}), ErrTooManyExtFields},
		{"key at limit", mk(func(c *Command) { c.Ext.AddString("12345", "") }), nil},
		{"key over", mk(func(c *Command) { c.Ext.AddString("123456", "") }), ErrExtKeyTooLarge},
		{"escaped key over", mk(func(c *Command) { c.Ext.AddString("\"\"\"\"\"\"", "") }), ErrExtKeyTooLarge},
		{"value at limit", mk(func(c *Command) { c.Ext.AddString("k", "12345678") }), nil},
		{"value over", mk(func(c *Command) { c.Ext.AddString("k", "123456789") }), ErrExtValueTooLarge},
		{"escaped value over", mk(func(c *Command) { c.Ext.AddString("k", "\n\n\n\n\n\n\n\n\n") }), ErrExtValueTooLarge},
		{"frame over", mk(func(c *Command) { c.Body = make([]byte, 4096) }), ErrFrameTooLarge},
	} {
		for _, st := range []SerializeType{SerializeJSON, SerializeRocketMQ} {
			t.Run(fmt.Sprintf("%s/%v", tc.name, st), func(t *testing.T) {
				tc.c.Serialize = st
				f, err := AppendCommand(nil, tc.c)
				if err != nil {
					t.Fatal(err)
				}
				d := Decoder{Limits: lim}
				var got Command
				if err := d.Decode(f, &got); !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) {
					t.Fatalf("Decode = %v, want %v", err, tc.err)
				}
			})
		}
	}
}

func TestLimitsDefaults(t *testing.T) {
	if got := (Limits{}).withDefaults(); got != DefaultLimits() {
		t.Fatalf("zero Limits = %+v", got)
	}
	if got := (Limits{MaxRemark: -1, MaxExtKey: 7}).withDefaults(); got.MaxRemark != 64<<10 || got.MaxExtKey != 7 {
		t.Fatalf("partial Limits = %+v", got)
	}
}

// TestBodyCapacityEndsWithFrame: appending to a decoded body must not write
// into the bytes after the frame (the next frame in a read buffer).
func TestBodyCapacityEndsWithFrame(t *testing.T) {
	var c Command
	c.NewRequest(SendMessage)
	c.Body = []byte("first")
	stream, err := AppendCommand(nil, &c)
	if err != nil {
		t.Fatal(err)
	}
	stream, _ = AppendCommand(stream, &c)
	n, err := SplitFrame(stream, 0)
	if err != nil || n == 0 {
		t.Fatalf("SplitFrame = %d, %v", n, err)
	}
	var dec Decoder
	var got Command
	if err := dec.Decode(stream[:n], &got); err != nil {
		t.Fatal(err)
	}
	_ = append(got.Body, "XXXXXXXX"...)
	if err := dec.Decode(stream[n:], &got); err != nil || string(got.Body) != "first" {
		t.Fatalf("second frame after append to first body: %v, body %q", err, got.Body)
	}
}
