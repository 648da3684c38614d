package conf

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/quivermq/quiver/internal/props"
)

// Effect says whether Quiver acts on a key.
type Effect uint8

const (
	// Acted: the broker or the engine honours the key.
	Acted Effect = iota + 1
	// NoEffect: the key is accepted, so that an operator's RocketMQ file
	// loads unchanged, and type-checked, but Quiver does not act on it
	// (thread pools, Netty buffers, features Quiver does differently).
	NoEffect
)

// String returns "acted on" or "accepted, no effect in Quiver".
func (e Effect) String() string {
	if e == Acted {
		return "acted on"
	}
	return "accepted, no effect in Quiver"
}

// kind is a key's value type, as RocketMQ's setter takes it.
type kind uint8

const (
	kindInt    kind = iota + 1 // Java int
	kindLong                   // Java long
	kindBool                   // Java boolean
	kindString                 // Java String
	kindEnum                   // an enum or a structured string
)

var kindNames = [...]string{kindInt: "int", kindLong: "long", kindBool: "boolean", kindString: "string", kindEnum: "enum"}

// key is one row of the key table: everything loading, printing,
// suggesting and documenting a key needs.
type key struct {
	name    string   // canonical broker.conf name
	aliases []string // other accepted spellings (mapedFileSizeCommitLog)
	kind    kind
	def     string            // default, as broker.conf text
	hostDef func(Host) string // when set, the default derives from the host
	defNote string            // describes a host-derived default ("host name")
	effect  Effect
	help    string
	// legacy marks keys that are not RocketMQ 4.9 keys but appear in
	// widely copied broker.conf files; RocketMQ ignores them silently, we
	// accept them with a warning.
	legacy bool
	// set parses v into c; its error says what was wanted.
	set func(c *Config, v string) error
	// get formats the current value as broker.conf text.
	get func(c *Config) string
}

// defaultText is k's default for host h.
func (k *key) defaultText(h Host) string {
	if k.hostDef != nil {
		return k.hostDef(h)
	}
	return k.def
}

// KeyInfo describes one accepted key (Keys).
type KeyInfo struct {
	Name    string
	Aliases []string // other accepted spellings
	Type    string   // int, long, boolean, string or enum
	Default string   // RocketMQ's default ("" when none); host-derived defaults say so
	Effect  Effect
	Help    string
}

// Keys returns every accepted key in table order: RocketMQ 4.9's broker
// keys (plus a few older and 5.x ones) and Quiver's own.
func Keys() []KeyInfo {
	out := make([]KeyInfo, 0, len(table))
	for i := range table {
		k := &table[i]
		d := k.def
		if k.defNote != "" {
			d = "(" + k.defNote + ")"
		}
		out = append(out, KeyInfo{Name: k.name, Aliases: slices.Clone(k.aliases), Type: kindNames[k.kind], Default: d, Effect: k.effect, Help: k.help})
	}
	return out
}

var (
	errWantInt  = errors.New("a 32-bit integer")
	errWantLong = errors.New("a 64-bit integer")
	errWantBool = errors.New("true or false")
)

func parseInt(v string, bits int) (int64, error) {
	n, err := strconv.ParseInt(v, 10, bits)
	if err != nil {
		if bits == 32 {
			return 0, errWantInt
		}
		return 0, errWantLong
	}
	return n, nil
}

// parseBool accepts true and false in any case. (Java's
// Boolean.parseBoolean reads anything but "true" as false.)
func parseBool(v string) (bool, error) {
	switch {
	case strings.EqualFold(v, "true"):
		return true, nil
	case strings.EqualFold(v, "false"):
		return false, nil
	}
	return false, errWantBool
}

func fInt(name, def string, eff Effect, p func(*Config) *int, help string) key {
	return key{name: name, kind: kindInt, def: def, effect: eff, help: help,
		set: func(c *Config, v string) error {
			n, err := parseInt(v, 32)
			if err == nil {
				*p(c) = int(n)
			}
			return err
		},
		get: func(c *Config) string { return strconv.Itoa(*p(c)) },
	}
}

func fLong(name, def string, eff Effect, p func(*Config) *int64, help string) key {
	return key{name: name, kind: kindLong, def: def, effect: eff, help: help,
		set: func(c *Config, v string) error {
			n, err := parseInt(v, 64)
			if err == nil {
				*p(c) = n
			}
			return err
		},
		get: func(c *Config) string { return strconv.FormatInt(*p(c), 10) },
	}
}

