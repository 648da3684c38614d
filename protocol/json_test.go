package protocol

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unsafe"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	jsoniter "github.com/json-iterator/go"
)

// goLanguage and goRemotingCommand have the shape of client-go v2.1.2's
// remote.LanguageCode and remote.RemotingCommand (internal/remote/codec.go),
// which cannot be imported. jsoniter.Marshal/Unmarshal with the default
// config is exactly what client-go's JSON codec calls.
type goLanguage byte

func (goLanguage) MarshalJSON() ([]byte, error) { return []byte(`"GO"`), nil }

func (l *goLanguage) UnmarshalJSON(b []byte) error {
	switch string(b) { // client-go's own cases, quirks included
	case "JAVA":
		*l = 0
	case "GO", `"GO"`:
		*l = 9
	default:
		*l = 127
	}
	return nil
}

type goRemotingCommand struct {
	Code      int16             `json:"code"`
	Language  goLanguage        `json:"language"`
	Version   int16             `json:"version"`
	Opaque    int32             `json:"opaque"`
	Flag      int32             `json:"flag"`
	Remark    string            `json:"remark"`
	ExtFields map[string]string `json:"extFields"`
	Body      []byte            `json:"-"`
}

// goEncode builds the frame client-go's encode builds for cmd.
func goEncode(t testing.TB, cmd *goRemotingCommand) []byte {
	h, err := jsoniter.Marshal(cmd)
	if err != nil {
		t.Fatal(err)
	}
	return codecFrame(SerializeJSON, h, cmd.Body)
}

// goDecode decodes a frame as client-go's decode does (header part).
func goDecode(frame []byte) (*goRemotingCommand, error) {
	hl := int(frame[7]) | int(frame[6])<<8 | int(frame[5])<<16
	cmd := &goRemotingCommand{ExtFields: map[string]string{}}
	err := jsoniter.Unmarshal(frame[8:8+hl], cmd)
	return cmd, err
}

// clientGoSendExt is the extFields client-go's SendMessageRequestHeader
// encodes for a plain send (internal/request.go), with the properties
// string built by client-go's own primitive.Message (UNIQ_KEY, TAGS, KEYS).
func clientGoSendExt() map[string]string {
	msg := primitive.NewMessage("TopicTest", nil).WithTag("TagA").WithKeys([]string{"OrderID188"})
	msg.WithProperty(primitive.PropertyUniqueClientMessageIdKeyIndex, "C0A8010A3E5818B4AAC2A5E5D1A80000")
	return map[string]string{
		"producerGroup":         "ProducerGroupName",
		"topic":                 "TopicTest",
		"queueId":               "3",
		"sysFlag":               "0",
		"bornTimestamp":         "1700000000123",
		"flag":                  "0",
		"reconsumeTimes":        "0",
		"unitMode":              "false",
		"maxReconsumeTimes":     "0",
		"defaultTopic":          "TBW102",
		"defaultTopicQueueNums": "4",
		"batch":                 "false",
		"properties":            msg.MarshallProperties(),
	}
}

func TestSpecClientGoFrame(t *testing.T) {
	// Spec §1.1: code 34, one ext field {"k":"v"}, a 4-byte body.
	f := goEncode(t, &goRemotingCommand{Code: 34, Language: 9, Version: 317, Opaque: 1,
		ExtFields: map[string]string{"k": "v"}, Body: []byte("body")})
	if want := []byte{0, 0, 0, 0x67, 0, 0, 0, 0x5f}; !bytes.Equal(f[:8], want) {
		t.Fatalf("prefix % x, want % x", f[:8], want)
	}
	var d Decoder
	var c Command
	if err := d.Decode(f, &c); err != nil {
		t.Fatal(err)
	}
	want := &Command{Code: 34, Language: LangGo, Version: 317, Opaque: 1, Body: []byte("body")}
	want.Ext.AddString("k", "v")
	if diff := codecEqual(&c, want); diff != "" {
		t.Fatal(diff)
	}
}

