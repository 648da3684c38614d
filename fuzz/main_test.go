package fuzz

import (
	"flag"
	"os"
	"testing"
)

// defaultMinimizeTime replaces go test's 60 s default for
// -fuzzminimizetime. Go's minimizer tries removing every sub-range of an
// input, which is quadratic in its size; the client-go seed frames are
// 0.4–1.9 KB, and with the default a 60 s run of FuzzFrameSplitter spent 55 s
// minimizing new inputs derived from them instead of fuzzing. An explicit
// -fuzzminimizetime on the command line still wins.
const defaultMinimizeTime = "5s"

func TestMain(m *testing.M) {
	flag.Parse()
	explicit := false
	flag.Visit(func(f *flag.Flag) {
		if f.Name == "test.fuzzminimizetime" {
			explicit = true
		}
	})
	if !explicit && flag.Lookup("test.fuzzminimizetime") != nil {
		if err := flag.Set("test.fuzzminimizetime", defaultMinimizeTime); err != nil {
			panic(err)
		}
	}
	os.Exit(m.Run())
}
