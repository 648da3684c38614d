package message_test

import (
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/quivermq/quiver/message"
)

// Vectors produced by Java 17 (and checked against Java 25):
// new String(bytes, UTF_8).hashCode().
var javaHashVectors = []struct {
	hex  string
	hash int32
}{
	{"", 0},
	{"74616741", 3552231},                // "tagA" (spec §5.1)
	{"e6a087e7adbe", 857175},             // "标签" (spec §5.1; client-go's byte hash gives -1853217173)
	{"f09f9880", 1772899},                // "😀", a surrogate pair
	{"546167417c7c54616742", 1789476431}, // "TagA||TagB"
	{"f09d849e78", 54944334},             // "𝄞x"
	{"c3a9", 233},                        // "é"
	{"efbfbf", 65535},                    // U+FFFF
	{"706f6c7967656e656c7562726963616e7473", math.MinInt32}, // "polygenelubricants"
	// Malformed UTF-8, as the JDK decoder replaces it.
	{"ff", 65533},
	{"e4b8", 65533},           // incomplete at the end: one U+FFFD
	{"e4b841", 2031588},       // incomplete before 'A': U+FFFD 'A'
	{"eda080", 65533},         // encoded surrogate: one U+FFFD for 3 bytes
	{"edbfbf", 65533},         // ditto
	{"f09f98", 65533},         // incomplete 4-byte at the end
	{"f09f9841", 2031588},     // incomplete 4-byte before 'A'
	{"c0af", 2097056},         // overlong: two U+FFFD
	{"e080", 2097056},         // overlong 3-byte prefix: two U+FFFD
	{"f4908080", 2017367872},  // above U+10FFFF: four U+FFFD
	{"f8", 65533},             // invalid lead byte
	{"41ff42", 2094054},       // 'A' U+FFFD 'B'
	{"80bf", 2097056},         // stray continuation bytes
	{"e4b8e4b8ad", 2051536},   // U+FFFD "中"
	{"f09f98e4b8ad", 2051536}, // U+FFFD "中"
}

func TestJavaHashCode(t *testing.T) {
	for _, v := range javaHashVectors {
		b := unhex(t, v.hex)
		if got := message.JavaHashCode(b); got != v.hash {
			t.Errorf("JavaHashCode(%s) = %d, want %d", v.hex, got, v.hash)
		}
		if got := message.JavaHashCode(string(b)); got != v.hash {
			t.Errorf("JavaHashCode(string %s) = %d, want %d", v.hex, got, v.hash)
		}
	}
}

func TestTagsCode(t *testing.T) {
	for _, tc := range []struct {
		tags string
		want int64
	}{
		{"", 0},
		{"tagA", 3552231},
		{"标签", 857175},
		{"TagA||TagB", 1789476431},
		{"polygenelubricants", math.MinInt32}, // sign-extended
	} {
		if got := message.TagsCode(tc.tags); got != tc.want {
			t.Errorf("TagsCode(%q) = %d, want %d", tc.tags, got, tc.want)
		}
		if got := message.TagsCode([]byte(tc.tags)); got != tc.want {
			t.Errorf("TagsCode([]byte %q) = %d", tc.tags, got)
		}
	}
}

func TestIndexKeyHash(t *testing.T) {
	for _, tc := range []struct {
		topic, key string
		want       int32
	}{
		{"TopicTest", "key1", 1655984460},   // Java: -1655984460, abs
		{"%RETRY%group", "UNIQ", 520988039}, // positive as is
		{"TopicTest", "!xugapz", 0},         // hashCode == Integer.MIN_VALUE -> 0
		{"标签", "标签", 232812541},             // Java: "标签#标签".hashCode() = -232812541
	} {
		if got := message.IndexKeyHash(tc.topic, tc.key); got != tc.want {
			t.Errorf("IndexKeyHash(%q, %q) = %d, want %d", tc.topic, tc.key, got, tc.want)
		}
		if got := message.IndexKeyHash([]byte(tc.topic), []byte(tc.key)); got != tc.want {
			t.Errorf("IndexKeyHash([]byte) differs")
		}
	}
}

func TestChecksum(t *testing.T) {
	for _, tc := range []struct {
		body string
		want uint32
	}{
		{"", 0},
		{"hello", 0x3610A686},
		// crc32("a") = 0xE8B7BE43: the top bit is masked off.
		{"a", 0x68B7BE43},
	} {
		if got := message.Checksum([]byte(tc.body)); got != tc.want {
			t.Errorf("Checksum(%q) = %#x, want %#x", tc.body, got, tc.want)
		}
	}
}

// TestJavaHashGolden replays testdata/java_string_hash.txt, hashes a JDK
// computed for random and malformed UTF-8.
func TestJavaHashGolden(t *testing.T) {
	data, err := os.ReadFile("testdata/java_string_hash.txt")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Fields(line)
		in := f[0]
		if in == "-" {
			in = ""
		}
		want, err := strconv.ParseInt(f[1], 10, 32)
		if err != nil {
			t.Fatal(err)
		}
		if got := message.JavaHashCode(unhex(t, in)); got != int32(want) {
			t.Errorf("JavaHashCode(%s) = %d, want %d", in, got, want)
		}
		n++
	}
	if n < 2000 {
		t.Fatalf("only %d vectors", n)
	}
}
