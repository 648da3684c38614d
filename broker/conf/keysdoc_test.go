package conf

import (
	"bytes"
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite KEYS.md")

// TestKeysDoc keeps KEYS.md equal to WriteKeyTable's output.
func TestKeysDoc(t *testing.T) {
	var b bytes.Buffer
	if err := WriteKeyTable(&b); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("KEYS.md", b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	have, err := os.ReadFile("KEYS.md")
	if err != nil || !bytes.Equal(have, b.Bytes()) {
		t.Fatalf("KEYS.md is stale (%v); run go test ./broker/conf -run TestKeysDoc -update", err)
	}
}
