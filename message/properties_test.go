package message_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/quivermq/quiver/message"
)

func TestAppendProperty(t *testing.T) {
	var b []byte
	b = message.AppendProperty(b, message.PropertyTags, "tagA")
	b = message.AppendProperty(b, []byte("KEYS"), []byte("k1 k2"))
	if want := "TAGS\x01tagA\x02KEYS\x01k1 k2\x02"; string(b) != want {
		t.Fatalf("got %q, want %q", b, want)
	}
}

// Java's string2messageProperties: split on 0x02, split each segment at its
// first 0x01, skip empty keys and values; HashMap, so the last duplicate
// wins.
func TestPropertyLookup(t *testing.T) {
	for _, tc := range []struct {
		props, key string
		want       string
		ok         bool
	}{
		{"", "TAGS", "", false},
		{"TAGS\x01a\x02", "TAGS", "a", true},
		{"TAGS\x01a", "TAGS", "a", true}, // no trailing separator
		{"\x01v\x02TAGS\x01a\x02", "TAGS", "a", true},
		{"\x01v\x02", "", "", false}, // empty key never matches
		{"TAGS\x01\x02", "TAGS", "", false},
		{"TAGS\x01\x02TAGS\x01b\x02", "TAGS", "b", true},
		{"TAGS\x01a\x02TAGS\x01b\x02", "TAGS", "b", true},    // last wins
		{"TAGS\x01a\x02TAGS\x01\x02", "TAGS", "a", true},     // an empty value does not override
		{"TAGS\x01a\x02TAGS\x02", "TAGS", "a", true},         // nor does a segment without 0x01
		{"K\x01a\x01b\x02", "K", "a\x01b", true},             // value keeps later 0x01
		{"K\x01\x01b\x02", "K", "\x01b", true},               // split at the first 0x01 only
		{"TAGS\x02", "TAGS", "", false},                      // no 0x01 in the segment
		{"TAGS\x02K\x01v\x02", "TAGS", "", false},            // 0x01 of the next segment does not count
		{"\x02\x02TAGS\x01x\x02\x02", "TAGS", "x", true},     // empty segments
		{"TAGSX\x01a\x02", "TAGS", "", false},                // exact key match
		{"XTAGS\x01a\x02TAGS\x01b", "TAGS", "b", true},       // last segment without 0x02
		{"A\x01\xe6\xa0\x87\x02", "A", "\xe6\xa0\x87", true}, // UTF-8 value
	} {
		got, ok := message.Property([]byte(tc.props), tc.key)
		if string(got) != tc.want || ok != tc.ok {
			t.Errorf("Property(%q, %q) = %q, %v; want %q, %v", tc.props, tc.key, got, ok, tc.want, tc.ok)
		}
		if message.HasProperty([]byte(tc.props), tc.key) != tc.ok {
			t.Errorf("HasProperty(%q, %q) != %v", tc.props, tc.key, tc.ok)
		}
	}
}

func TestPropertyIter(t *testing.T) {
	props := []byte("\x02A\x01a\x02\x01x\x02B\x01\x02C\x01c\x01c\x02NOSEP\x02A\x01z")
	want := []string{"A=a", "C=c\x01c", "A=z"}
	var got []string
	it := message.NewPropertyIter(props)
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		got = append(got, string(k)+"="+string(v))
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("iter %q, want %q", got, want)
	}
	got = got[:0]
	for k, v := range message.AllProperties(props) {
		got = append(got, string(k)+"="+string(v))
		if len(got) == 2 {
			break
		}
	}
	if strings.Join(got, ",") != strings.Join(want[:2], ",") {
		t.Fatalf("AllProperties %q", got)
	}
	var zero message.PropertyIter
	if _, _, ok := zero.Next(); ok {
		t.Fatal("zero iter yielded")
	}
}