// TestDecodeClientGoSend decodes what jsoniter writes for client-go's
// SEND_MESSAGE, properties with \u0001 and \u0002 escapes included.
func TestDecodeClientGoSend(t *testing.T) {
	ext := clientGoSendExt()
	f := goEncode(t, &goRemotingCommand{Code: 10, Language: 9, Version: 317, Opaque: 42,
		ExtFields: ext, Body: []byte("payload")})
	if !bytes.Contains(f, []byte(`\u0001`)) || !bytes.Contains(f, []byte(`\u0002`)) {
		t.Fatalf("jsoniter did not escape the separators: %s", f[8:])
	}
	var d Decoder
	var c Command
	if err := d.Decode(f, &c); err != nil {
		t.Fatal(err)
	}
	if c.Code != 10 || c.Language != LangGo || c.Version != 317 || c.Opaque != 42 || c.Flag != 0 ||
		len(c.Remark) != 0 || string(c.Body) != "payload" || c.Serialize != SerializeJSON {
		t.Fatalf("decoded %+v", c)
	}
	if c.Ext.Len() != len(ext) {
		t.Fatalf("%d ext fields, want %d", c.Ext.Len(), len(ext))
	}
	for k, v := range ext {
		if got, ok := c.Ext.Get(k); !ok || string(got) != v {
			t.Fatalf("%s = %q, want %q", k, got, v)
		}
	}
	// Values without escapes are views of the frame, the escaped one is not.
	inFrame := func(b []byte) bool {
		p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
		s := uintptr(unsafe.Pointer(&f[0]))
		return p >= s && p < s+uintptr(len(f))
	}
	if v, _ := c.Ext.Get("topic"); !inFrame(v) {
		t.Fatal("topic was copied")
	}
	if v, _ := c.Ext.Get("properties"); inFrame(v) {
		t.Fatal("escaped properties aliases the frame")
	}
	var h SendMessageRequestHeader
	if err := h.Decode(&c.Ext); err != nil {
		t.Fatal(err)
	}
	if string(h.Properties) != ext["properties"] || h.QueueID != 3 || h.BornTimestamp != 1700000000123 {
		t.Fatalf("header %+v", h)
	}
}

// TestJSONResponsesDecodeWithJsoniter: what Quiver writes, client-go reads,
// with ext values as strings and absent remark and extFields accepted.
func TestJSONResponsesDecodeWithJsoniter(t *testing.T) {
	for i, c := range codecSamples() {
		if c.Code > 0x7fff || c.Code < -0x8000 {
			continue
		}
		c.Serialize = SerializeJSON
		f, err := AppendCommand(nil, c)
		if err != nil {
			t.Fatal(err)
		}
		g, err := goDecode(f)
		if err != nil {
			t.Fatalf("command %d: jsoniter: %v\n%s", i, err, f[8:min(len(f), 400)])
		}
		if int32(g.Code) != c.Code || g.Version != c.Version || g.Opaque != c.Opaque || g.Flag != c.Flag {
			t.Fatalf("command %d: jsoniter read %+v", i, g)
		}
		if utf8Valid(c.Remark) && g.Remark != string(c.Remark) {
			t.Fatalf("command %d: remark %q, want %q", i, g.Remark, c.Remark)
		}
		if len(g.ExtFields) != c.Ext.Len() {
			t.Fatalf("command %d: %d ext fields, want %d", i, len(g.ExtFields), c.Ext.Len())
		}
		for j := 0; j < c.Ext.Len(); j++ {
			k, v := c.Ext.At(j)
			if !utf8Valid(k) || !utf8Valid(v) {
				continue
			}
			if got, ok := g.ExtFields[string(k)]; !ok || got != string(v) {
				t.Fatalf("command %d: %q = %q, want %q", i, k, got, v)
			}
		}
	}
	// No remark, no extFields: both left out, and client-go accepts that.
	c := &Command{Code: 0, Flag: FlagResponse, Opaque: 9, Version: CurrentVersion}
	f, _ := AppendCommand(nil, c)
	want := `{"code":0,"flag":1,"language":"JAVA","opaque":9,"serializeTypeCurrentRPC":"JSON","version":401}`
	if string(f[8:]) != want {
		t.Fatalf("header %s\nwant   %s", f[8:], want)
	}
	g, err := goDecode(f)
	if err != nil || g.Remark != "" || g.ExtFields == nil || len(g.ExtFields) != 0 || g.Opaque != 9 || g.Flag != 1 {
		t.Fatalf("jsoniter: %+v, %v", g, err)
	}
	// And Java-style nulls.
	g = &goRemotingCommand{}
	if err := jsoniter.Unmarshal([]byte(`{"code":0,"remark":null,"extFields":null}`), g); err != nil {
		t.Fatalf("jsoniter on nulls: %v", err)
	}
}

