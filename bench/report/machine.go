package main

import (
	"bufio"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
)

// Machine describes where the figures were taken.
type Machine struct {
	Uname  string
	CPU    string
	Cores  int
	RAMGiB float64
	Go     string
	Commit string
}

func run(name string, args ...string) string {
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// ThisMachine reads the machine's description and the repository's commit.
func ThisMachine(repo string) Machine {
	m := Machine{Uname: run("uname", "-srm"), Cores: runtime.NumCPU(), Go: runtime.Version()}
	if v := run("go", "env", "GOVERSION"); v != "" {
		m.Go = v
	}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fs := strings.Fields(sc.Text())
			if len(fs) >= 2 && fs[0] == "MemTotal:" {
				kib, _ := strconv.ParseFloat(fs[1], 64)
				m.RAMGiB = kib / (1 << 20)
				break
			}
		}
		f.Close()
	}
	git := func(args ...string) string { return run("git", append([]string{"-C", repo}, args...)...) }
	m.Commit = git("rev-parse", "--short", "HEAD")
	if m.Commit == "" {
		m.Commit = "unknown"
	} else if git("status", "--porcelain", "--untracked-files=no") != "" {
		m.Commit += "-dirty"
	}
	return m
}
