package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/quivermq/quiver/client"
)

// TestRunFlags: help and flag errors end before any connection is made.
func TestRunFlags(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"-h"}, &out, &errOut); code != 0 || !strings.Contains(errOut.String(), "usage: producer") {
		t.Errorf("-h: exit %d, stderr %q", code, errOut.String())
	}
	errOut.Reset()
	if code := run([]string{"-m", "fast"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), `send mode "fast"`) {
		t.Errorf("-m fast: exit %d, stderr %q", code, errOut.String())
	}
	if out.Len() != 0 {
		t.Errorf("stdout %q", out.String())
	}
}

func TestCheck(t *testing.T) {
	if err := check(client.SendResult{Status: client.SendOK}, nil); err != nil {
		t.Error(err)
	}
	err := check(client.SendResult{Status: client.FlushDiskTimeout}, nil)
	if err == nil || err.Error() != "send status FLUSH_DISK_TIMEOUT" {
		t.Errorf("err %v", err)
	}
}