func utf8Valid(b []byte) bool { return strings.ToValidUTF8(string(b), "") == string(b) }

func TestEncodeJSONExact(t *testing.T) {
	c := &Command{Code: 10, Language: LangGo, Version: 317, Opaque: 5, Flag: 2, Serialize: SerializeJSON}
	c.SetRemark("a\"b\\c\nd\x01é")
	c.Ext.AddString("topic", "T")
	c.Ext.AddString("p", "k\x01v\x02")
	f, err := AppendCommand(nil, c)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"code":10,"extFields":{"topic":"T","p":"k\u0001v\u0002"},"flag":2,"language":"GO","opaque":5,` +
		`"remark":"a\"b\\c\u000ad\u0001é","serializeTypeCurrentRPC":"JSON","version":317}`
	if string(f[8:]) != want {
		t.Fatalf("got  %s\nwant %s", f[8:], want)
	}
	if !json.Valid(f[8:]) {
		t.Fatal("not valid JSON")
	}
	// Unknown language codes are written as numbers.
	c.Language = 200
	f, _ = AppendCommand(nil, c)
	if !bytes.Contains(f, []byte(`"language":200,`)) {
		t.Fatalf("language 200: %s", f[8:])
	}
}

// decodeJSONText decodes a JSON header text.
func decodeJSONText(t testing.TB, hdr string) (*Command, error) {
	t.Helper()
	var d Decoder
	c := new(Command)
	err := d.Decode(codecFrame(SerializeJSON, []byte(hdr), nil), c)
	return c, err
}

func TestJSONDecodeAccepts(t *testing.T) {
	for _, tc := range []struct {
		name, hdr string
		check     func(c *Command) bool
	}{
		{"empty object", `{}`, func(c *Command) bool { return c.Code == 0 && c.Ext.Len() == 0 }},
		{"whitespace", " \t\r\n{ \"code\" :\n 12 , \"extFields\" : { \"a\" : \"b\" } }\n ", func(c *Command) bool {
			return c.Code == 12 && c.Ext.GetString("a") == "b"
		}},
		{"any order", `{"version":5,"extFields":{"x":"y"},"opaque":3,"code":7,"flag":1,"language":"CPP","remark":"r"}`,
			func(c *Command) bool {
				return c.Code == 7 && c.Version == 5 && c.Opaque == 3 && c.Flag == 1 && c.Language == LangCPP &&
					string(c.Remark) == "r" && c.Ext.GetString("x") == "y"
			}},
		{"unknown keys of every type", `{"a":{"b":[1,-2.5e+3,{"c":null}],"d":"\u00e9\""},"e":[],"f":{},"g":true,` +
			`"h":false,"i":null,"j":-0,"k":1E9,"code":3,"serializeTypeCurrentRPC":"JSON"}`,
			func(c *Command) bool { return c.Code == 3 }},
		{"language number", `{"language":9}`, func(c *Command) bool { return c.Language == LangGo }},
		{"language unknown name", `{"language":"COBOL"}`, func(c *Command) bool { return c.Language == LangUnknown }},
		{"language big number", `{"language":300}`, func(c *Command) bool { return c.Language == LangUnknown }},
		{"language escaped", `{"language":"\u0047O"}`, func(c *Command) bool { return c.Language == LangGo }},
		{"language null", `{"language":null}`, func(c *Command) bool { return c.Language == LangJava }},
		{"language object", `{"language":{"a":1}}`, func(c *Command) bool { return c.Language == LangUnknown }},
		{"null remark and ext", `{"remark":null,"extFields":null,"code":null}`, func(c *Command) bool {
			return len(c.Remark) == 0 && c.Ext.Len() == 0 && c.Code == 0
		}},
		{"ext number and bool values", `{"extFields":{"n":-12.5e3,"t":true,"f":false,"z":null,"s":""}}`,
			func(c *Command) bool {
				return c.Ext.Len() == 4 && c.Ext.GetString("n") == "-12.5e3" && c.Ext.GetString("t") == "true" &&
					c.Ext.GetString("f") == "false" && c.Ext.GetString("s") == ""
			}},
		{"escapes", `{"remark":"\"\\\/\b\f\n\r\t\u0000\u00e9\u4e16\ud83d\ude00","extFields":{"k\u0031":"\u0001\u0002"}}`,
			func(c *Command) bool {
				return string(c.Remark) == "\"\\/\b\f\n\r\t\x00é世😀" && c.Ext.GetString("k1") == "\x01\x02"
			}},
		{"lone surrogates", `{"remark":"a\ud800b\udc00c\ud800\u0041"}`, func(c *Command) bool {
			return string(c.Remark) == "a\ufffdb\ufffdc\ufffdA"
		}},
		{"raw control and utf-8 in strings", "{\"remark\":\"a\x01\tb é\"}", func(c *Command) bool {
			return string(c.Remark) == "a\x01\tb é"
		}},
		{"escaped top-level key", `{"\u0063ode":5}`, func(c *Command) bool { return c.Code == 5 }},
		{"limits of numbers", `{"code":-2147483648,"opaque":2147483647,"flag":-1,"version":-32768}`,
			func(c *Command) bool {
				return c.Code == -2147483648 && c.Opaque == 2147483647 && c.Flag == -1 && c.Version == -32768
			}},
		{"second extFields wins", `{"extFields":{"a":"1"},"extFields":{"b":"2"}}`, func(c *Command) bool {
			return c.Ext.Len() == 1 && c.Ext.GetString("b") == "2"
		}},
		{"depth at limit", `{"x":` + strings.Repeat("[", headerMaxDepth-1) + strings.Repeat("]", headerMaxDepth-1) + `}`,
			func(c *Command) bool { return true }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := decodeJSONText(t, tc.hdr)
			if err != nil {
				t.Fatalf("%v\n%s", err, tc.hdr)
			}
			if !tc.check(c) {
				t.Fatalf("decoded wrongly: %+v", c)
			}
		})
	}
}

func TestJSONDecodeRejects(t *testing.T) {
	for _, tc := range []struct {
		name, hdr string
		err       error
	}{
		{"empty", ``, ErrJSONSyntax},
		{"not an object", `[]`, ErrJSONSyntax},
		{"string", `"code"`, ErrJSONSyntax},
		{"truncated", `{"code":1`, ErrJSONSyntax},
		{"truncated key", `{"co`, ErrJSONSyntax},
		{"truncated value", `{"remark":"abc`, ErrJSONSyntax},
		{"trailing garbage", `{"code":1}x`, ErrHeaderTrailing},
		{"two objects", `{}{}`, ErrHeaderTrailing},
		{"trailing comma", `{"code":1,}`, ErrJSONSyntax},
		{"missing colon", `{"code" 1}`, ErrJSONSyntax},
		{"missing comma", `{"code":1 "flag":2}`, ErrJSONSyntax},
		{"unquoted key", `{code:1}`, ErrJSONSyntax},
		{"single quotes", `{'code':1}`, ErrJSONSyntax},
		{"code string", `{"code":"10"}`, ErrJSONType},
		{"code fraction", `{"code":1.5}`, ErrJSONType},
		{"code exponent", `{"code":1e2}`, ErrJSONType},
		{"code over int32", `{"code":2147483648}`, ErrNumberRange},
		{"code under int32", `{"code":-2147483649}`, ErrNumberRange},
		{"code huge", `{"code":123456789012345678901234567890}`, ErrNumberRange},
		{"opaque over int32", `{"opaque":4294967296}`, ErrNumberRange},
		{"flag over int32", `{"flag":2147483648}`, ErrNumberRange},
		{"version over int16", `{"version":32768}`, ErrNumberRange},
		{"version under int16", `{"version":-32769}`, ErrNumberRange},
		{"bad number", `{"code":-}`, ErrJSONSyntax},
		{"number then letters", `{"code":12ab}`, ErrJSONSyntax},
		{"leading plus", `{"code":+1}`, ErrJSONType},
		{"remark number", `{"remark":5}`, ErrJSONType},
		{"remark object", `{"remark":{}}`, ErrJSONType},
		{"ext array", `{"extFields":["a"]}`, ErrJSONType},
		{"ext string", `{"extFields":"a"}`, ErrJSONType},
		{"ext object value", `{"extFields":{"a":{"b":"c"}}}`, ErrJSONType},
		{"ext array value", `{"extFields":{"a":[]}}`, ErrJSONType},
		{"ext unquoted key", `{"extFields":{a:"b"}}`, ErrJSONSyntax},
		{"ext trailing comma", `{"extFields":{"a":"b",}}`, ErrJSONSyntax},
		{"ext truncated", `{"extFields":{"a":"b"`, ErrJSONSyntax},
		{"bad escape", `{"remark":"\x"}`, ErrJSONEscape},
		{"bad unicode escape", `{"remark":"\u12G4"}`, ErrJSONEscape},
		{"short unicode escape", `{"remark":"\u12"}`, ErrJSONEscape},
		{"escape at end", `{"remark":"\`, ErrJSONEscape},
		{"escape before end", `{"remark":"\"}`, ErrJSONSyntax},
		{"bad escape in ext key", `{"extFields":{"\q":"v"}}`, ErrJSONEscape},
		{"bad escape in ext value", `{"extFields":{"k":"\uzzzz"}}`, ErrJSONEscape},
		{"bad escape in skipped value", `{"x":["\a"]}`, ErrJSONEscape},
		{"bad literal", `{"x":tru}`, ErrJSONSyntax},
		{"bad literal in ext", `{"extFields":{"a":nul}}`, ErrJSONType},
		{"unbalanced skipped", `{"x":[1,2}`, ErrJSONSyntax},
		{"skipped object bad key", `{"x":{1:2}}`, ErrJSONSyntax},
		{"too deep", `{"x":` + strings.Repeat("[", headerMaxDepth) + strings.Repeat("]", headerMaxDepth) + `}`, ErrJSONDepth},
		{"very deep", `{"x":` + strings.Repeat(`{"a":`, 100000), ErrJSONDepth},
		{"very deep arrays", `{"x":` + strings.Repeat(`[`, 1000000), ErrJSONDepth},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeJSONText(t, tc.hdr)
			if !errors.Is(err, tc.err) {
				t.Fatalf("Decode = %v, want %v", err, tc.err)
			}
		})
	}
}

