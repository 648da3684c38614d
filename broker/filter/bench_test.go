package filter

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/quivermq/quiver/message"
)

const (
	benchSimple = "age >= 20 AND sex = 'f'"
	benchHeavy  = "(region IN ('eu-west', 'us-east', 'ap-south') AND price BETWEEN 10 AND 99.5) " +
		"OR (vip = 'true' AND age NOT BETWEEN 18 AND 25) OR TAGS IN ('TagA', 'TagC')"
)

// benchProps returns 32 properties strings shaped like client-go's sends:
// UNIQ_KEY, TAGS, KEYS and WAIT plus 3 to 5 user properties, in varying
// order (client-go marshals a Go map).
func benchProps() [][]byte {
	r := rand.New(rand.NewSource(32))
	regions := []string{"eu-west", "us-east", "ap-south", "sa-east", "cn-north"}
	out := make([][]byte, 32)
	for i := range out {
		pairs := [][2]string{
			{message.PropertyUniqKey, fmt.Sprintf("C0A8010A3E8818B4AAC2644A%08X", r.Uint32())},
			{message.PropertyTags, []string{"TagA", "TagB", "TagC", "TagD"}[r.Intn(4)]},
			{message.PropertyKeys, fmt.Sprintf("order-%d", 100000+r.Intn(900000))},
			{message.PropertyWaitStoreMsgOK, "true"},
			{"age", fmt.Sprint(14 + r.Intn(50))},
			{"sex", []string{"f", "m"}[r.Intn(2)]},
			{"region", regions[r.Intn(len(regions))]},
			{"price", fmt.Sprintf("%d.%02d", r.Intn(200), r.Intn(100))},
			{"vip", []string{"true", "false"}[r.Intn(2)]},
		}
		pairs = pairs[:6+r.Intn(4)] // 2 to 5 user properties after the four system ones
		if len(pairs) == 6 {
			pairs = append(pairs, [2]string{"region", "eu-west"})
		}
		r.Shuffle(len(pairs), func(a, b int) { pairs[a], pairs[b] = pairs[b], pairs[a] })
		var p []byte
		for _, kv := range pairs {
			p = message.AppendProperty(p, kv[0], kv[1])
		}
		out[i] = p
	}
	return out
}

// BenchmarkMatch32 evaluates an expression over 32 messages per
// iteration, as a pull of 32 would.
func BenchmarkMatch32(b *testing.B) {
	ps := benchProps()
	for _, bc := range []struct{ name, expr string }{{"simple", benchSimple}, {"heavy", benchHeavy}} {
		b.Run(bc.name, func(b *testing.B) {
			e := mustCompile(bc.expr)
			matched := 0
			for _, p := range ps {
				if e.Match(p) {
					matched++
				}
			}
			var n int
			for _, p := range ps {
				n += len(p)
			}
			b.SetBytes(int64(n))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for _, p := range ps {
					e.Match(p)
				}
			}
			b.ReportMetric(float64(b.N)*32/b.Elapsed().Seconds(), "evals/s")
			b.ReportMetric(float64(matched), "matched/32")
		})
	}
}

func BenchmarkCompile(b *testing.B) {
	for _, bc := range []struct{ name, expr string }{{"simple", benchSimple}, {"heavy", benchHeavy}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := Compile(bc.expr); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
