package fuzz

import (
	"bytes"
	"testing"

	"github.com/quivermq/quiver/message"
	"github.com/quivermq/quiver/protocol"
)

// javaProperties parses a properties string as Java's
// MessageDecoder.string2messageProperties does, written here from the spec
// (§4.4) without the message package: split on 0x02; split each segment at
// its first 0x01; skip a segment with an empty key or value. It returns the
// kept pairs in order; put into a HashMap, the last of duplicate keys wins.
func javaProperties(props []byte) (pairs [][2]string, canonical bool) {
	canonical = len(props) == 0 || props[len(props)-1] == message.PropertySeparator
	segs := bytes.Split(props, []byte{message.PropertySeparator})
	if len(props) > 0 && props[len(props)-1] == message.PropertySeparator {
		segs = segs[:len(segs)-1] // the empty string after the final separator
	}
	if len(props) == 0 {
		segs = nil
	}
	for _, seg := range segs {
		k, v, found := bytes.Cut(seg, []byte{message.NameValueSeparator})
		if !found || len(k) == 0 || len(v) == 0 {
			canonical = false
			continue
		}
		pairs = append(pairs, [2]string{string(k), string(v)})
	}
	return pairs, canonical
}

// javaLookup is the HashMap lookup: the last pair with key wins.
func javaLookup(pairs [][2]string, key string) (string, bool) {
	for i := len(pairs) - 1; i >= 0; i-- {
		if pairs[i][0] == key {
			return pairs[i][1], true
		}
	}
	return "", false
}

func iterPairs(t *testing.T, props []byte) [][2]string {
	var out [][2]string
	it := message.NewPropertyIter(props)
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		if !within(k, props) || !within(v, props) {
			t.Fatalf("PropertyIter pair %q=%q is not a view of the string", k, v)
		}
		out = append(out, [2]string{string(k), string(v)})
	}
	if _, _, ok := it.Next(); ok {
		t.Fatalf("PropertyIter yields after reporting the end")
	}
	return out
}

