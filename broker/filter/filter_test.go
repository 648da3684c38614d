package filter

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/quivermq/quiver/message"
)

// mustCompile is Compile for expressions known to be valid.
func mustCompile(expr string) *Expr {
	e, err := Compile(expr)
	if err != nil {
		panic(err)
	}
	return e
}

// props builds a properties string from key, value pairs.
func props(kv ...string) []byte {
	var p []byte
	for i := 0; i+1 < len(kv); i += 2 {
		p = message.AppendProperty(p, kv[i], kv[i+1])
	}
	return p
}

// matchTests pin the Java semantics case by case. want is what 4.9.4's
// evaluate returns: T TRUE, F FALSE, N null, X an exception (the broker
// then does not deliver). Only T matches. Every row was checked against
// RocketMQ 4.9.4 itself (TestTableAgainstJava).
var matchTests = []struct {
	expr  string
	props []byte
	want  byte
}{
	// Numbers: the property string converts to the literal's type.
	{"a > 5", props("a", "10"), 'T'},
	{"a > 5", props("a", "5"), 'F'},
	{"a >= 5", props("a", "5"), 'T'},
	{"a < 5", props("a", "-3"), 'T'},
	{"a <= 5", props("a", "+5"), 'T'},
	{"a > 5", props("a", "abc"), 'X'},
	{"a > 5", props("a", "10.5"), 'X'},       // Integer.valueOf fails
	{"a > 5.0", props("a", "10.5"), 'T'},     // Double.valueOf
	{"a > 5", props("a", "3000000000"), 'X'}, // beyond int: 5 is an Integer
	{"a > 5L", props("a", "3000000000"), 'X'},
	{"a > 2147483648", props("a", "3000000000"), 'T'}, // a Long literal
	{"a > 5", props("a", " 10"), 'X'},                 // Integer.valueOf does not trim
	{"a > 5.0", props("a", " 10 "), 'T'},              // Double.valueOf does
	{"a > 5.0", props("a", "1e1"), 'T'},
	{"a > 5.0", props("a", "10f"), 'T'},
	{"a > 5.0", props("a", "0x1p4"), 'T'},
	{"a > 5.0", props("a", "NaN"), 'T'}, // Double.compare puts NaN above all
	{"a > 5", props("a", "１２"), 'T'},    // fullwidth digits: Character.digit
	{"a = 10", props("a", "10"), 'T'},
	{"a = 10", props("a", "010"), 'T'},
	{"a = 10.0", props("a", "10"), 'T'},
	{"a = 1", props("a", "1.0"), 'X'},
	{"a <> 1", props("a", "abc"), 'X'},
	{"10 = a", props("a", "10"), 'T'},
	{"5 < a", props("a", "10"), 'T'},
	{"a = -5", props("a", "-5"), 'T'},
	{"a = - -5", props("a", "5"), 'T'},
	{"a > -a", props("a", "5"), 'N'}, // -a is null: a property is not a number
	{"-a = -b", nil, 'T'},            // null = null
	{"a BETWEEN 1 AND 10", props("a", "1"), 'T'},
	{"a BETWEEN 1 AND 10", props("a", "10"), 'T'},
	{"a BETWEEN 1 AND 10", props("a", "11"), 'F'},
	{"a BETWEEN 1 AND 10", props("a", "x"), 'X'},
	{"a NOT BETWEEN 1 AND 10", props("a", "11"), 'T'},
	{"a NOT BETWEEN 1 AND 10", props("a", "5"), 'F'},
	{"a between -1 and -5", props("a", "-3"), 'F'}, // negated bounds are not checked
	{"a BETWEEN b AND c", props("a", "5", "b", "1", "c", "9.5"), 'T'},
	// Two properties: < <= > >= read both as doubles; = compares strings.
	{"a > b", props("a", "10", "b", "9"), 'T'},
	{"a > b", props("a", "10", "b", "x"), 'X'},
	{"a = b", props("a", "1", "b", "1.0"), 'F'},
	{"a = b", props("a", "x", "b", "x"), 'T'},
	// Strings.
	{"a = 'abc'", props("a", "abc"), 'T'},
	{"a = 'abc'", props("a", "ABC"), 'F'},
	{"a = 'it''s'", props("a", "it's"), 'T'},
	{"a = ''", props("a", "x"), 'F'},
	{"a <> 'abc'", props("a", "x"), 'T'},
	{"'abc' = a", props("a", "abc"), 'T'},
	{"a = 'é'", props("a", "é"), 'T'},
	{"TAGS = 'TagA'", props("TAGS", "TagA", "KEYS", "k1"), 'T'},
	{"A = 'x'", props("a", "x"), 'N'}, // names are case-sensitive
	// IN.
	{"a IN ('x', 'y')", props("a", "y"), 'T'},
	{"a IN ('x', 'y')", props("a", "z"), 'F'},
	{"a NOT IN ('x', 'y')", props("a", "z"), 'T'},
	{"a NOT IN ('x', 'y')", props("a", "x"), 'F'},
	{"a IN ('x')", nil, 'N'},
	{"a NOT IN ('x')", nil, 'N'},
	{"a IN ('1','2','3','4','5','6','7','8','9','10')", props("a", "10"), 'T'},
	{"a IN ('1','2','3','4','5','6','7','8','9','10')", props("a", "11"), 'F'},
	{"a IN ('10')", props("a", "10.0"), 'F'},
	// Booleans.
	{"a = TRUE", props("a", "true"), 'T'},
	{"a = TRUE", props("a", "TRUE"), 'T'},
	{"a = TRUE", props("a", "yes"), 'F'},
	{"a = FALSE", props("a", "yes"), 'T'},
	{"TRUE = a", props("a", "true"), 'X'}, // Java casts the Boolean to String
	{"TRUE = a", nil, 'F'},
	{"a", props("a", "true"), 'F'}, // a String is not a Boolean
	{"a", nil, 'N'},
	{"NOT a", props("a", "x"), 'T'},
	{"a = 'true'", props("a", "true"), 'T'},
	{"TRUE", nil, 'T'},
	{"FALSE", nil, 'F'},
	{"NULL", nil, 'N'},
	{"TRUE = TRUE", nil, 'T'},
	{"5 = TRUE", nil, 'F'},
	{"5 <> TRUE", nil, 'T'},
	{"(a = 1) = (b = 1)", props("a", "1", "b", "2"), 'F'},
	{"(a = 1) = (b = 1)", props("a", "2", "b", "2"), 'T'},
	{"'true' = (a = 1)", props("a", "1"), 'T'},
	{"(a = 1) = 'true'", props("a", "1"), 'X'},
	// NULL: a missing property.
	{"a > 5", nil, 'N'},
	{"a = 5", nil, 'N'},
	{"a <> 5", nil, 'N'},
	{"NOT (a = 5)", nil, 'N'},
	{"a = b", props("a", "1"), 'F'}, // only the right side null: FALSE
	{"a = b", props("b", "1"), 'N'}, // only the left side null: NULL
	{"a <> b", props("a", "1"), 'T'},
	{"a = b", nil, 'T'}, // both null
	{"a IS NULL", nil, 'T'},
	{"a IS NULL", props("a", "x"), 'F'},
	{"a IS NOT NULL", props("a", "x"), 'T'},
	{"a is not null", nil, 'F'},
	{"(a > 5) IS NULL", nil, 'T'},
	{"(a > 5) IS NULL", props("a", "x"), 'X'},
	{"a > 5 AND b = 1", props("b", "2"), 'F'}, // NULL AND FALSE
	{"a > 5 AND b = 1", props("b", "1"), 'N'}, // NULL AND TRUE
	{"a > 5 OR b = 1", props("b", "1"), 'T'},  // NULL OR TRUE
	{"a > 5 OR b = 1", props("b", "2"), 'N'},  // NULL OR FALSE
	{"NOT (a > 5 OR b = 1)", props("b", "2"), 'N'},
	// Errors end the evaluation unless an earlier operand decided it.
	{"a > 5 OR b = 1", props("a", "x", "b", "1"), 'X'},
	{"b = 1 OR a > 5", props("a", "x", "b", "1"), 'T'},
	{"b = 1 AND a > 5", props("a", "x", "b", "2"), 'F'},
	{"a > 5 AND b = 1", props("a", "x", "b", "2"), 'X'},
	// Precedence: NOT binds to the next operand; AND before OR.
	{"NOT a = 1", props("a", "1"), 'F'},   // (NOT a) = 1: a Boolean against an Integer
	{"NOT a = 1", props("a", "2"), 'F'},   //
	{"NOT (a = 1)", props("a", "2"), 'T'}, //
	{"a = 1 OR b = 1 AND c = 1", props("a", "1"), 'T'},
	{"(a = 1 OR b = 1) AND c = 1", props("a", "1"), 'N'},
	{"a = 1 OR b = 1 AND c = 1", props("a", "2", "b", "1", "c", "2"), 'F'},
	{"NOT a = 1 OR b = 2", props("b", "2"), 'T'},
	// Keywords in any case, comments.
	{"a between 1 and 10 AnD b iN ('x') oR c Is NuLl", props("a", "5", "b", "x", "c", "1"), 'T'},
	{"a = 1 -- comment\n AND b = 2", props("a", "1", "b", "2"), 'T'},
	{"a /* one */ = /* two */ 1", props("a", "1"), 'T'},
	{"$a_1 = 'x'", props("$a_1", "x"), 'T'},
	// Literals.
	{"a = 10L", props("a", "10"), 'T'},
	{"a = .5", props("a", "0.5"), 'T'},
	{"a = 5.", props("a", "5"), 'T'},
	{"a = 1E3", props("a", "1000"), 'T'},
	{"a = 1e-2", props("a", "0.01"), 'T'},
	{"a > 9223372036854775807", props("a", "9223372036854775807"), 'F'},
	{"a > 9223372036854775806", props("a", "9223372036854775808"), 'X'},
	// Duplicated keys: the last wins, as in Java's HashMap.
	{"a = 'two'", props("a", "one", "a", "two"), 'T'},
	// Typical client-go properties.
	{"age >= 20 AND sex = 'f'", props("UNIQ_KEY", "7F000001", "TAGS", "t", "KEYS", "k", "WAIT", "true", "age", "21", "sex", "f"), 'T'},
}

