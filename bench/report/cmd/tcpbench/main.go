// Command tcpbench measures loopback TCP bandwidth: one connection on
// 127.0.0.1, one goroutine writing 64 KiB buffers for a fixed time, another
// reading and discarding them. It prints one JSON line with MB/s (10^6 bytes
// per second) received and the CPU seconds the process spent (user and
// system, both ends of the connection: on loopback the sender's system
// calls also run most of the receive path).
//
//	tcpbench [-duration 3s] [-chunk 65536]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"
)

type result struct {
	Name     string  `json:"name"`
	Chunk    int     `json:"chunk"`
	Bytes    int64   `json:"bytes"`
	ElapsedS float64 `json:"elapsed_s"`
	MBps     float64 `json:"mbps"`
	CPUS     float64 `json:"cpu_s"`
}

func main() {
	d := flag.Duration("duration", 3*time.Second, "how long to write")
	chunk := flag.Int("chunk", 64<<10, "bytes per write")
	flag.Parse()
	if err := run(*d, *chunk); err != nil {
		fmt.Fprintln(os.Stderr, "tcpbench:", err)
		os.Exit(1)
	}
}

func run(d time.Duration, chunk int) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	type recv struct {
		n   int64
		end time.Time
		err error
	}
	done := make(chan recv, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- recv{err: err}
			return
		}
		defer c.Close()
		buf := make([]byte, 1<<20)
		var n int64
		for {
			k, err := c.Read(buf)
			n += int64(k)
			if err == io.EOF {
				done <- recv{n: n, end: time.Now()}
				return
			}
			if err != nil {
				done <- recv{n: n, err: err}
				return
			}
		}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		return err
	}
	buf := make([]byte, chunk)
	cpu0, err := cpuSeconds()
	if err != nil {
		return err
	}
	start := time.Now()
	deadline := start.Add(d)
	for time.Now().Before(deadline) {
		for i := 0; i < 16; i++ {
			if _, err := c.Write(buf); err != nil {
				return err
			}
		}
	}
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		return err
	}
	r := <-done
	c.Close()
	if r.err != nil {
		return r.err
	}
	el := r.end.Sub(start).Seconds()
	cpu1, err := cpuSeconds()
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(result{
		Name: "loopback", Chunk: chunk, Bytes: r.n, ElapsedS: el, MBps: float64(r.n) / el / 1e6,
		CPUS: cpu1 - cpu0,
	})
}

// cpuSeconds is the user and system time of this process so far.
func cpuSeconds() (float64, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, fmt.Errorf("getrusage: %w", err)
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime), nil
}
