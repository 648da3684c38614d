//go:build javadiff

package message_test

import (
	"bytes"
	"encoding/hex"
	"math/rand"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/quivermq/quiver/message"
)

// TestJavaHashDifferential runs random, mostly malformed, UTF-8 through a
// local JDK (testdata/JavaHash.java) and through JavaHashCode. It needs
// java 11+ on PATH.
func TestJavaHashDifferential(t *testing.T) {
	java, err := exec.LookPath("java")
	if err != nil {
		t.Skip("no java on PATH")
	}
	edge := []byte{0x00, 0x01, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf,
		0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xf7, 0xf8, 0xfe, 0xff}
	valid := []string{"a", "é", "标", "😀", "𝄞", "\uffff", "\u0800", "\U0010ffff", "\U00010000"}
	rng := rand.New(rand.NewSource(1))
	var in bytes.Buffer
	var inputs [][]byte
	for i := 0; i < 100000; i++ {
		var b []byte
		for j := rng.Intn(10); j > 0; j-- {
			switch k := rng.Intn(10); {
			case k < 4:
				b = append(b, valid[rng.Intn(len(valid))]...)
			case k < 6:
				v := valid[rng.Intn(len(valid))]
				b = append(b, v[:rng.Intn(len(v)+1)]...)
			case k < 8:
				b = append(b, edge[rng.Intn(len(edge))])
			default:
				b = append(b, byte(rng.Intn(256)))
			}
		}
		inputs = append(inputs, b)
		if len(b) == 0 {
			in.WriteString("-\n")
		} else {
			in.WriteString(hex.EncodeToString(b) + "\n")
		}
	}
	cmd := exec.Command(java, "testdata/JavaHash.java")
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(inputs) {
		t.Fatalf("java printed %d lines for %d inputs", len(lines), len(inputs))
	}
	for i, line := range lines {
		f := strings.Fields(line)
		want, _ := strconv.ParseInt(f[1], 10, 32)
		if got := message.JavaHashCode(inputs[i]); got != int32(want) {
			t.Fatalf("%s: got %d, java %d", f[0], got, want)
		}
	}
}