func TestMatch(t *testing.T) {
	for _, tc := range matchTests {
		e, err := Compile(tc.expr)
		if err != nil {
			t.Errorf("Compile(%q): %v", tc.expr, err)
			continue
		}
		if got := "FTNX"[e.eval(tc.props)]; got != tc.want {
			t.Errorf("%q with %q: got %c, want %c", tc.expr, tc.props, got, tc.want)
		}
		if got, want := e.Match(tc.props), tc.want == 'T'; got != want {
			t.Errorf("%q with %q: Match = %v", tc.expr, tc.props, got)
		}
	}
}

// compileErrors are expressions Java rejects (all but the last group), with
// a piece of the message and the 1-based column the error must point at.
var compileErrors = []struct {
	expr   string
	column int
	msg    string
}{
	{"", 1, "found end of expression"},
	{"   ", 4, "found end of expression"},
	{"a =", 4, "found end of expression"},
	{"a = 1 AND", 10, "found end of expression"},
	{"(a = 1", 7, "expected ')'"},
	{"a == 1", 4, "found '='"},
	{"a != 1", 3, "unexpected character '!'"},
	{"a = \"x\"", 5, "single quotes"},
	{"a = 'x", 5, "unterminated string"},
	{"a = 1 /* x", 7, "unterminated comment"},
	{"a # 1", 3, "unexpected character '#'"},
	{"'abc'", 1, "expected a condition"},
	{"5", 1, "expected a condition"},
	{"-a", 1, "expected a condition"},
	{"a = 1 AND 5", 11, "expected a condition"},
	{"NOT 'x'", 5, "expected a condition"},
	{"a = NULL", 5, "NULL cannot be compared"},
	{"NULL <> a", 1, "NULL cannot be compared"},
	{"TRUE = 5", 1, "cannot be compared with '5'"},
	{"TRUE = 'x'", 1, "cannot be compared"},
	{"a > 'x'", 5, "cannot be compared with '>'"},
	{"'x' < a", 1, "cannot be compared with '<'"},
	{"a > TRUE", 5, "cannot be compared"},
	{"a >= NULL", 6, "cannot be compared"},
	{"NOT a > 1", 1, "the condition"},
	{"a > 1 > 2", 1, "the condition"},
	{"a BETWEEN 'a' AND 'b'", 11, "cannot be compared"},
	{"a BETWEEN 10 AND 1", 11, "out of order"},
	{"a BETWEEN 1.5 AND 1", 11, "out of order"},
	{"a BETWEEN 1", 12, "expected AND"},
	{"a BETWEEN NULL AND 1", 11, "cannot be compared"},
	{"(a = 1) BETWEEN 1 AND 2", 1, "the condition '(a = 1)'"},
	{"a IN ()", 7, "expected a string literal"},
	{"a IN (1, 2)", 7, "expected a string literal"},
	{"a IN 'x'", 6, "expected '('"},
	{"a IN ('x' 'y')", 11, "expected ',' or ')'"},
	{"5 IN ('x')", 1, "IN needs a property"},
	{"-a IN ('x')", 1, "IN needs a property"},
	{"a NOT LIKE 'x'", 7, "LIKE is not supported"},
	{"a IS 5", 6, "expected NULL or NOT NULL"},
	{"a IS NOT 5", 10, "expected NULL or NOT NULL"},
	{"a = 9223372036854775808", 5, "out of range"},
	{"a = 1e999", 5, "out of range"},
	{"a.b = 1", 2, "unexpected character '.'"},
	{"and = 1", 1, "found AND"},
	{"a = 1\n  AND b = )", 11, "found ')'"},
	// Java accepts these, ignoring the rest after "a = 1"; Compile refuses.
	{"a = 1 b = 2", 7, "after a complete expression"},
	{"a = 007", 6, "after a complete expression"},
	{"a = 1 )", 7, "after a complete expression"},
	{"a = 1)", 6, "unexpected ')' after a complete expression"},
	{"a = 0x10", 6, "unexpected 'x10' after"},
	{"a LIKE 'x'", 3, "LIKE is not supported"},
	{"a CONTAINS 'x'", 3, "5.x operator"},
}