func equalPairs(a, b [][2]string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// FuzzProperties reads arbitrary bytes as a properties string and asserts:
//   - PropertyIter (and AllProperties) yields exactly the pairs Java's
//     parser keeps, in order, as views of the string; each passes
//     CheckProperty;
//   - Property and HasProperty agree with Java's HashMap (last duplicate
//     wins, as message.Property documents) for every key found, for
//     prefixes and extensions of them, and for keys holding separators;
//   - rebuilding the string from the pairs with AppendProperty yields the
//     same pairs, equals AppendPropertiesExcept with nothing dropped, and
//     equals the input exactly when the input is canonical (every segment a
//     kept pair, the last one terminated);
//   - AppendPropertiesWith replaces a key, keeps every other pair in order
//     and leaves a string that parses like the map with that key set;
//   - JoinProperties of the string with itself keeps both halves' pairs.
func FuzzProperties(f *testing.F) {
	// The properties client-go sent: the header's "properties" (SEND_MESSAGE)
	// and "i" (SEND_BATCH_MESSAGE) fields, and each batch item's own.
	var dec protocol.Decoder
	for _, fr := range clientGoFrames(f) {
		var c protocol.Command
		if err := dec.Decode(fr, &c); err != nil {
			f.Fatalf("seed frame: %v", err)
		}
		for _, name := range []string{"properties", "i"} {
			if v, ok := c.Ext.Get(name); ok {
				f.Add(bytes.Clone(v), message.PropertyTags)
			}
		}
	}
	it := message.NewBatchIter(readTestdata(f, batchBodyPath))
	var item message.BatchItem
	for it.Next(&item) {
		f.Add(item.Properties, message.PropertyKeys)
	}
	f.Add([]byte("TAGS\x01TagA\x02KEYS\x01k1 k2\x02UNIQ_KEY\x01C0A8010A00002A9F0000000000001234\x02"), "KEYS")
	f.Add([]byte("a\x01b\x02a\x01c\x02"), "a")                      // duplicate: last wins
	f.Add([]byte("a\x01b"), "a")                                    // no final separator
	f.Add([]byte("\x01v\x02k\x01\x02\x02\x02k\x01v\x01w\x02"), "k") // empty key, empty value, empty segments, 0x01 in value
	f.Add([]byte("k\x02\x01\x01\x01"), "\x01")
	f.Add([]byte(""), "")
	f.Add([]byte("\xff\xfe\x01\xc3\x02"), "\xff\xfe")

	f.Fuzz(func(t *testing.T, props []byte, probe string) {
		want, canonical := javaProperties(props)
		got := iterPairs(t, props)
		if !equalPairs(got, want) {
			t.Fatalf("PropertyIter pairs %q, Java's parser keeps %q", got, want)
		}
		var all [][2]string
		for k, v := range message.AllProperties(props) {
			all = append(all, [2]string{string(k), string(v)})
		}
		if !equalPairs(all, want) {
			t.Fatalf("AllProperties pairs %q, want %q", all, want)
		}

		// Lookups, against the HashMap.
		keys := []string{probe, probe + "\x01", "\x02" + probe}
		for _, p := range want {
			if err := message.CheckProperty(p[0], p[1]); err != nil {
				t.Fatalf("kept pair %q=%q fails CheckProperty: %v", p[0], p[1], err)
			}
			keys = append(keys, p[0], p[0][:len(p[0])-1], p[0]+"x", p[0]+"\x01"+p[1])
		}
		for _, k := range keys {
			wv, wok := javaLookup(want, k)
			gv, gok := message.Property(props, k)
			if gok != wok || string(gv) != wv {
				t.Fatalf("Property(%q) = %q, %v; Java's map has %q, %v", k, gv, gok, wv, wok)
			}
			if gok && !capped(gv, props) {
				t.Fatalf("Property(%q) value is not a capped view of the string", k)
			}
			if message.HasProperty(props, k) != wok {
				t.Fatalf("HasProperty(%q) = %v, want %v", k, !wok, wok)
			}
		}

		// Rebuild from the pairs.
		var rebuilt []byte
		for _, p := range got {
			rebuilt = message.AppendProperty(rebuilt, p[0], p[1])
		}
		if again := iterPairs(t, rebuilt); !equalPairs(again, got) {
			t.Fatalf("rebuilt string %q parses to %q, want %q", rebuilt, again, got)
		}
		if except := message.AppendPropertiesExcept(nil, props); !bytes.Equal(except, rebuilt) {
			t.Fatalf("AppendPropertiesExcept(nothing) = %q, rebuilt %q", except, rebuilt)
		}
		if equal := bytes.Equal(rebuilt, props); equal != canonical {
			t.Fatalf("canonical=%v but rebuilt==input is %v:\n input %q\nrebuilt %q", canonical, equal, props, rebuilt)
		}

		// Set one key: the probe when it is a valid key, else the first key.
		key := probe
		if message.CheckProperty(key, "v") != nil {
			if len(got) == 0 {
				return
			}
			key = got[0][0]
		}
		set := message.AppendPropertiesWith([]byte("keep"), props, key, "new\x01value")
		if !bytes.HasPrefix(set, []byte("keep")) {
			t.Fatalf("AppendPropertiesWith dropped dst's bytes")
		}
		set = set[len("keep"):]
		var others [][2]string
		for _, p := range got {
			if p[0] != key {
				others = append(others, p)
			}
		}
		if after := iterPairs(t, set); !equalPairs(after, append(others, [2]string{key, "new\x01value"})) {
			t.Fatalf("AppendPropertiesWith(%q) parses to %q; want the others %q then the key", key, after, others)
		}

		// Join with itself: a separator is inserted when the first half is
		// unterminated, so both halves parse on their own.
		joined := message.JoinProperties(nil, props, props)
		if after := iterPairs(t, joined); !equalPairs(after, append(append([][2]string(nil), got...), got...)) {
			t.Fatalf("JoinProperties(%q, itself) parses to %q, want the pairs twice", props, after)
		}
	})
}
