package lint

import (
	"bufio"
	"bytes"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

const module = "github.com/quivermq/quiver"

// rule says which project packages a package may depend on (transitively,
// as `go list -deps` reports them). A dependency is allowed when it has one
// of the allowed prefixes. Packages are matched by the longest rule prefix.
// The table is DESIGN.md section 2 and STYLE.md section 1.
var rules = []struct {
	pkg     string   // package path relative to the module, or a prefix ending in "/"
	allowed []string // relative paths or prefixes ending in "/"
}{
	{"message", nil},
	{"internal/", []string{"internal/"}},
	{"protocol", []string{"message", "internal/"}},
	{"engine", []string{"engine/", "message", "internal/"}},
	{"engine/", []string{"engine/", "message", "internal/"}},
	{"netio", []string{"netio/", "protocol", "message", "internal/"}},
	{"netio/", []string{"netio/", "protocol", "message", "internal/"}},
	{"namesrv", []string{"namesrv/", "netio", "netio/", "protocol", "message", "internal/"}},
	{"client", []string{"client/", "netio", "netio/", "protocol", "message", "internal/"}},
	{"broker", []string{"broker/", "engine", "engine/", "netio", "netio/", "protocol", "message", "internal/"}},
	{"broker/", []string{"broker/", "engine", "engine/", "netio", "netio/", "protocol", "message", "internal/"}},
	{"tools", []string{"tools/", "client", "client/", "netio", "netio/", "protocol", "message", "internal/"}},
	{"tools/", []string{"tools/", "client", "client/", "netio", "netio/", "protocol", "message", "internal/"}},
	{"bench/", []string{"bench/", "client", "client/", "netio", "netio/", "protocol", "message", "internal/"}},
	{"fuzz", []string{"fuzz/", "protocol", "message", "engine", "engine/", "internal/"}},
	{"cmd/mqnamesrv", []string{"namesrv", "namesrv/", "netio", "netio/", "protocol", "message", "internal/"}},
	{"cmd/mqbroker", []string{"broker", "broker/", "namesrv", "namesrv/", "engine", "engine/", "netio", "netio/", "protocol", "message", "internal/"}},
	{"cmd/mqadmin", []string{"tools", "tools/", "client", "client/", "netio", "netio/", "protocol", "message", "internal/"}},
	{"examples/", nil}, // programs for newcomers: RocketMQ clients only, no project package
	{"interop", []string{"interop/", "namesrv", "broker", "broker/", "client", "client/", "engine", "engine/", "netio", "netio/", "protocol", "message", "internal/"}},
}

func matches(rel, pattern string) bool {
	if strings.HasSuffix(pattern, "/") {
		return strings.HasPrefix(rel, pattern)
	}
	return rel == pattern
}

// ruleFor returns the allowed list for rel and whether any rule covers it.
func ruleFor(rel string) ([]string, bool) {
	best, found := -1, false
	var allowed []string
	for _, r := range rules {
		if matches(rel, r.pkg) && len(r.pkg) > best {
			best, allowed, found = len(r.pkg), r.allowed, true
		}
	}
	return allowed, found
}

// checkEdges returns one message per forbidden edge in deps, a map from each
// project package (relative path) to its project dependencies.
func checkEdges(deps map[string][]string) []string {
	var bad []string
	for pkg, ds := range deps {
		allowed, ok := ruleFor(pkg)
		if !ok {
			bad = append(bad, pkg+": no import rule covers this package; add it to internal/lint rules")
			continue
		}
		for _, d := range ds {
			if d == pkg {
				continue
			}
			okDep := false
			for _, a := range allowed {
				if matches(d, a) {
					okDep = true
					break
				}
			}
			if !okDep {
				bad = append(bad, pkg+" must not depend on "+d)
			}
		}
	}
	return bad
}

func repoRoot(t *testing.T) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("no caller information")
	}
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// TestImportDirection fails on any dependency edge DESIGN.md forbids.
func TestImportDirection(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`, "./...")
	cmd.Dir = repoRoot(t)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	deps := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || !strings.HasPrefix(fields[0], module+"/") {
			continue
		}
		pkg := strings.TrimPrefix(fields[0], module+"/")
		var own []string
		for _, d := range fields[1:] {
			if strings.HasPrefix(d, module+"/") {
				own = append(own, strings.TrimPrefix(d, module+"/"))
			}
		}
		deps[pkg] = own
	}
	if len(deps) == 0 {
		t.Fatal("go list reported no project packages")
	}
	for _, msg := range checkEdges(deps) {
		t.Error(msg)
	}
}

// TestCheckEdges makes sure the checker itself catches forbidden edges.
func TestCheckEdges(t *testing.T) {
	cases := []struct {
		deps map[string][]string
		bad  int
	}{
		{map[string][]string{"message": nil, "protocol": {"message"}}, 0},
		{map[string][]string{"message": {"protocol"}}, 1},
		{map[string][]string{"protocol": {"engine"}}, 1},
		{map[string][]string{"engine/commitlog": {"protocol", "netio"}}, 2},
		{map[string][]string{"netio": {"protocol", "message", "engine"}}, 1},
		{map[string][]string{"broker": {"namesrv"}}, 1},
		{map[string][]string{"client": {"broker"}}, 1},
		{map[string][]string{"bench/producer": {"client", "engine"}}, 1},
		{map[string][]string{"fuzz": {"netio"}}, 1},
		{map[string][]string{"internal/bufpool": {"message"}}, 1},
		{map[string][]string{"newpkg": nil}, 1},
	}
	for _, c := range cases {
		if got := checkEdges(c.deps); len(got) != c.bad {
			t.Errorf("checkEdges(%v) = %v, want %d violations", c.deps, got, c.bad)
		}
	}
}