// javaAccepts counts the last rows of compileErrors, which Java accepts.
const javaAccepts = 7

func TestCompileErrors(t *testing.T) {
	for _, tc := range compileErrors {
		e, err := Compile(tc.expr)
		if err == nil {
			t.Errorf("Compile(%q) = %v, want an error", tc.expr, e)
			continue
		}
		var se *SyntaxError
		if !errors.As(err, &se) || !errors.Is(err, ErrSyntax) {
			t.Errorf("Compile(%q): %T %v is not a SyntaxError", tc.expr, err, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.msg) || se.Column != tc.column || !strings.HasPrefix(err.Error(), "filter: ") {
			t.Errorf("Compile(%q) = %q (column %d), want column %d and %q", tc.expr, err, se.Column, tc.column, tc.msg)
		}
	}
}

func TestErrorPosition(t *testing.T) {
	_, err := Compile("a = 1 AND\r\n\tb = 'é' AND\n c")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Compile("a = 1 AND\r\n  b = 'é' AND )")
	var se *SyntaxError
	if !errors.As(err, &se) || se.Line != 2 || se.Column != 15 || se.Offset != 26 {
		t.Fatalf("got %+v", err)
	}
	if want := "filter: invalid SQL92 expression at line 2, column 15: "; !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("got %q, want prefix %q", err, want)
	}
}

