package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestRunFlags: help and flag errors end before any connection is made.
func TestRunFlags(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"-h"}, &out, &errOut); code != 0 || !strings.Contains(errOut.String(), "usage: consumer") {
		t.Errorf("-h: exit %d, stderr %q", code, errOut.String())
	}
	errOut.Reset()
	if code := run([]string{"-from", "middle"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), `-from "middle"`) {
		t.Errorf("-from middle: exit %d, stderr %q", code, errOut.String())
	}
}
