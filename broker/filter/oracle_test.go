package filter

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/quivermq/quiver/message"
)

// The differential test against Apache RocketMQ 4.9.4.
//
// genCases builds, from a fixed seed, thousands of expressions (most
// grammar-guided, some token soup) each paired with a few property sets.
// testdata/java494.txt holds, for every case in order, what RocketMQ
// 4.9.4's own SelectorParser.parse and Expression.evaluate returned:
//
//	E  parse error        T  TRUE     F  FALSE
//	N  null               X  evaluation exception
//
// TestJavaOracle replays the cases through Compile and eval and requires
// the same answers, except where Compile departs from Java on purpose
// (text after a complete expression; see doc.go): there the expression
// cut at the reported offset must give Java's answer.
//
// To regenerate the file (after changing genCases), build the oracle and
// run the test with its class path:
//
//	F=filter/src/main/java/org/apache/rocketmq/filter
//	git -C <rocketmq> archive rocketmq-all-4.9.4 $F/expression $F/parser $F/constant | tar -x -C /tmp/jf
//	javac -d /tmp/jf/classes $(find /tmp/jf/filter broker/filter/testdata/javaoracle -name '*.java')
//	QUIVER_FILTER_ORACLE_CP=/tmp/jf/classes go test -run TestJavaOracle ./broker/filter/
//
// testdata/javaoracle holds the harness (Oracle.java) and stand-ins for
// the two Guava cache classes SelectorParser imports (no caching).

const (
	oracleFile  = "testdata/java494.txt"
	oracleSeed  = 494
	oracleExprs = 4000
)

type oracleCase struct {
	expr  string
	props []byte
}

func (c oracleCase) line() string {
	return hex.EncodeToString([]byte(c.expr)) + " " + hex.EncodeToString(c.props)
}

func (c oracleCase) String() string {
	var b strings.Builder
	b.WriteString(strconv.Quote(c.expr))
	b.WriteString(" with {")
	it := message.NewPropertyIter(c.props)
	first := true
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		if !first {
			b.WriteString(", ")
		}
		first = false
		fmt.Fprintf(&b, "%s=%q", k, v)
	}
	b.WriteString("}")
	return b.String()
}

// Values chosen to hit every conversion rule.
var genValues = []string{
	"10", "5", "0", "-3", "+7", "007", "2147483647", "2147483648", "-2147483648", "3000000000",
	"9223372036854775807", "9223372036854775808", "abc", "true", "TRUE", "True", "false", "yes",
	"1.5", "-0.5", ".5", "5.", "1e3", "1E-2", "NaN", "-NaN", "Infinity", "-Infinity", "-0", "-0.0",
	" 7", "7 ", "\t8\t", "0x10", "0x1p3", "0X1.8P1", "1.5f", "2d", "1e", "e1", "1..2", "\uff11\uff12",
	"\u0661", "x", "a'b", "10L", "1_0", "1e400", "-1e400", "1e-400", "f", "'", "20", "25", "m", "\u00e9",
}

var genProps = []string{"a", "b", "c", "d", "A", "TAGS"}

var genLiterals = []string{
	"0", "1", "5", "7", "10", "20", "2147483647", "2147483648", "3000000000", "9223372036854775807",
	"10L", "5l", "1.5", ".5", "5.", "1e3", "1E-2", "7.0", "0.5e1",
	"'abc'", "'10'", "'true'", "'TRUE'", "''", "'a''b'", "'7'", "'x'", "'\u00e9'",
	"TRUE", "FALSE", "NULL", "true", "False", "null",
}

var genSoup = []string{
	"a", "b", "c", "=", "<>", "<", "<=", ">", ">=", "AND", "OR", "NOT", "BETWEEN", "IN", "IS",
	"NULL", "TRUE", "FALSE", "(", ")", ",", "+", "-", "1", "2.5", "'s'", "'10'", "and", "not",
	"in", "is", "0", "3000000000", "/* c */", "$x", "_y", "LIKE", "!=", "\"q\"",
}

type caseGen struct {
	r *rand.Rand
}

func (g *caseGen) pick(s []string) string { return s[g.r.Intn(len(s))] }

