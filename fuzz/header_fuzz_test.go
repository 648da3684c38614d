package fuzz

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"testing"
	"unicode/utf8"

	"github.com/quivermq/quiver/protocol"
)

// tightLimits makes every Decoder limit reachable with small fuzz inputs.
var tightLimits = protocol.Limits{MaxFrame: 1 << 12, MaxRemark: 8, MaxExtFields: 4, MaxExtKey: 6, MaxExtValue: 10}

// header is a decoded remoting header in plain values, for comparisons:
// a protocol.Command aliases its frame and arena.
type header struct {
	Code      int32
	Language  protocol.LanguageCode
	Version   int16
	Opaque    int32
	Flag      int32
	Remark    string
	Ext       []string // key, value, key, value, ... in order
	Serialize protocol.SerializeType
	Body      string
}

func snapshot(c *protocol.Command) header {
	h := header{
		Code: c.Code, Language: c.Language, Version: c.Version, Opaque: c.Opaque, Flag: c.Flag,
		Remark: string(c.Remark), Serialize: c.Serialize, Body: string(c.Body),
	}
	for i := 0; i < c.Ext.Len(); i++ {
		k, v := c.Ext.At(i)
		h.Ext = append(h.Ext, string(k), string(v))
	}
	return h
}

func (h header) String() string {
	return fmt.Sprintf("{code %d lang %d version %d opaque %d flag %d remark %q ext %q serialize %v body %q}",
		h.Code, h.Language, h.Version, h.Opaque, h.Flag, h.Remark, h.Ext, h.Serialize, h.Body)
}

// checkHeaderRoundTrip is the body of FuzzJSONHeader and FuzzRocketMQHeader.
// It returns the decoded header, or ok=false when the frame was rejected.
func checkHeaderRoundTrip(t *testing.T, st protocol.SerializeType, hdr, body []byte) (header, bool) {
	frame := buildFrame(byte(st), hdr, body)
	var dec protocol.Decoder
	if allocCheckDue() {
		checkAllocBound(t, "Decode", len(frame), func() {
			// A fresh Command: a warm one would hide growth of its buffers.
			c := new(protocol.Command)
			_ = dec.Decode(frame, c)
			allocSink = c
		})
		allocSink = nil
	}

	var c1 protocol.Command
	if err := dec.Decode(frame, &c1); err != nil {
		if !errorsIsAny(err, decodeErrors...) {
			t.Fatalf("Decode returned an undocumented error %v", err)
		}
		return header{}, false
	}
	h1 := snapshot(&c1)
	if h1.Serialize != st {
		t.Fatalf("decoded serialize type %v, frame has %v", h1.Serialize, st)
	}
	if h1.Body != string(body) || (len(body) == 0) != (c1.Body == nil) {
		t.Fatalf("decoded body %q, frame has %q", h1.Body, body)
	}
	if !within(c1.Body, frame) {
		t.Fatalf("body is not a view of the frame")
	}
	for i := 0; i < c1.Ext.Len(); i++ {
		k, v := c1.Ext.At(i)
		if cap(k) != len(k) || cap(v) != len(v) {
			t.Fatalf("ext field %d: key or value has spare capacity (%d/%d, %d/%d): appending to it would overwrite what follows",
				i, len(k), cap(k), len(v), cap(v))
		}
	}

	// Re-encode, decode again: the same header.
	enc1, err := protocol.AppendCommand(nil, &c1)
	if err != nil {
		t.Fatalf("re-encoding decoded header %v: %v", h1, err)
	}
	var c2 protocol.Command
	if err := dec.Decode(enc1, &c2); err != nil {
		t.Fatalf("decoding the re-encoded header: %v\nheader %v\nframe %q", err, h1, enc1)
	}
	if h2 := snapshot(&c2); !reflect.DeepEqual(h1, h2) {
		t.Fatalf("decode(encode(decode(x))) differs:\n got %v\nwant %v", h2, h1)
	}
	// One round reaches the fixed point.
	enc2, err := protocol.AppendCommand(nil, &c2)
	if err != nil {
		t.Fatalf("re-encoding the second decode: %v", err)
	}
	if !bytes.Equal(enc2, enc1) {
		t.Fatalf("encode is not a fixed point after one round:\nround 1 %q\nround 2 %q", enc1, enc2)
	}
	// AppendCommand appends: a non-empty dst keeps its bytes.
	pre := []byte("prefix")
	if enc3, _ := protocol.AppendCommand(pre, &c1); !bytes.Equal(enc3[:len(pre)], pre) || !bytes.Equal(enc3[len(pre):], enc1) {
		t.Fatalf("AppendCommand onto a non-empty dst differs")
	}
	// The encoder's output is canonical: re-encoding it is byte-identical.
	if bytes.Equal(frame, enc1) {
		return h1, true
	}
	if st == protocol.SerializeRocketMQ {
		// Every field of a ROCKETMQ header has exactly one encoding, and the
		// decoder accepts no trailing bytes, so every accepted frame is
		// canonical.
		t.Fatalf("ROCKETMQ frame accepted but not reproduced by re-encoding:\ninput %x\n got  %x", frame, enc1)
	}
	return h1, true
}