// TestJSONTruncations decodes every prefix of a rich header: each is an
// error, none panics.
func TestJSONTruncations(t *testing.T) {
	hdr := `{"a":{"b":[1,-2.5e+3,true,false,null,"\ud83d\ude00"]},"code":10,"extFields":{"k":"v\u0001","n":12},` +
		`"flag":0,"language":"GO","opaque":1,"remark":"r\n","version":317}`
	if _, err := decodeJSONText(t, hdr); err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(hdr); n++ {
		if _, err := decodeJSONText(t, hdr[:n]); err == nil {
			t.Fatalf("prefix %q decoded", hdr[:n])
		}
	}
}

func TestJSONStringScanLinear(t *testing.T) {
	// 300 KB of escapes: a quadratic scan would take minutes.
	v := strings.Repeat(`\u0001`, 50000)
	hdr := `{"x":"` + v + `","remark":"` + strings.Repeat(`\"`, 50000) + `"}`
	d := Decoder{Limits: Limits{MaxRemark: 1 << 20}}
	var c Command
	if err := d.Decode(codecFrame(SerializeJSON, []byte(hdr), nil), &c); err != nil {
		t.Fatal(err)
	}
	if len(c.Remark) != 50000 {
		t.Fatalf("remark %d bytes", len(c.Remark))
	}
}

