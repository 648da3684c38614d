package filter

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// numberInputs are the strings TestJavaNumbers converts: hand-picked edge
// cases, then random ones over an alphabet of number characters.
func numberInputs() []string {
	in := []string{
		"0", "-0", "+0", "00", "7", "+7", "-7", "+", "-", "", " 7", "7 ", "\t7", "1_000", "0x10",
		"2147483647", "2147483648", "-2147483648", "-2147483649", "9223372036854775807",
		"9223372036854775808", "-9223372036854775808", "-9223372036854775809", "99999999999999999999",
		"\uff11\uff12", "-\u0661\u0662", "\u0966", "\U0001d7ce", "1\u00a0", "\u00a01", "1\x00", "\x001",
		"1.5", "-1.5", ".5", "5.", ".", "-.", "+.5", "1e3", "1E3", "1e+3", "1e-3", "1e", "1e+", "e1",
		"1.5e3", "1.e3", ".5e1", "1.5f", "1.5F", "1.5d", "1.5D", "1.5ff", "1f ", " 1.5d ", "1.5L", "1.5x",
		"NaN", "-NaN", "+NaN", "nan", "NaNd", "Infinity", "-Infinity", "+Infinity", "infinity", "Inf",
		"Infinityf", "1..2", "1.2.3", "--1", "+-1", "0x1p3", "0X1P3", "-0x1p3", "0x1.8p1", "0x.8p1",
		"0x1.p1", "0x.p1", "0x1", "0x1p", "0x1p+", "0x1p3f", "0xgp1", "0x1P-1074", "0x1p-1075",
		"0x1p1023", "0x1.fffffffffffffp1023", "0x1.fffffffffffff8p1023", "0x1p1024", "0x1p99999999999",
		"1e308", "1.7976931348623157e308", "1.7976931348623158e308", "1.7976931348623159e308", "1e309",
		"1e99999999999999999999", "-1e400", "1e-320", "4.9e-324", "2.4e-324", "2.5e-324", "1e-400",
		"1e-99999999999999999999", "0e99999999999", "0.000000000000000000000000000001",
		"123456789012345678901234567890", "00000000000000000000000000000000001.5", "1" + strings.Repeat("0", 400),
		"0." + strings.Repeat("0", 400) + "1", "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497791",
		"179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497792",
		"17976931348623158079372897140530341507993413271003782693617377898044496829276475094664901797758720709633028641669288791094655554785194040263065748867150582068190890200070838367627385484581771153176447573027006985557136695962284291481986083493647529271907416844436551070434271155969950809304288017790417449779.2e1",
		"1.7976931348623158079372897140530341507993413271003782693617377898044496829276475094664901797758720709633028641669288791094655554785194040263065748867150582068190890200070838367627385484581771153176447573027006985557136695962284291481986083493647529271907416844436551070434271155969950809304288017790417449779e308",
	}
	r := rand.New(rand.NewSource(7))
	const alphabet = "0123456789000111+-..eEfFdDxXpPaNI \t"
	for i := 0; i < 3000; i++ {
		b := make([]byte, 1+r.Intn(9))
		for j := range b {
			b[j] = alphabet[r.Intn(len(alphabet))]
		}
		in = append(in, string(b))
	}
	return in
}

func TestJavaNumbers(t *testing.T) {
	const file = "testdata/java_numbers.txt"
	inputs := numberInputs()
	if cp := os.Getenv("QUIVER_FILTER_ORACLE_CP"); cp != "" {
		var in strings.Builder
		for _, s := range inputs {
			in.WriteString(hex.EncodeToString([]byte(s)) + "\n")
		}
		cmd := exec.Command("java", "-cp", cp, "Nums")
		cmd.Stdin = strings.NewReader(in.String())
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		head := "# Integer.valueOf Long.valueOf Double.valueOf(raw bits) of numberInputs() (javanum_test.go), by Java 17.\n" +
			fmt.Sprintf("inputs %d\n", len(inputs))
		if err := os.WriteFile(file, append([]byte(head), out...), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		switch l := sc.Text(); {
		case strings.HasPrefix(l, "#"):
		case strings.HasPrefix(l, "inputs "):
			if l != fmt.Sprintf("inputs %d", len(inputs)) {
				t.Fatalf("%s is for other inputs: regenerate it", file)
			}
		default:
			lines = append(lines, l)
		}
	}
	if len(lines) != len(inputs) {
		t.Fatalf("%d results for %d inputs", len(lines), len(inputs))
	}
	for i, s := range inputs {
		f := strings.Fields(lines[i])
		if len(f) != 3 {
			t.Fatalf("line %d: %q", i, lines[i])
		}
		check := func(what string, v int64, ok bool, want string) {
			got := "E"
			if ok {
				got = strconv.FormatInt(v, 10)
			}
			if got != want {
				t.Errorf("%s(%q) = %s, Java %s", what, s, got, want)
			}
		}
		v, ok := parseJavaInt([]byte(s), 32)
		check("Integer.valueOf", v, ok, f[0])
		v, ok = parseJavaInt([]byte(s), 64)
		check("Long.valueOf", v, ok, f[1])
		d, ok := parseJavaDouble([]byte(s))
		switch {
		case f[2] == "E":
			if ok {
				t.Errorf("Double.valueOf(%q) = %v, Java fails", s, d)
			}
		case !ok:
			t.Errorf("Double.valueOf(%q) fails, Java %s", s, f[2])
		default:
			bits, err := strconv.ParseUint(f[2], 16, 64)
			if err != nil {
				t.Fatal(err)
			}
			want := math.Float64frombits(bits)
			if math.Float64bits(d) != bits && !(math.IsNaN(d) && math.IsNaN(want)) {
				t.Errorf("Double.valueOf(%q) = %v (%x), Java %v (%s)", s, d, math.Float64bits(d), want, f[2])
			}
		}
	}
}

// TestDigitRanges checks what digitValue relies on: every BMP range of
// Unicode Nd is one run of the ten digits 0..9.
func TestDigitRanges(t *testing.T) {
	for _, rg := range unicode.Digit.R16 {
		if rg.Stride != 1 || (rg.Hi-rg.Lo+1)%10 != 0 {
			t.Errorf("range %x-%x stride %d", rg.Lo, rg.Hi, rg.Stride)
		}
	}
	for r := rune(0); r <= 0xffff; r++ {
		d := digitValue(r)
		if unicode.IsDigit(r) != (d >= 0) {
			t.Fatalf("digitValue(%U) = %d", r, d)
		}
	}
	if digitValue('7') != 7 || digitValue('\uff19') != 9 || digitValue('\u0660') != 0 || digitValue('\U0001d7cf') != -1 {
		t.Error("digitValue")
	}
}

func TestJavaDoubleCompare(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	negZero := math.Copysign(0, -1)
	for _, tc := range []struct {
		a, b float64
		want int
	}{
		{1, 2, -1}, {2, 1, 1}, {1, 1, 0}, {negZero, 0, -1}, {0, negZero, 1}, {nan, nan, 0},
		{nan, inf, 1}, {inf, nan, -1}, {-inf, 0, -1},
	} {
		if got := javaDoubleCompare(tc.a, tc.b); got != tc.want {
			t.Errorf("compare(%v, %v) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
	if !parseJavaBool([]byte("tRuE")) || parseJavaBool([]byte("true ")) || parseJavaBool([]byte("1")) {
		t.Error("parseJavaBool")
	}
}