func TestLimits(t *testing.T) {
	deep := strings.Repeat("(", MaxDepth+1) + "a = 1" + strings.Repeat(")", MaxDepth+1)
	if _, err := Compile(deep); !errors.Is(err, ErrTooComplex) || !errors.Is(err, ErrSyntax) {
		t.Errorf("nesting %d: %v", MaxDepth+1, err)
	}
	ok := strings.Repeat("(", MaxDepth/2) + "a = 1" + strings.Repeat(")", MaxDepth/2)
	if _, err := Compile(ok); err != nil {
		t.Errorf("nesting %d: %v", MaxDepth/2, err)
	}
	if _, err := Compile(strings.Repeat("NOT ", MaxDepth+1) + "a"); !errors.Is(err, ErrTooComplex) {
		t.Errorf("NOT chain: %v", err)
	}
	if _, err := Compile("a" + strings.Repeat(" = a", MaxDepth+1)); !errors.Is(err, ErrTooComplex) {
		t.Errorf("= chain: %v", err)
	}
	long := "a = '" + strings.Repeat("x", MaxLength) + "'"
	if _, err := Compile(long); !errors.Is(err, ErrTooComplex) {
		t.Errorf("long: %v", err)
	}
	// A long flat OR chain is neither deep nor too long.
	var b strings.Builder
	b.WriteString("a = 0")
	for i := 1; i < 3000; i++ {
		b.WriteString(" OR a = 1")
	}
	e, err := Compile(b.String())
	if err != nil {
		t.Fatalf("OR chain: %v", err)
	}
	if !e.Match(props("a", "1")) || e.Match(props("a", "2")) {
		t.Error("OR chain: wrong result")
	}
}

