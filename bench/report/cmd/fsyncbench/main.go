// Command fsyncbench measures the latency of a small durable append, the
// cost SYNC_FLUSH pays once per group commit: n times, pwrite size bytes at
// the next offset of a pre-allocated file and fdatasync it. It prints one
// JSON line with the percentiles in microseconds.
//
//	fsyncbench [-dir $TMPDIR] [-n 2000] [-size 4096] [-prealloc zero|fallocate]
//
// With -prealloc zero (the default) the file is written with zeros and
// synced first, as the broker's SYNC_FLUSH segments are zero-filled, so each
// fdatasync flushes data only; with fallocate each one also converts an
// unwritten extent (a journal commit).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"syscall"
	"time"
)

type result struct {
	Name     string  `json:"name"`
	Prealloc string  `json:"prealloc"`
	Size     int     `json:"size"`
	N        int     `json:"n"`
	P50      float64 `json:"p50_us"`
	P90      float64 `json:"p90_us"`
	P99      float64 `json:"p99_us"`
	P999     float64 `json:"p999_us"`
	Max      float64 `json:"max_us"`
	Mean     float64 `json:"mean_us"`
}

func main() {
	dir := flag.String("dir", os.TempDir(), "directory of the test file (on the disk to measure)")
	n := flag.Int("n", 2000, "number of pwrite + fdatasync pairs")
	size := flag.Int("size", 4096, "bytes per append")
	prealloc := flag.String("prealloc", "zero", "pre-allocation: zero (write zeros, sync) or fallocate")
	flag.Parse()
	if err := run(*dir, *n, *size, *prealloc); err != nil {
		fmt.Fprintln(os.Stderr, "fsyncbench:", err)
		os.Exit(1)
	}
}

func run(dir string, n, size int, prealloc string) error {
	if n < 1 || size < 1 {
		return fmt.Errorf("-n and -size must be positive")
	}
	f, err := os.CreateTemp(dir, "fsyncbench.*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	total := int64(n+16) * int64(size)
	switch prealloc {
	case "zero":
		zeros := make([]byte, 1<<20)
		for off := int64(0); off < total; off += int64(len(zeros)) {
			if _, err := f.WriteAt(zeros, off); err != nil {
				return err
			}
		}
	case "fallocate":
		if err := syscall.Fallocate(int(f.Fd()), 0, 0, total); err != nil {
			return os.NewSyscallError("fallocate", err)
		}
	default:
		return fmt.Errorf("unknown -prealloc %q", prealloc)
	}
	if err := f.Sync(); err != nil {
		return err
	}
	buf := make([]byte, size)
	for i := range buf {
		buf[i] = byte(i)
	}
	fd := int(f.Fd())
	lat := make([]time.Duration, 0, n)
	var sum time.Duration
	// The first 16 appends warm the path up and are not counted.
	for i := 0; i < n+16; i++ {
		start := time.Now()
		if _, err := f.WriteAt(buf, int64(i)*int64(size)); err != nil {
			return err
		}
		if err := syscall.Fdatasync(fd); err != nil {
			return os.NewSyscallError("fdatasync", err)
		}
		d := time.Since(start)
		if i >= 16 {
			lat = append(lat, d)
			sum += d
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	us := func(q float64) float64 {
		i := int(q*float64(len(lat))+0.5) - 1
		if i < 0 {
			i = 0
		}
		if i >= len(lat) {
			i = len(lat) - 1
		}
		return float64(lat[i]) / 1e3
	}
	r := result{
		Name: "fdatasync", Prealloc: prealloc, Size: size, N: n,
		P50: us(0.50), P90: us(0.90), P99: us(0.99), P999: us(0.999),
		Max: float64(lat[len(lat)-1]) / 1e3, Mean: float64(sum) / float64(n) / 1e3,
	}
	return json.NewEncoder(os.Stdout).Encode(r)
}