func (g *caseGen) operand(d int) string {
	switch n := g.r.Intn(12); {
	case d <= 0 || n < 5:
		return g.pick(genProps)
	case n < 9:
		return g.pick(genLiterals)
	case n == 9:
		return "-\x00" + g.operand(d-1)
	case n == 10:
		return "+\x00" + g.operand(d-1)
	default:
		if g.r.Intn(2) == 0 {
			return "(\x00" + g.operand(d-1) + "\x00)"
		}
		return "(\x00" + g.cond(d-1) + "\x00)"
	}
}

func (g *caseGen) cond(d int) string {
	if d <= 0 {
		return g.operand(0) + "\x00" + g.pick([]string{"=", "<>", ">", ">=", "<", "<="}) + "\x00" + g.operand(0)
	}
	switch g.r.Intn(16) {
	case 0, 1, 2:
		return g.operand(d-1) + "\x00" + g.pick([]string{"=", "<>", ">", ">=", "<", "<="}) + "\x00" + g.operand(d-1)
	case 3:
		not := ""
		if g.r.Intn(3) == 0 {
			not = "NOT\x00"
		}
		return g.operand(d-1) + "\x00" + not + "BETWEEN\x00" + g.operand(d-1) + "\x00AND\x00" + g.operand(d-1)
	case 4:
		not := ""
		if g.r.Intn(3) == 0 {
			not = "NOT\x00"
		}
		n := 1 + g.r.Intn(10)
		items := make([]string, n)
		for i := range items {
			items[i] = g.pick(genLiterals[19:28]) // string literals
			if g.r.Intn(3) == 0 {
				items[i] = "'" + strings.ReplaceAll(g.pick(genValues), "'", "''") + "'"
			}
		}
		lhs := g.pick(genProps)
		if g.r.Intn(8) == 0 {
			lhs = g.operand(d - 1)
		}
		return lhs + "\x00" + not + "IN\x00(\x00" + strings.Join(items, "\x00,\x00") + "\x00)"
	case 5:
		not := ""
		if g.r.Intn(2) == 0 {
			not = "NOT\x00"
		}
		return g.operand(d-1) + "\x00IS\x00" + not + "NULL"
	case 6:
		return "NOT\x00" + g.cond(d-1)
	case 7:
		return "NOT\x00(\x00" + g.cond(d-1) + "\x00)"
	case 8, 9:
		return g.cond(d-1) + "\x00AND\x00" + g.cond(d-1)
	case 10, 11:
		return g.cond(d-1) + "\x00OR\x00" + g.cond(d-1)
	case 12:
		return "(\x00" + g.cond(d-1) + "\x00)"
	case 13:
		return g.pick(genProps)
	case 14:
		return g.pick([]string{"TRUE", "FALSE", "NULL"})
	default:
		return "(\x00" + g.cond(d-1) + "\x00)\x00=\x00(\x00" + g.cond(d-1) + "\x00)"
	}
}

// render turns the generator's tokens, separated by NUL, into an
// expression: keywords in random letter case, and between tokens a space,
// nothing, a line break, a tab or a comment. It never joins two '-' (a
// "--" comment without a line break is the one place Compile lexes
// differently from Java on purpose).
func (g *caseGen) render(s string) string {
	toks := strings.Split(s, "\x00")
	var b strings.Builder
	for i, t := range toks {
		for _, kw := range keywords {
			if strings.EqualFold(t, kw.word) && g.r.Intn(3) == 0 {
				c := []byte(t)
				for j := range c {
					if g.r.Intn(2) == 0 {
						c[j] ^= 0x20
					}
				}
				t = string(c)
			}
		}
		if i > 0 {
			switch n := g.r.Intn(20); {
			case n < 12:
				b.WriteByte(' ')
			case n < 15:
				if !strings.HasSuffix(toks[i-1], "-") && !strings.HasPrefix(t, "-") {
					break
				}
				b.WriteByte(' ')
			case n < 17:
				b.WriteByte('\n')
			case n < 18:
				b.WriteString("\t\r\n\f")
			case n < 19:
				b.WriteString("/*c*/")
			default:
				b.WriteString(" -- c\n")
			}
		}
		b.WriteString(t)
	}
	return b.String()
}