func TestAppendHeaderString(t *testing.T) {
	for in, want := range map[string]string{
		"":             `""`,
		"plain":        `"plain"`,
		"\"\\":         `"\"\\"`,
		"\x00\x1f\x7f": `"\u0000\u001f` + "\x7f\"",
		"/<>&":         `"/<>&"`,
		"é世":           `"é世"`,
	} {
		if got := string(appendHeaderString(nil, []byte(in))); got != want {
			t.Errorf("%q: got %s, want %s", in, got, want)
		}
	}
}

// TestSWARScans compares the eight-bytes-at-a-time scans with plain loops
// on every placement of every interesting byte.
func TestSWARScans(t *testing.T) {
	special := []byte{0x00, 0x01, 0x1f, 0x20, '!', '"', '#', '[', '\\', ']', 0x7f, 0x80, 0x9f, 0xa0, 0xdf, 0xe0, 0xff}
	for n := 0; n <= 20; n++ {
		for pos := 0; pos < n; pos++ {
			for _, fill := range []byte{'a', 0xff, 0x20, 0xc3} {
				for _, c := range special {
					s := bytes.Repeat([]byte{fill}, n)
					s[pos] = c
					if pos+1 < n {
						s[n-1] = special[(int(c)+n)%len(special)]
					}
					wantQ, wantE := len(s), len(s)
					for i, b := range s {
						if wantQ == len(s) && (b == '"' || b == '\\') {
							wantQ = i
						}
						if wantE == len(s) && (b < 0x20 || b == '"' || b == '\\') {
							wantE = i
						}
					}
					if got := nextQuoteOrBackslash(s, 0); got != wantQ {
						t.Fatalf("nextQuoteOrBackslash(% x) = %d, want %d", s, got, wantQ)
					}
					if got := jsonEscapeIndex(s); got != wantE {
						t.Fatalf("jsonEscapeIndex(% x) = %d, want %d", s, got, wantE)
					}
				}
			}
		}
	}
}

