package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/quivermq/quiver/netio"
	"github.com/quivermq/quiver/protocol"
)

// syncBuffer is a bytes.Buffer safe for the broker's log goroutines.
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
	p := filepath.Join(t.TempDir(), "broker.conf")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func noEnv(string) string { return "" }

func TestFlags(t *testing.T) {
	good := writeConf(t, "brokerName=broker-x\nlistenPort = 20911 \nnamesrvAddr=10.0.0.1:9876\n")
	misspelt := writeConf(t, "brokerName=broker-x\nlistenPort=20911\nstorePathRootDirr=/tmp/x\n")
	badValue := writeConf(t, "listenPort=ten\n")
	cases := []struct {
		name      string
		args      []string
		env       map[string]string
		code      int
		stdout    []string
		stderr    []string
		notStdout []string
	}{
		{name: "help", args: []string{"-h"}, code: 0, stderr: []string{"usage: mqbroker", "-c string", "-n string"}},
		{name: "bad flag", args: []string{"-x"}, code: 2, stderr: []string{"flag provided but not defined: -x", "usage: mqbroker"}},
		{name: "extra argument", args: []string{"foo"}, code: 2, stderr: []string{`unexpected argument "foo"`}},
		{name: "print embedded", args: []string{"-p"}, code: 0,
			stdout: []string{"brokerName=broker-a", "# embedded broker.conf:", "listenPort=10911", "brokerIP1=127.0.0.1",
				"haListenPort=10912", "# derived: listenPort+1", "; no effect in Quiver"},
			// no name server in the embedded default: standalone
			notStdout: []string{"namesrvAddr=127.0.0.1"}},
		{name: "print file", args: []string{"-c", good, "-p"}, code: 0,
			stdout: []string{"brokerName=broker-x", "# " + good + ":1", "listenPort=20911", "# " + good + ":2",
				"namesrvAddr=10.0.0.1:9876", "# " + good + ":3", "haListenPort=20912", "mappedFileSizeCommitLog=1073741824", "# default"},
			notStdout: []string{"broker-a", "embedded"}},
		{name: "env beats file", args: []string{"-c", good, "-p"}, env: map[string]string{"NAMESRV_ADDR": "10.0.0.2:9876"}, code: 0,
			stdout: []string{"namesrvAddr=10.0.0.2:9876", "# env NAMESRV_ADDR"}, notStdout: []string{"10.0.0.1"}},
		{name: "flag -n beats env and file", args: []string{"-c", good, "-n", "10.0.0.3:9876;10.0.0.4:9876", "-p"},
			env: map[string]string{"NAMESRV_ADDR": "10.0.0.2:9876"}, code: 0,
			stdout: []string{"namesrvAddr=10.0.0.3:9876;10.0.0.4:9876", "# flag -n"}, notStdout: []string{"10.0.0.1", "10.0.0.2"}},
		{name: "important keys", args: []string{"-c", good, "-n", "10.0.0.3:9876", "-m"}, code: 0,
			stdout:    []string{"brokerName=broker-x", "namesrvAddr=10.0.0.3:9876", "# flag -n", "storePathRootDir=", "listenPort=20911"},
			notStdout: []string{"flushCommitLogThoroughInterval", "no effect"}},
		{name: "misspelt key", args: []string{"-c", misspelt}, code: 2,
			stderr: []string{misspelt + ":3", `unknown key "storePathRootDirr"`, `did you mean "storePathRootDir"`}},
		{name: "misspelt key with -p", args: []string{"-c", misspelt, "-p"}, code: 2,
			stderr: []string{`did you mean "storePathRootDir"`}},
		{name: "bad value", args: []string{"-c", badValue}, code: 2,
			stderr: []string{badValue + ":1", "listenPort"}},
		{name: "missing file", args: []string{"-c", "/nonexistent/broker.conf"}, code: 2,
			stderr: []string{"no such file"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			env := func(k string) string { return c.env[k] }
			code := runWith(context.Background(), c.args, &out, &errb, runOptions{env: env})
			if code != c.code {
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

// freePort returns a TCP port of 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return port
}

// started is a broker run by runWith in a goroutine.
type started struct {
	addr     string
	out, err *syncBuffer
	done     chan int
	store    string
}

// startBroker runs the command on a free loopback port with a small store
// in a temporary directory, and waits until it serves.
func startBroker(t *testing.T, ctx context.Context) *started {
	t.Helper()
	port := freePort(t)
	s := &started{out: new(syncBuffer), err: new(syncBuffer), done: make(chan int, 1), store: t.TempDir()}
	file := writeConf(t, fmt.Sprintf(`brokerClusterName=TestCluster
brokerName=broker-t
brokerIP1=127.0.0.1
listenPort=%d
storePathRootDir=%s
mappedFileSizeCommitLog=16777216
logLevel=debug
adminListenAddr=127.0.0.1:0
`, port, s.store))
	addrc := make(chan string, 1)
	go func() {
		s.done <- runWith(ctx, []string{"-c", file}, s.out, s.err, runOptions{
			env:           noEnv,
			listenAddr:    "127.0.0.1:" + strconv.Itoa(port),
			namesrvListen: "127.0.0.1:0", // standalone: the embedded name server
			ready:         func(a string) { addrc <- a },
			exit:          func(code int) { t.Errorf("exit(%d) called", code) },
		})
	}()
	select {
	case s.addr = <-addrc:
	case code := <-s.done:
		t.Fatalf("exited %d before serving: %s", code, s.err.String())
	case <-time.After(20 * time.Second):
		t.Fatalf("not serving after 20 s: %s", s.err.String())
	}
	return s
}

// wait returns the exit status.
func (s *started) wait(t *testing.T) int {
	t.Helper()
	select {
	case code := <-s.done:
		return code
	case <-time.After(20 * time.Second):
		t.Fatalf("did not stop: %s", s.err.String())
		return -1
	}
}

// ask sends a HEART_BEAT (34) of a producer and a GET_MAX_OFFSET (30) of
// SELF_TEST_TOPIC, a topic every broker creates at start, and fails the
// test unless both succeed.
func ask(t *testing.T, addr string) {
	t.Helper()
	cl, err := netio.NewClient(netio.ClientConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	body, err := json.Marshal(protocol.HeartbeatData{ClientID: "127.0.0.1@test",
		ProducerDataSet: []protocol.ProducerData{{GroupName: "pg_test"}}})
	if err != nil {
		t.Fatal(err)
	}
	var hb protocol.Command
	hb.NewRequest(protocol.HeartBeat)
	hb.Body = body
	resp, err := cl.Invoke(ctx, addr, &hb)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Code != 0 {
		t.Fatalf("HEART_BEAT: code %d remark %q", resp.Code, resp.Remark)
	}

	var mo protocol.Command
	mo.NewRequest(protocol.GetMaxOffset)
	(&protocol.GetMaxOffsetRequestHeader{Topic: "SELF_TEST_TOPIC", QueueID: 0}).Encode(&mo.Ext)
	if resp, err = cl.Invoke(ctx, addr, &mo); err != nil {
		t.Fatal(err)
	}
	if resp.Code != 0 {
		t.Fatalf("GET_MAX_OFFSET: code %d remark %q", resp.Code, resp.Remark)
	}
	var off protocol.GetMaxOffsetResponseHeader
	if err := off.Decode(&resp.Ext); err != nil || off.Offset != 0 {
		t.Fatalf("GET_MAX_OFFSET of an empty queue: offset %d, err %v", off.Offset, err)
	}
}

// TestServe starts the command on a free port, asks the broker a
// heartbeat and an offset, and stops it by cancelling the context.
func TestServe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := startBroker(t, ctx)
	if want := "127.0.0.1:"; !strings.HasPrefix(s.addr, want) {
		t.Errorf("addr %q", s.addr)
	}

	ask(t, s.addr)

	// Standalone: the boot line names the embedded name server, which
	// routes TBW102 to this broker.
	m0 := regexp.MustCompile(`name server is (127\.0\.0\.1:\d+)`).FindStringSubmatch(s.out.String())
	if m0 == nil {
		t.Fatalf("no name server in the boot line %q", s.out.String())
	}
	checkRoute(t, m0[1], "TBW102", s.addr)

	// adminListenAddr serves pprof; the log names the port it got.
	m := regexp.MustCompile(`admin endpoint \(pprof\) serving" addr=(127\.0\.0\.1:\d+)`).FindStringSubmatch(s.err.String())
	if m == nil {
		t.Fatalf("admin endpoint not logged:\n%s", s.err.String())
	}
	hc := &http.Client{Timeout: 5 * time.Second}
	res, err := hc.Get("http://" + m[1] + "/debug/pprof/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("pprof: %s", res.Status)
	}
	for path, want := range map[string]string{"/metrics": "quiver_send_requests_total", "/healthz": "ok"} {
		res, err := hc.Get("http://" + m[1] + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		_ = res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
			t.Errorf("%s: %s %q", path, res.Status, body)
		}
	}

	cancel()
	if code := s.wait(t); code != 0 {
		t.Errorf("exit %d; stderr %s", code, s.err.String())
	}
	// No name server configured: one runs in the process, and the broker
	// registered with it.
	wantOut := regexp.MustCompile(`^The broker\[broker-t, ` + regexp.QuoteMeta(s.addr) + `\] boot success\. serializeType=JSON and name server is 127\.0\.0\.1:\d+\n$`)
	if !wantOut.MatchString(s.out.String()) {
		t.Errorf("stdout %q, want %v", s.out.String(), wantOut)
	}
	logs := s.err.String()
	for _, w := range []string{"addr=" + s.addr, "store=" + s.store, "level=DEBUG", "no name server", "mqbroker: stopped"} {
		if !strings.Contains(logs, w) {
			t.Errorf("log lacks %q:\n%s", w, logs)
		}
	}
	if res, err := hc.Get("http://" + m[1] + "/debug/pprof/cmdline"); err == nil {
		_ = res.Body.Close()
		t.Error("the admin endpoint still serves after shutdown")
	}
	// A clean shutdown removes RocketMQ's abort marker.
	if _, err := os.Stat(filepath.Join(s.store, "abort")); !os.IsNotExist(err) {
		t.Errorf("abort marker after a clean shutdown: %v", err)
	}
	if _, err := os.Stat(filepath.Join(s.store, "commitlog")); err != nil {
		t.Errorf("no commitlog directory: %v", err)
	}
}

// TestSignal stops the broker with SIGTERM, as an operator (or make run)
// does.
func TestSignal(t *testing.T) {
	s := startBroker(t, context.Background())
	ask(t, s.addr)
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := s.wait(t); code != 0 {
		t.Errorf("exit %d; stderr %s", code, s.err.String())
	}
	if logs := s.err.String(); !strings.Contains(logs, "signal=terminated") || !strings.Contains(logs, "mqbroker: stopped") {
		t.Errorf("log:\n%s", logs)
	}
}

// checkRoute asks the name server at ns for topic's route and checks that
// it names broker.
func checkRoute(t *testing.T, ns, topic, broker string) {
	t.Helper()
	cl, err := netio.NewClient(netio.ClientConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var cmd protocol.Command
	cmd.NewRequest(protocol.GetRouteInfoByTopic)
	(&protocol.GetRouteInfoRequestHeader{Topic: topic}).Encode(&cmd.Ext)
	resp, err := cl.Invoke(ctx, ns, &cmd)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Code != 0 || !strings.Contains(string(resp.Body), `"`+broker+`"`) {
		t.Fatalf("route of %s from %s: code %d %q body %s", topic, ns, resp.Code, resp.Remark, resp.Body)
	}
}