func TestString(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"age >= 20 and sex = 'f'", "(age >= 20) AND (sex = 'f')"},
		{"a = 1 OR b = 2 OR (c = 3 OR d = 4)", "(a = 1) OR (b = 2) OR (c = 3) OR (d = 4)"},
		{"not a = 1", "NOT a = 1"},
		{"NOT (a = 1)", "NOT (a = 1)"},
		{"a not between - 1 and 5.5e3", "a NOT BETWEEN -1 AND 5500.0"},
		{"a in ('x', 'it''s')", "a IN ('x', 'it''s')"},
		{"a is not null /* c */", "a IS NOT NULL"},
		{"a = - - 5L", "a = - -5"},
		{"a = 2147483648", "a = 2147483648"},
		{"a = .5 or a = 1e21", "(a = 0.5) OR (a = 1e+21)"},
		{"TRUE", "TRUE"},
		{"+a", "a"},
		{"(a)", "a"},
	} {
		e, err := Compile(tc.in)
		if err != nil {
			t.Errorf("Compile(%q): %v", tc.in, err)
			continue
		}
		if got := e.String(); got != tc.want {
			t.Errorf("String of %q = %q, want %q", tc.in, got, tc.want)
		}
		if e.Source() != tc.in {
			t.Errorf("Source = %q", e.Source())
		}
	}
	// Every table expression survives a round trip through String.
	for _, tc := range matchTests {
		e := mustCompile(tc.expr)
		e2, err := Compile(e.String())
		if err != nil {
			t.Errorf("%q: String %q does not compile: %v", tc.expr, e.String(), err)
			continue
		}
		if e2.String() != e.String() || e2.eval(tc.props) != e.eval(tc.props) {
			t.Errorf("%q: round trip through %q changed it", tc.expr, e.String())
		}
	}
}

func TestProperties(t *testing.T) {
	e := mustCompile("b = 1 AND a > 2 OR b < 0 AND TAGS IN ('x')")
	if got := strings.Join(e.Properties(), ","); got != "b,a,TAGS" {
		t.Fatalf("Properties = %s", got)
	}
}