// TestUnescapeU00 pins the \u00XX fast path: ASCII becomes one byte, U+0080
// to U+00FF their two-byte UTF-8 form.
func TestUnescapeU00(t *testing.T) {
	for in, want := range map[string]string{
		`a\u0001b\u0002`: "a\x01b\x02",
		`\u007f\u007F`:   "\x7f\x7f",
		`\u0080`:         "\u0080",
		`\u00e9\u00E9`:   "éé",
		`\u00ff`:         "ÿ",
		`\u00zz`:         "",
	} {
		var c Command
		c.NewRequest(SendMessage)
		frame := []byte(`{"code":10,"extFields":{"p":"` + in + `"}}`)
		var hdr []byte
		hdr = append(hdr, 0, 0, 0, 0, 0, 0, 0, 0)
		hdr = append(hdr, frame...)
		binary.BigEndian.PutUint32(hdr, uint32(len(hdr)-4))
		binary.BigEndian.PutUint32(hdr[4:], uint32(len(frame)))
		var d Decoder
		err := d.Decode(hdr, &c)
		if want == "" {
			if err == nil {
				t.Errorf("%s: decoded, want an escape error", in)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if got, _ := c.Ext.Get("p"); string(got) != want {
			t.Errorf("%s: got %q, want %q", in, got, want)
		}
	}
}

// TestWhitespaceAfterColon: every top-level value may follow its colon
// after whitespace, on the fast key path as well as the slow one.
func TestWhitespaceAfterColon(t *testing.T) {
	hdr := []byte("{\"code\": 10,\"language\":\t\"GO\",\"version\" : 317,\"opaque\":\n7,\"flag\": 0,\"remark\": \"\",\"extFields\": {\"a\": \"b\"}}")
	frame := binary.BigEndian.AppendUint32(nil, uint32(4+len(hdr)))
	frame = binary.BigEndian.AppendUint32(frame, uint32(len(hdr)))
	frame = append(frame, hdr...)
	var d Decoder
	var c Command
	if err := d.Decode(frame, &c); err != nil {
		t.Fatal(err)
	}
	if v, _ := c.Ext.Get("a"); c.Code != 10 || c.Language != LangGo || c.Version != 317 || c.Opaque != 7 || string(v) != "b" {
		t.Fatalf("decoded %+v", c)
	}
}
