package filter

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/quivermq/quiver/message"
)

// fuzzProps are the property sets every compiled fuzz input is matched
// against.
var fuzzProps = [][]byte{
	nil,
	props("a", "10", "b", "x", "c", "1.5", "TAGS", "t"),
	props("a", "abc", "b", "true", "d", "-3", "UNIQ_KEY", "u"),
	props("a", "NaN", "b", "10", "c", "10", "$x", "0x1p3"),
	[]byte("a\x01\x02\x01b\x02a\x01\x015\x02b"), // malformed segments
}

func addSeeds(f *testing.F) {
	for _, tc := range matchTests {
		f.Add(tc.expr)
	}
	for _, tc := range compileErrors {
		f.Add(tc.expr)
	}
	for _, s := range []string{
		"a = 1 OR b <> 'x' AND NOT (c BETWEEN 1 AND 2) OR d NOT IN ('a','b') OR e IS NOT NULL",
		strings.Repeat("(", 50) + "a" + strings.Repeat(")", 50),
		strings.Repeat("NOT ", 60) + "a",
		"a = - - - - 5 AND b > .5e-3 AND c < 10L",
		"/* x */ a -- y\n = 'z''z'",
	} {
		f.Add(s)
	}
}

// FuzzCompile checks that Compile never panics and stays fast on any
// input, that its errors are well-formed SyntaxErrors, and that an
// accepted expression evaluates without panicking and survives a round
// trip through String with the same results.
func FuzzCompile(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, expr string) {
		start := time.Now()
		e, err := Compile(expr)
		if d := time.Since(start); d > time.Second {
			t.Fatalf("Compile took %v on %d bytes", d, len(expr))
		}
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || !errors.Is(err, ErrSyntax) {
				t.Fatalf("error %T %v", err, err)
			}
			if se.Offset < 0 || se.Offset > len(expr) || se.Line < 1 || se.Column < 1 || se.Msg == "" {
				t.Fatalf("bad position in %+v", se)
			}
			return
		}
		s := e.String()
		e2, err := Compile(s)
		if err != nil {
			t.Fatalf("String %q of %q does not compile: %v", s, expr, err)
		}
		if s2 := e2.String(); s2 != s {
			t.Fatalf("String not stable: %q then %q", s, s2)
		}
		for _, p := range fuzzProps {
			if r1, r2 := e.eval(p), e2.eval(p); r1 != r2 {
				t.Fatalf("%q and its String %q differ on %q: %d, %d", expr, s, p, r1, r2)
			}
		}
	})
}

// FuzzMatch evaluates fixed expressions against arbitrary properties
// strings: no panic, and Match agrees with eval.
func FuzzMatch(f *testing.F) {
	for _, p := range fuzzProps {
		f.Add(p)
	}
	f.Add([]byte("a\x01 7\x02b\x01\uff11\x02c\x010x1p-1074\x02"))
	exprs := []*Expr{
		mustCompile("a > 5 OR b = 'x' OR c BETWEEN 1 AND 2.5"),
		mustCompile("a = TRUE AND NOT b IS NULL OR c IN ('1', '2') OR a < b"),
		mustCompile("a <> b OR -c = 1 OR d NOT BETWEEN -1 AND 1e300"),
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		for _, e := range exprs {
			r := e.eval(p)
			if r > triErr {
				t.Fatalf("eval = %d", r)
			}
			if e.Match(p) != (r == triTrue) {
				t.Fatal("Match disagrees with eval")
			}
		}
	})
}

// FuzzScan checks the one-pass property scan Match uses against
// message.Property, name by name, on arbitrary properties strings.
func FuzzScan(f *testing.F) {
	for _, p := range fuzzProps {
		f.Add(p)
	}
	f.Add([]byte("a\x01x\x02a\x01\x02b\x01y\x01z\x02\x02c"))
	names := []string{"a", "b", "c", "d", "ab", "TAGS", "$x", "a1", "b1", "c1", "d1", "e1", "f1", "g1", "h1", "i1", "j1", "k1", "l1"}
	var sb strings.Builder
	for i, n := range names {
		if i > 0 {
			sb.WriteString(" OR ")
		}
		sb.WriteString(n + " IS NULL")
	}
	e := mustCompile(sb.String())
	f.Fuzz(func(t *testing.T, p []byte) {
		c := evalCtx{e: e, props: p}
		for _, n := range e.Properties() {
			pn := &node{op: opProp, name: n, slot: slotOf(e, n)}
			got, gotOK := c.property(pn)
			want, wantOK := message.Property(p, n)
			if gotOK != wantOK || !bytes.Equal(got, want) {
				t.Fatalf("%q in %q: got %q %v, want %q %v", n, p, got, gotOK, want, wantOK)
			}
		}
		for off := 0; off <= len(p) && off < 24; off++ {
			want := bytes.IndexByte(p[off:], message.PropertySeparator)
			if want < 0 {
				want = len(p)
			} else {
				want += off
			}
			if got := indexSeparator(p, off); got != want {
				t.Fatalf("indexSeparator(%q, %d) = %d, want %d", p, off, got, want)
			}
		}
	})
}

func slotOf(e *Expr, name string) int {
	for i, n := range e.names {
		if n == name {
			return i
		}
	}
	return -1
}
