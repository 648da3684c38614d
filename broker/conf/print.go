package conf

import (
	"bufio"
	"io"
	"strings"
)

// Print writes every key as key=value in table order (Quiver's fields
// first, then the keys that have no effect), each followed by "# " and
// where the value came from, and "; no effect in Quiver" where that
// holds. Warnings come first, as comment lines. It backs mqbroker -p.
//
// NB: the output is a report, not a broker.conf: a properties reader
// would take the trailing comment as part of the value.
func Print(w io.Writer, c *Config) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("# Quiver broker configuration: key=value  # source\n")
	for _, warn := range c.Warnings {
		bw.WriteString("# warning: " + warn + "\n")
	}
	width := 0
	lines := make([]string, len(table))
	for i := range table {
		k := &table[i]
		lines[i] = k.name + "=" + k.get(c)
		width = max(width, len(lines[i]))
	}
	width = min(width, 64)
	for i := range table {
		k := &table[i]
		bw.WriteString(lines[i])
		bw.WriteString(strings.Repeat(" ", max(1, width-len(lines[i])+2)))
		bw.WriteString("# ")
		bw.WriteString(c.Source(k.name))
		if k.effect == NoEffect {
			bw.WriteString("; no effect in Quiver")
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// WriteKeyTable writes the key table as Markdown: key, other spellings,
// type, RocketMQ default, whether Quiver acts on it, and help. KEYS.md is
// its output (go test -run TestKeysDoc -update regenerates it).
func WriteKeyTable(w io.Writer) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("# broker.conf keys\n\n")
	bw.WriteString("Generated from the key table in table.go by `go test ./broker/conf -run TestKeysDoc -update`; do not edit.\n")
	bw.WriteString("Defaults are RocketMQ 4.9.4's. \"no effect\" keys are accepted and type-checked so that an existing\n")
	bw.WriteString("RocketMQ file loads unchanged, but Quiver does not act on them.\n\n")
	bw.WriteString("| key | also spelled | type | default | in Quiver | meaning |\n")
	bw.WriteString("| --- | --- | --- | --- | --- | --- |\n")
	for _, k := range Keys() {
		d := k.Default
		if d == "" {
			d = "(empty)"
		}
		eff := "acted on"
		if k.Effect == NoEffect {
			eff = "no effect"
		}
		bw.WriteString("| `" + k.Name + "` | " + strings.Join(k.Aliases, ", ") + " | " + k.Type + " | " +
			mdEscape(d) + " | " + eff + " | " + mdEscape(k.Help) + " |\n")
	}
	return bw.Flush()
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
