package testutil

import (
	"bufio"
	"os"
	"os/exec"
	"testing"
	"time"
)

// RunAndKill runs the test binary again as a child (no tests, so its
// TestMain or init can act on env), lets it run for after, kills it with
// SIGKILL and returns the lines it printed on stdout. Only
// newline-terminated lines are returned: the kill may cut the last one
// short. The child's stderr goes to ours.
func RunAndKill(tb testing.TB, env []string, after time.Duration) []string {
	tb.Helper()
	exe, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	done := make(chan []string, 1)
	go func() {
		var lines []string
		r := bufio.NewReader(stdout)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				break
			}
			lines = append(lines, line)
		}
		done <- lines
	}()
	time.Sleep(after)
	_ = cmd.Process.Kill() // SIGKILL
	lines := <-done
	_ = cmd.Wait()
	return lines
}