func fBool(name, def string, eff Effect, p func(*Config) *bool, help string) key {
	return key{name: name, kind: kindBool, def: def, effect: eff, help: help,
		set: func(c *Config, v string) error {
			b, err := parseBool(v)
			if err == nil {
				*p(c) = b
			}
			return err
		},
		get: func(c *Config) string { return strconv.FormatBool(*p(c)) },
	}
}

func fStr(name, def string, eff Effect, p func(*Config) *string, help string) key {
	return key{name: name, kind: kindString, def: def, effect: eff, help: help,
		set: func(c *Config, v string) error { *p(c) = v; return nil },
		get: func(c *Config) string { return *p(c) },
	}
}

// fDur is a duration key whose text is an integer count of unit (Java int
// when bits is 32, long when 64). Negative values are refused.
func fDur(name, def string, unit time.Duration, bits int, eff Effect, p func(*Config) *time.Duration, help string) key {
	k := kindInt
	if bits == 64 {
		k = kindLong
	}
	return key{name: name, kind: k, def: def, effect: eff, help: help,
		set: func(c *Config, v string) error {
			n, err := parseInt(v, bits)
			if err != nil {
				return err
			}
			if n < 0 {
				return errors.New("a count of " + unitName(unit) + " >= 0")
			}
			if n > int64(1<<62)/int64(unit) {
				return errors.New("a smaller count of " + unitName(unit))
			}
			*p(c) = time.Duration(n) * unit
			return nil
		},
		get: func(c *Config) string { return strconv.FormatInt(int64(*p(c)/unit), 10) },
	}
}

func unitName(u time.Duration) string {
	switch u {
	case time.Millisecond:
		return "milliseconds"
	case time.Second:
		return "seconds"
	case time.Hour:
		return "hours"
	}
	return u.String()
}

// passive is a key without a field: accepted, type-checked, kept as text,
// no effect in Quiver.
func passive(name string, k kind, def, help string) key {
	return key{name: name, kind: k, def: def, effect: NoEffect, help: help,
		set: func(c *Config, v string) error {
			switch k {
			case kindInt, kindLong:
				bits := 32
				if k == kindLong {
					bits = 64
				}
				n, err := parseInt(v, bits)
				if err != nil {
					return err
				}
				v = strconv.FormatInt(n, 10)
			case kindBool:
				b, err := parseBool(v)
				if err != nil {
					return err
				}
				v = strconv.FormatBool(b)
			}
			c.passive[name] = v
			return nil
		},
		get: func(c *Config) string { return c.passive[name] },
	}
}

// withNote describes a default derived from other keys.
func withNote(k key, note string) key {
	k.defNote = note
	return k
}

// withHost makes k's default derive from the host; note describes it.
func withHost(k key, def func(Host) string, note string) key {
	k.hostDef, k.defNote = def, note
	return k
}

// legacyKey is a key RocketMQ 4.9 does not have but widely copied files
// carry; RocketMQ ignores it silently, Quiver accepts it with a warning.
func legacyKey(name, help string) key {
	p := passive(name, kindString, "", help)
	p.legacy = true
	return p
}

func itoa(n int) string { return strconv.Itoa(n) }

func cpus(h Host) int { return max(h.NumCPU, 1) }

// byName maps every name and alias to its row.
var byName = func() map[string]*key {
	m := make(map[string]*key, 2*len(table))
	for i := range table {
		k := &table[i]
		m[k.name] = k
		for _, a := range k.aliases {
			m[a] = k
		}
	}
	return m
}()

// lookup returns the row of name (exact, case-sensitive like RocketMQ), or
// nil.
func lookup(name string) *key { return byName[name] }

// suggest returns the accepted name nearest to name (edit distance, case
// ignored), or "" when none is near enough to be a plausible typo.
func suggest(name string) string {
	ln := strings.ToLower(name)
	best, bestD := "", 1<<30
	for i := range table {
		k := &table[i]
		for _, n := range append([]string{k.name}, k.aliases...) {
			if d := props.EditDistance(ln, strings.ToLower(n)); d < bestD {
				best, bestD = n, d
			}
		}
	}
	if bestD <= max(2, len(name)/3) {
		return best
	}
	return ""
}

// wantf builds a set error: what the value should have been.
func wantf(format string, args ...any) error { return fmt.Errorf(format, args...) }
