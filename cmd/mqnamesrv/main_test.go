package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quivermq/quiver/netio"
	"github.com/quivermq/quiver/protocol"
)

// syncBuffer is a bytes.Buffer safe for the server's log goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func writeConf(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "namesrv.properties")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFlags(t *testing.T) {
	good := writeConf(t, "listenPort=19876\nserverWorkerThreads = 4 \n")
	bad := writeConf(t, "listenPort=1\nkvConfigPat=/tmp/x\n")
	cases := []struct {
		name      string
		args      []string
		code      int
		stdout    []string
		stderr    []string
		notStdout []string
	}{
		{name: "help", args: []string{"-h"}, code: 0, stderr: []string{"usage: mqnamesrv"}},
		{name: "bad flag", args: []string{"-x"}, code: 2, stderr: []string{"usage: mqnamesrv"}},
		{name: "extra argument", args: []string{"foo"}, code: 2, stderr: []string{`unexpected argument "foo"`}},
		{name: "print defaults", args: []string{"-p"}, code: 0,
			stdout: []string{"listenPort=9876", "# default", "kvConfigPath=", "orderMessageEnable=false"}},
		{name: "print file", args: []string{"-c", good, "-p"}, code: 0,
			stdout:    []string{"listenPort=19876", "# " + good + ":1", "serverWorkerThreads=4", "# " + good + ":2"},
			notStdout: []string{"listenPort=9876"}},
		{name: "unknown key", args: []string{"-c", bad, "-p"}, code: 1,
			stderr: []string{bad + ":2", `unknown key "kvConfigPat"`, `did you mean "kvConfigPath"`}},
		{name: "missing file", args: []string{"-c", "/nonexistent/namesrv.properties"}, code: 1,
			stderr: []string{"no such file"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := run(c.args, &out, &errb); code != c.code {
				t.Fatalf("exit %d, want %d; stderr %s", code, c.code, errb.String())
			}
			for _, w := range c.stdout {
				if !strings.Contains(out.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, out.String())
				}
			}
			for _, w := range c.notStdout {
				if strings.Contains(out.String(), w) {
					t.Errorf("stdout has %q:\n%s", w, out.String())
				}
			}
			for _, w := range c.stderr {
				if !strings.Contains(errb.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, errb.String())
				}
			}
		})
	}
}

// TestServe starts the binary's run loop on a free port, asks it for a
// route, and stops it as a signal would.
func TestServe(t *testing.T) {
	dir := t.TempDir()
	conf := writeConf(t, "bindAddress=127.0.0.1\nlistenPort=0\nkvConfigPath="+filepath.Join(dir, "kvConfig.json")+"\n")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrc := make(chan net.Addr, 1)
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- runWith([]string{"-c", conf}, &out, &errb, runOptions{ctx: ctx, ready: func(a net.Addr) { addrc <- a }})
	}()
	var addr net.Addr
	select {
	case addr = <-addrc:
	case code := <-done:
		t.Fatalf("exited %d before serving: %s", code, errb.String())
	case <-time.After(10 * time.Second):
		t.Fatal("not serving after 10 s")
	}

	cl, err := netio.NewClient(netio.ClientConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var cmd protocol.Command
	cmd.NewRequest(protocol.GetRouteInfoByTopic)
	(&protocol.GetRouteInfoRequestHeader{Topic: "T"}).Encode(&cmd.Ext)
	ictx, icancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer icancel()
	resp, err := cl.Invoke(ictx, addr.String(), &cmd)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Code != int32(protocol.TopicNotExist) {
		t.Errorf("route of unknown topic: code %d", resp.Code)
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d; stderr %s", code, errb.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("did not stop")
	}
	if !strings.Contains(out.String(), "The Name Server boot success") {
		t.Errorf("stdout %q", out.String())
	}
	if !strings.Contains(errb.String(), addr.String()) {
		t.Errorf("the listen address %s is not logged:\n%s", addr, errb.String())
	}
}