// FuzzJSONHeader builds a frame (serialize type 0) around arbitrary header
// bytes and a body, decodes it and asserts:
//   - no panic; errors are the documented ones; decoding allocates less
//     than 64 KiB + 8 bytes per input byte (checked every 64th input);
//   - a decoded header re-encodes, decodes to equal fields (code, language,
//     version, opaque, flag, remark, ext fields in order, body), and the
//     encoding is a fixed point after one round;
//   - the encoder's output is valid JSON that encoding/json reads back to
//     the same values;
//   - against a reference decoder built on encoding/json that applies
//     the documented rules (sequential keys, null handling, language by
//     name or number, non-string ext values as their literal text): every
//     header the reference accepts is accepted with the same values unless
//     a documented limit applies, and a header of plain valid JSON (UTF-8,
//     no control bytes) that the reference rejects is rejected. This runs
//     with the default and with tight limits.
func FuzzJSONHeader(f *testing.F) {
	for _, fr := range clientGoFrames(f) {
		// The body does not matter to the header decoder; a short piece of
		// it keeps inputs small for the minimizer.
		_, hdr, body := splitFrameParts(f, fr)
		f.Add(hdr, body[:min(len(body), 16)])
	}
	seeds := []string{
		`{"code":34,"language":"GO","version":317,"opaque":1,"flag":0,"remark":"","extFields":{"k":"v"}}`,
		`{"code":0,"extFields":{"a":"b"},"flag":1,"language":"JAVA","opaque":7,"remark":"ok","serializeTypeCurrentRPC":"JSON","version":401}`,
		`{}`,
		` { "code" : -1 , "extFields" : null , "remark" : null , "language" : null } `,
		`{"code":10,"extFields":{"n":123,"b":true,"f":false,"z":null,"e":-1.5e+3,"s":"\u00e9\ud83d\ude00\n\"\\\/"}}`,
		`{"language":7,"x":{"y":[1,2,{"z":null}],"w":"\ud800"},"version":-32768,"flag":2147483647,"opaque":-2147483648}`,
		`{"language":"NODE_JS","remark":"a\u0000b\u001fc","extFields":{"k\u0001":"v\u0002","k\u0001":"dup"}}`,
		`{"language":{"a":1},"code":1,"code":2,"extFields":{"a":"1"},"extFields":{"b":"2"}}`,
		`{"language":"\u0047O","c\u006fde":3}`,
		`{"code":1.0}`, `{"code":"1"}`, `{"version":32768}`, `{"a":1,}`, `{"code":01}`, `{"extFields":{"a":[]}}`,
		`{"extFields":{"a":"b" , "c" : "d"	},"remark" :"r"}`, `{"extFields":{"a":"b",}}`, `{"extFields":{,}}`, `{,}`,
		"{\"remark\":\"raw\ttab\",\"extFields\":{\"k\":\"\xff\xfe\"}}",
		`{"extFields":{"a":"1","b":"2","c":"3","d":"4","e":"5"}}`,
		`{"remark":"123456789","extFields":{"kkkkkkk":"v","k":"vvvvvvvvvvv"}}`,
		`{"x":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s), []byte(nil))
	}
	f.Add([]byte(`{"code":320}`), []byte("body\x00\xff"))

	f.Fuzz(func(t *testing.T, hdr, body []byte) {
		if len(hdr) >= 1<<24 {
			return
		}
		h1, ok := checkHeaderRoundTrip(t, protocol.SerializeJSON, hdr, body)
		if ok {
			checkEncodedJSON(t, h1)
		}
		for _, lim := range []protocol.Limits{{}, tightLimits} {
			checkJSONAgainstReference(t, hdr, lim)
		}
	})
}

// FuzzRocketMQHeader builds a frame (serialize type 1) around arbitrary
// header bytes and a body, decodes it and asserts:
//   - no panic; errors are the documented ones; bounded allocation as in
//     FuzzJSONHeader;
//   - a decoded header re-encodes, decodes to equal fields, and the
//     encoding is a fixed point after one round;
//   - every accepted header is canonical: re-encoding reproduces the input
//     frame byte for byte (the ROCKETMQ layout has one encoding per value);
//   - a reference decoder written from the spec (§1.3) with the same limits
//     accepts exactly the same headers, with the same values. This runs
//     with the default and with tight limits.
func FuzzRocketMQHeader(f *testing.F) {
	// The spec's example: code=0, version=401, opaque=7, flag=1, remark="ok", {a:b}.
	f.Add([]byte("\x00\x00\x09\x01\x91\x00\x00\x00\x07\x00\x00\x00\x01\x00\x00\x00\x02ok\x00\x00\x00\x08\x00\x01a\x00\x00\x00\x01b"), []byte(nil))
	// The client-go frames re-encoded with ROCKETMQ headers.
	var dec protocol.Decoder
	for _, fr := range clientGoFrames(f) {
		var c protocol.Command
		if err := dec.Decode(fr, &c); err != nil {
			f.Fatalf("seed frame: %v", err)
		}
		c.Serialize = protocol.SerializeRocketMQ
		enc, err := protocol.AppendCommand(nil, &c)
		if err != nil {
			f.Fatalf("seed frame: %v", err)
		}
		_, hdr, body := splitFrameParts(f, enc)
		f.Add(hdr, body[:min(len(body), 16)])
	}
	f.Add(make([]byte, 21), []byte(nil))                                                                               // all zero
	f.Add([]byte("\xff\xff\x7f\x80\x00\x80\x00\x00\x00\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00"), []byte("b")) // extremes
	f.Add([]byte("\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff\x00\x00\x00\x00"), []byte(nil)) // negative remark length
	f.Add([]byte("\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00"), []byte(nil)) // 16 MiB remark claimed
	f.Add([]byte("\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x06\xff\xff\x00\x00\x00\x00"), []byte(nil))
	f.Add([]byte("\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x06\x00\x00\x7f\xff\xff\xff"), []byte(nil))
	f.Add([]byte("\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x0c\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"), []byte(nil)) // two empty fields
	f.Add([]byte("\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"), []byte(nil))                                             // trailing byte

	f.Fuzz(func(t *testing.T, hdr, body []byte) {
		if len(hdr) >= 1<<24 {
			return
		}
		checkHeaderRoundTrip(t, protocol.SerializeRocketMQ, hdr, body)
		for _, lim := range []protocol.Limits{{}, tightLimits} {
			checkRocketMQAgainstReference(t, hdr, lim)
		}
	})
}

// withDefaults fills unset limits with the documented defaults.
func withDefaults(l protocol.Limits) protocol.Limits {
	d := protocol.DefaultLimits()
	if l.MaxFrame <= 0 {
		l.MaxFrame = d.MaxFrame
	}
	if l.MaxRemark <= 0 {
		l.MaxRemark = d.MaxRemark
	}
	if l.MaxExtFields <= 0 {
		l.MaxExtFields = d.MaxExtFields
	}
	if l.MaxExtKey <= 0 {
		l.MaxExtKey = d.MaxExtKey
	}
	if l.MaxExtValue <= 0 {
		l.MaxExtValue = d.MaxExtValue
	}
	return l
}

// refDecodeRocketMQ decodes a ROCKETMQ header as spec §1.3 describes it,
// with the Decoder's limits: remark and ext block lengths are int32 and
// must be non-negative and within the header, which must end exactly after
// the ext block; entries are int16 key length, key, int32 value length,
// value.
func refDecodeRocketMQ(h []byte, lim protocol.Limits) (header, bool) {
	var out header
	if len(h) < 13+4 {
		return out, false
	}
	be := binary.BigEndian
	out.Code = int32(int16(be.Uint16(h)))
	out.Language = protocol.LanguageCode(h[2])
	out.Version = int16(be.Uint16(h[3:]))
	out.Opaque = int32(be.Uint32(h[5:]))
	out.Flag = int32(be.Uint32(h[9:]))
	rest := h[13:]
	remarkLen := int64(int32(be.Uint32(rest)))
	rest = rest[4:]
	if remarkLen < 0 || remarkLen > int64(lim.MaxRemark) || remarkLen > int64(len(rest)) {
		return out, false
	}
	out.Remark = string(rest[:remarkLen])
	rest = rest[remarkLen:]
	if len(rest) < 4 {
		return out, false
	}
	extLen := int64(int32(be.Uint32(rest)))
	rest = rest[4:]
	if extLen < 0 || extLen != int64(len(rest)) {
		return out, false
	}
	for n := 0; len(rest) > 0; n++ {
		if n >= lim.MaxExtFields || len(rest) < 2 {
			return out, false
		}
		kl := int(int16(be.Uint16(rest)))
		rest = rest[2:]
		if kl < 0 || kl > lim.MaxExtKey || kl > len(rest) {
			return out, false
		}
		k := string(rest[:kl])
		rest = rest[kl:]
		if len(rest) < 4 {
			return out, false
		}
		vl := int64(int32(be.Uint32(rest)))
		rest = rest[4:]
		if vl < 0 || vl > int64(lim.MaxExtValue) || vl > int64(len(rest)) {
			return out, false
		}
		out.Ext = append(out.Ext, k, string(rest[:vl]))
		rest = rest[vl:]
	}
	out.Serialize = protocol.SerializeRocketMQ
	return out, true
}

func checkRocketMQAgainstReference(t *testing.T, hdr []byte, lim protocol.Limits) {
	want, refOK := refDecodeRocketMQ(hdr, withDefaults(lim))
	dec := protocol.Decoder{Limits: lim}
	var c protocol.Command
	err := dec.Decode(buildFrame(byte(protocol.SerializeRocketMQ), hdr, nil), &c)
	if errors.Is(err, protocol.ErrFrameTooLarge) && len(hdr)+4 > withDefaults(lim).MaxFrame {
		return
	}
	switch {
	case refOK && err != nil:
		t.Fatalf("limits %+v: reference accepts %v, Decode fails: %v", lim, want, err)
	case !refOK && err == nil:
		t.Fatalf("limits %+v: reference rejects, Decode accepts %v", lim, snapshot(&c))
	case refOK:
		if got := snapshot(&c); !reflect.DeepEqual(got, want) {
			t.Fatalf("limits %+v: Decode differs from the reference:\n got %v\nwant %v", lim, got, want)
		}
	}
}

// checkEncodedJSON asserts that the encoder's JSON header for h is valid
// JSON which encoding/json decodes to h's values (compared only when every
// string is valid UTF-8, which encoding/json would otherwise replace).
func checkEncodedJSON(t *testing.T, h header) {
	c := protocol.Command{
		Code: h.Code, Language: h.Language, Version: h.Version, Opaque: h.Opaque, Flag: h.Flag,
		Remark: []byte(h.Remark), Serialize: protocol.SerializeJSON,
	}
	for i := 0; i < len(h.Ext); i += 2 {
		c.Ext.AddString(h.Ext[i], h.Ext[i+1])
	}
	frame, err := protocol.AppendCommand(nil, &c)
	if err != nil {
		t.Fatalf("encoding %v: %v", h, err)
	}
	_, enc, _ := splitFrameParts(t, frame)
	if !json.Valid(enc) {
		t.Fatalf("encoded JSON header is not valid JSON: %q", enc)
	}
	ref, err := refDecodeJSON(enc, protocol.DefaultLimits())
	if err != nil {
		t.Fatalf("encoded JSON header %q: reference decoder: %v", enc, err)
	}
	if !allValidUTF8(h) {
		return
	}
	if ref.violation {
		t.Fatalf("encoded JSON header %q breaks a limit per the reference", enc)
	}
	if got := ref.h; !reflect.DeepEqual(got, withoutBody(h)) {
		t.Fatalf("encoding/json reads the encoded header differently:\n got %v\nwant %v\nJSON %q", got, withoutBody(h), enc)
	}
}

func withoutBody(h header) header {
	h.Body = ""
	return h
}

func allValidUTF8(h header) bool {
	if !utf8.ValidString(h.Remark) {
		return false
	}
	for _, s := range h.Ext {
		if !utf8.ValidString(s) {
			return false
		}
	}
	return true
}

// refJSON is the reference decoder's result.
type refJSON struct {
	h header
	// violation reports that some extFields object, key, value or the
	// remark breaks a limit (the Decoder may then fail with a limit error).
	violation bool
}

// rawPair is one member of a JSON object, in order, duplicates kept.
type rawPair struct {
	key string
	val json.RawMessage
}

// orderedObject reads a JSON object's members in order, duplicates kept,
// with encoding/json doing all validation; trailing bytes are an error.
func orderedObject(data []byte) ([]rawPair, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	if tok != json.Delim('{') {
		return nil, fmt.Errorf("not an object")
	}
	var out []rawPair
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		key, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("key is not a string")
		}
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, rawPair{key, bytes.TrimSpace(v)})
	}
	if tok, err := d.Token(); err != nil || tok != json.Delim('}') {
		return nil, fmt.Errorf("object not closed: %v", err)
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, fmt.Errorf("trailing data")
	}
	return out, nil
}

// refDecodeJSON decodes a JSON header following the rules protocol
// documents, on top of encoding/json: members are applied in order (a later
// duplicate wins); code, opaque and flag are int32 and version int16
// integers, null reads as 0; remark is a string or null; language is a
// name (unknown names → 127), an integer 0..255, anything else → 127, null
// leaves the previous value; extFields is an object or null, each object
// replacing the previous one, with string values, null values dropped and
// numbers or booleans kept as their literal text; unknown members are
// ignored.
func refDecodeJSON(hdr []byte, lim protocol.Limits) (refJSON, error) {
	var r refJSON
	r.h.Serialize = protocol.SerializeJSON
	members, err := orderedObject(hdr)
	if err != nil {
		return r, err
	}
	for _, m := range members {
		isNull := string(m.val) == "null"
		switch m.key {
		case "code", "opaque", "flag":
			var v int32
			if err := json.Unmarshal(m.val, &v); err != nil {
				return r, err
			}
			switch m.key {
			case "code":
				r.h.Code = v
			case "opaque":
				r.h.Opaque = v
			default:
				r.h.Flag = v
			}
		case "version":
			var v int16
			if err := json.Unmarshal(m.val, &v); err != nil {
				return r, err
			}
			r.h.Version = v
		case "remark":
			var s string
			if err := json.Unmarshal(m.val, &s); err != nil {
				return r, err
			}
			if len(s) > lim.MaxRemark {
				r.violation = true
			}
			r.h.Remark = s
		case "language":
			switch {
			case isNull:
			case m.val[0] == '"':
				var s string
				if err := json.Unmarshal(m.val, &s); err != nil {
					return r, err
				}
				r.h.Language, _ = protocol.ParseLanguage([]byte(s))
			default:
				r.h.Language = protocol.LangUnknown
				if v, err := strconv.ParseInt(string(m.val), 10, 64); err == nil && v >= 0 && v <= 255 {
					r.h.Language = protocol.LanguageCode(v)
				}
			}
		case "extFields":
			r.h.Ext = nil
			if isNull {
				continue
			}
			if m.val[0] != '{' {
				return r, fmt.Errorf("extFields is not an object")
			}
			fields, err := orderedObject(m.val)
			if err != nil {
				return r, err
			}
			if len(fields) > lim.MaxExtFields {
				r.violation = true
			}
			for _, fv := range fields {
				var v string
				switch c := fv.val[0]; {
				case string(fv.val) == "null":
					continue
				case c == '"':
					if err := json.Unmarshal(fv.val, &v); err != nil {
						return r, err
					}
				case c == '{' || c == '[':
					return r, fmt.Errorf("extFields value is an object or array")
				default: // number, true, false
					v = string(fv.val)
				}
				if len(fv.key) > lim.MaxExtKey || len(v) > lim.MaxExtValue {
					r.violation = true
				}
				r.h.Ext = append(r.h.Ext, fv.key, v)
			}
		}
	}
	return r, nil
}

// jsonDepth returns the deepest nesting of objects and arrays in b, outside
// strings (b is valid JSON).
func jsonDepth(b []byte) int {
	depth, most, inStr := 0, 0, false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case inStr && c == '\\':
			i++
		case c == '"':
			inStr = !inStr
		case inStr:
		case c == '{' || c == '[':
			depth++
			most = max(most, depth)
		case c == '}' || c == ']':
			depth--
		}
	}
	return most
}

// plainJSON reports whether b is valid UTF-8 without control bytes: there
// encoding/json and the header decoder must agree on what is valid.
func plainJSON(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, c := range b {
		if c < 0x20 {
			return false
		}
	}
	return true
}

func checkJSONAgainstReference(t *testing.T, hdr []byte, lim protocol.Limits) {
	dec := protocol.Decoder{Limits: lim}
	var c protocol.Command
	frame := buildFrame(byte(protocol.SerializeJSON), hdr, nil)
	err := dec.Decode(frame, &c)
	full := withDefaults(lim)
	if errors.Is(err, protocol.ErrFrameTooLarge) && len(frame)-4 > full.MaxFrame {
		return
	}
	if !utf8.Valid(hdr) {
		return // encoding/json replaces invalid UTF-8; the decoder keeps it
	}
	ref, refErr := refDecodeJSON(hdr, full)
	limitErr := errorsIsAny(err, protocol.ErrRemarkTooLarge, protocol.ErrTooManyExtFields,
		protocol.ErrExtKeyTooLarge, protocol.ErrExtValueTooLarge)
	switch {
	case refErr == nil && limitErr:
		if !ref.violation {
			t.Fatalf("limits %+v: Decode fails with %v, but no limit is broken per the reference %v", lim, err, ref.h)
		}
	case refErr == nil && errors.Is(err, protocol.ErrJSONDepth):
		if d := jsonDepth(hdr); d <= 32 {
			t.Fatalf("limits %+v: Decode fails with %v at nesting depth %d", lim, err, d)
		}
	case refErr == nil && err != nil:
		t.Fatalf("limits %+v: encoding/json-based reference accepts %q as %v, Decode fails: %v", lim, hdr, ref.h, err)
	case refErr == nil:
		if ref.violation {
			t.Fatalf("limits %+v: Decode accepts a header that breaks a limit per the reference: %v", lim, ref.h)
		}
		if got := snapshot(&c); !reflect.DeepEqual(got, ref.h) {
			t.Fatalf("limits %+v: Decode differs from the encoding/json-based reference on %q:\n got %v\nwant %v", lim, hdr, got, ref.h)
		}
	case err == nil && plainJSON(hdr):
		t.Fatalf("limits %+v: Decode accepts %q, which encoding/json rejects: %v", lim, hdr, refErr)
	}
}