func (g *caseGen) props() []byte {
	m := map[string]string{}
	for _, k := range genProps {
		if g.r.Intn(4) != 0 {
			m[k] = g.pick(genValues)
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var p []byte
	p = message.AppendProperty(p, message.PropertyUniqKey, "7F0000011E6418B4AAC2")
	for _, k := range keys {
		if m[k] != "" {
			p = message.AppendProperty(p, k, m[k])
		}
	}
	return p
}

func genCases() []oracleCase {
	g := &caseGen{r: rand.New(rand.NewSource(oracleSeed))}
	var cases []oracleCase
	for i := 0; i < oracleExprs; i++ {
		var expr string
		if g.r.Intn(5) == 0 {
			n := 1 + g.r.Intn(9)
			toks := make([]string, n)
			for j := range toks {
				toks[j] = g.pick(genSoup)
			}
			expr = g.render(strings.Join(toks, "\x00"))
		} else {
			expr = g.render(g.cond(1 + g.r.Intn(4)))
		}
		for j := 0; j < 3; j++ {
			cases = append(cases, oracleCase{expr: expr, props: g.props()})
		}
	}
	return cases
}

func casesDigest(cases []oracleCase) string {
	h := sha256.New()
	for _, c := range cases {
		h.Write([]byte(c.line()))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// goResult is Compile and eval's answer in the oracle's letters.
func goResult(expr string, props []byte) (byte, error) {
	e, err := Compile(expr)
	if err != nil {
		return 'E', err
	}
	return "FTNX"[e.eval(props)], nil
}

func TestJavaOracle(t *testing.T) {
	cases := genCases()
	digest := casesDigest(cases)
	if cp := os.Getenv("QUIVER_FILTER_ORACLE_CP"); cp != "" {
		regenerateOracle(t, cp, cases, digest)
	}
	data, err := os.ReadFile(oracleFile)
	if err != nil {
		t.Fatal(err)
	}
	var results []byte
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "cases "):
			f := strings.Fields(line)
			if len(f) != 4 || f[1] != strconv.Itoa(len(cases)) || f[3] != digest {
				t.Fatalf("%s was made for other cases (%q; now %d cases, digest %s): regenerate it", oracleFile, line, len(cases), digest)
			}
		default:
			results = append(results, line...)
		}
	}
	if len(results) != len(cases) {
		t.Fatalf("%s has %d results for %d cases", oracleFile, len(results), len(cases))
	}
	counts := map[byte]int{}
	deviations := 0
	for i, c := range cases {
		want := results[i]
		counts[want]++
		got, err := goResult(c.expr, c.props)
		if got == want {
			continue
		}
		// Java ignores text after a complete expression; Compile refuses
		// it. The part before must then give Java's answer.
		var se *SyntaxError
		if got == 'E' && want != 'E' && errors.As(err, &se) && strings.Contains(se.Msg, "after a complete expression") {
			deviations++
			got2, err2 := goResult(c.expr[:se.Offset], c.props)
			if got2 == want {
				continue
			}
			t.Errorf("%v: Java %c; prefix %q gives %c (%v)", c, want, c.expr[:se.Offset], got2, err2)
			continue
		}
		t.Errorf("%v: Java %c, Go %c (%v)", c, want, got, err)
	}
	t.Logf("%d cases: %d E, %d T, %d F, %d N, %d X; %d accepted by Java only for trailing text",
		len(cases), counts['E'], counts['T'], counts['F'], counts['N'], counts['X'], deviations)
}

// regenerateOracle runs the Java harness on cases and rewrites oracleFile.
func regenerateOracle(t *testing.T, cp string, cases []oracleCase, digest string) {
	var in bytes.Buffer
	for _, c := range cases {
		in.WriteString(c.line())
		in.WriteByte('\n')
	}
	cmd := exec.Command("java", "-cp", cp, "Oracle")
	cmd.Stdin = &in
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("java oracle: %v", err)
	}
	res := strings.Fields(string(out))
	if len(res) != len(cases) {
		t.Fatalf("java oracle gave %d results for %d cases", len(res), len(cases))
	}
	var b strings.Builder
	b.WriteString("# Apache RocketMQ 4.9.4 SelectorParser.parse + evaluate on genCases() (oracle_test.go).\n")
	b.WriteString("# E parse error, T TRUE, F FALSE, N null, X evaluation exception. Do not edit; regenerate.\n")
	fmt.Fprintf(&b, "cases %d digest %s\n", len(cases), digest)
	for i, r := range res {
		if len(r) != 1 {
			t.Fatalf("case %d: java oracle answered %q", i, r)
		}
		b.WriteString(r)
		if i%100 == 99 || i == len(res)-1 {
			b.WriteByte('\n')
		}
	}
	if err := os.MkdirAll(filepath.Dir(oracleFile), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(oracleFile, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", oracleFile)
}