func TestMatchDoesNotAllocate(t *testing.T) {
	p := props("UNIQ_KEY", "7F0000011E6418B4AAC2", "TAGS", "TagA", "KEYS", "k1 k2", "WAIT", "true",
		"age", "25", "sex", "f", "price", "19.99", "region", "eu-west", "1", "x")
	for _, expr := range []string{
		"age >= 20 AND sex = 'f'",
		"(region IN ('eu-west', 'us-east') OR price BETWEEN 10 AND 20.5) AND NOT (TAGS = 'TagB') AND age > 3000000000 OR 1 = 1",
		"region IN ('a','b','c','d','e','f','g','h','i','eu-west')",
		"price > 1e1 AND price < 32 OR missing IS NULL",
		"a > 5 OR sex > 1",
		"age > 1e300 OR NOT (sex = TRUE)",
	} {
		e, err := Compile(expr)
		if err != nil {
			t.Fatalf("%q: %v", expr, err)
		}
		if n := testing.AllocsPerRun(200, func() { e.Match(p) }); n != 0 {
			t.Errorf("%q: %v allocations per Match", expr, n)
		}
	}
	for _, v := range []string{"1e308", "0x1p1023", "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497791", "１２", "Infinity"} {
		e := mustCompile("v > 1.5 AND v > 1")
		pv := props("v", v)
		if n := testing.AllocsPerRun(100, func() { e.Match(pv) }); n != 0 {
			t.Errorf("value %q: %v allocations per Match", v, n)
		}
	}
}

// TestTableAgainstJava runs matchTests and compileErrors through RocketMQ
// 4.9.4 when QUIVER_FILTER_ORACLE_CP names the oracle's classes (see
// oracle_test.go).
func TestTableAgainstJava(t *testing.T) {
	cp := os.Getenv("QUIVER_FILTER_ORACLE_CP")
	if cp == "" {
		t.Skip("QUIVER_FILTER_ORACLE_CP not set")
	}
	var cases []oracleCase
	var want []byte
	for _, tc := range matchTests {
		cases = append(cases, oracleCase{tc.expr, tc.props})
		want = append(want, tc.want)
	}
	javaOnly := map[int]bool{}
	for i, tc := range compileErrors {
		cases = append(cases, oracleCase{tc.expr, nil})
		want = append(want, 'E')
		if i >= len(compileErrors)-javaAccepts {
			javaOnly[len(want)-1] = true
		}
	}
	var in strings.Builder
	for _, c := range cases {
		in.WriteString(c.line() + "\n")
	}
	cmd := exec.Command("java", "-cp", cp, "Oracle")
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Fields(string(out))
	for i, c := range cases {
		if javaOnly[i] {
			if got[i] == "E" {
				t.Errorf("%v: Java rejects it too; move it up", c)
			}
			continue
		}
		if got[i] != string(want[i]) {
			t.Errorf("%v: Java %s, table %c", c, got[i], want[i])
		}
	}
}

// TestManyProperties covers expressions reading more properties than one
// scan remembers (memoSlots); the rest are looked up at each use.
func TestManyProperties(t *testing.T) {
	var expr strings.Builder
	var kv []string
	for i := 0; i < memoSlots+4; i++ {
		name := "p" + strings.Repeat("x", i)
		if i > 0 {
			expr.WriteString(" AND ")
		}
		expr.WriteString(name + " = " + string(rune('0'+i%10)))
		kv = append(kv, name, string(rune('0'+i%10)))
	}
	e := mustCompile(expr.String())
	if len(e.Properties()) != memoSlots+4 {
		t.Fatalf("%d properties", len(e.Properties()))
	}
	if !e.Match(props(kv...)) {
		t.Error("all equal: no match")
	}
	kv[len(kv)-1] = "x"
	if got := e.eval(props(kv...)); got != triErr {
		t.Errorf("last one 'x': got %c, want X", "FTNX"[got])
	}
	kv = kv[:len(kv)-2]
	if got := e.eval(props(kv...)); got != triNull {
		t.Errorf("last one missing: got %c, want N", "FTNX"[got])
	}
}