func TestRewriteProperties(t *testing.T) {
	props := []byte("WAIT\x01true\x02TAGS\x01a\x02\x01junk\x02KEYS\x01k\x02WAIT\x01false")
	got := message.AppendPropertiesExcept([]byte("pre|"), props, message.PropertyWaitStoreMsgOK)
	if want := "pre|TAGS\x01a\x02KEYS\x01k\x02"; string(got) != want {
		t.Fatalf("except: %q, want %q", got, want)
	}
	got = message.AppendPropertiesExcept(nil, props, message.PropertyWaitStoreMsgOK, message.PropertyTags, message.PropertyKeys)
	if len(got) != 0 {
		t.Fatalf("except all: %q", got)
	}
	got = message.AppendPropertiesWith(nil, props, message.PropertyTags, "b")
	if want := "WAIT\x01true\x02KEYS\x01k\x02WAIT\x01false\x02TAGS\x01b\x02"; string(got) != want {
		t.Fatalf("with: %q, want %q", got, want)
	}
	if v, _ := message.Property(got, message.PropertyTags); string(v) != "b" {
		t.Fatalf("replaced TAGS = %q", v)
	}
	got = message.AppendPropertiesWith(nil, nil, message.PropertyCluster, []byte("DefaultCluster"))
	if string(got) != "CLUSTER\x01DefaultCluster\x02" {
		t.Fatalf("with on empty: %q", got)
	}
}

func TestJoinProperties(t *testing.T) {
	for _, tc := range []struct{ a, b, want string }{
		{"", "", ""},
		{"", "C\x01x\x02", "C\x01x\x02"},
		{"A\x01a\x02", "", "A\x01a\x02"},
		{"A\x01a\x02", "C\x01x\x02", "A\x01a\x02C\x01x\x02"},
		{"A\x01a", "C\x01x\x02", "A\x01a\x02C\x01x\x02"},
		{"A\x01a", "", "A\x01a"},
	} {
		if got := message.JoinProperties(nil, []byte(tc.a), []byte(tc.b)); string(got) != tc.want {
			t.Errorf("Join(%q, %q) = %q, want %q", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestCheckProperty(t *testing.T) {
	for _, tc := range []struct {
		k, v string
		ok   bool
	}{
		{"TAGS", "a", true},
		{"K", "a\x01b", true},
		{"", "a", false},
		{"K", "", false},
		{"K\x01", "a", false},
		{"K\x02", "a", false},
		{"K", "a\x02", false},
	} {
		err := message.CheckProperty(tc.k, tc.v)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, message.ErrInvalidProperty)) {
			t.Errorf("CheckProperty(%q, %q) = %v", tc.k, tc.v, err)
		}
	}
}

// FuzzProperties checks the scanner against a reference parse of the Java
// rules written independently (strings.Split), and that a rewrite keeps the
// same map.
func FuzzProperties(f *testing.F) {
	f.Add([]byte("TAGS\x01a\x02KEYS\x01k1 k2\x02"))
	f.Add([]byte("\x01\x02\x01\x01\x02a\x01\x01\x02"))
	f.Add([]byte("UNIQ_KEY\x01id1\x02TAGS\x01\x02KEYS\x01a\x02KEYS\x01b\x01c\x02TAGSX\x01y\x02UNIQ_KEY\x01id2"))
	f.Add([]byte("TAGS\x01\x02KEYS\x02UNIQ_KEY\x01\x02KEY\x01S\x02"))
	f.Fuzz(func(t *testing.T, props []byte) {
		ref := map[string]string{}
		for _, seg := range strings.Split(string(props), "\x02") {
			k, v, found := strings.Cut(seg, "\x01")
			if found && k != "" && v != "" {
				ref[k] = v
			}
		}
		for k, v := range ref {
			got, ok := message.Property(props, k)
			if !ok || string(got) != v {
				t.Fatalf("Property(%q) = %q, %v; want %q", k, got, ok, v)
			}
		}
		seen := map[string]string{}
		for k, v := range message.AllProperties(props) {
			seen[string(k)] = string(v)
		}
		if len(seen) != len(ref) {
			t.Fatalf("iter map %q, ref %q", seen, ref)
		}
		tags, keys, uniq := message.DispatchProperties(props)
		for _, c := range []struct {
			key string
			got []byte
		}{{message.PropertyTags, tags}, {message.PropertyKeys, keys}, {message.PropertyUniqKey, uniq}} {
			if v, ok := ref[c.key]; string(c.got) != v || (c.got != nil) != ok {
				t.Fatalf("DispatchProperties %s = %q, want %q (present %v)", c.key, c.got, v, ok)
			}
			if cap(c.got) != len(c.got) {
				t.Fatalf("DispatchProperties %s has room past its value: cap %d", c.key, cap(c.got))
			}
		}
		re := message.AppendPropertiesExcept(nil, props)
		for k, v := range ref {
			if got, _ := message.Property(re, k); string(got) != v {
				t.Fatalf("rewrite lost %q", k)
			}
		}
	})
}
