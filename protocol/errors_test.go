package protocol

import (
	"errors"
	"fmt"
	"io"
	"testing"
)

func TestErrorText(t *testing.T) {
	e := NewError(TopicNotExist, "topic T not exist")
	if got := e.Error(); got != "CODE: 17, DESC: topic T not exist" {
		t.Fatalf("Error() = %q", got)
	}
}

func TestErrorIsMatchesCode(t *testing.T) {
	e := NewError(TopicNotExist, "any remark")
	wrapped := fmt.Errorf("broker: send: %w", e)
	switch {
	case !errors.Is(e, ErrTopicNotExist):
		t.Fatal("same code not matched")
	case !errors.Is(wrapped, ErrTopicNotExist):
		t.Fatal("wrapped not matched")
	case errors.Is(e, ErrSystemBusy):
		t.Fatal("other code matched")
	case errors.Is(e, io.EOF):
		t.Fatal("non-*Error matched")
	}
	var got *Error
	if !errors.As(wrapped, &got) || got.Remark != "any remark" {
		t.Fatalf("As = %+v", got)
	}
}

func TestErrorTable(t *testing.T) {
	for code, name := range responseCodeNames {
		err := ErrorForCode(code)
		if code == Success {
			if err != nil {
				t.Fatal("Success has an error")
			}
			continue
		}
		e, ok := err.(*Error)
		if !ok || e.Code != code || e.Remark == "" {
			t.Fatalf("%s: ErrorForCode = %#v", name, err)
		}
		if e != code2err[code].err {
			t.Fatalf("%s: not the table's value", name)
		}
	}
	for i, ent := range code2err {
		if ent.err != nil && int(ent.err.Code) != i {
			t.Fatalf("table entry %d holds code %d", i, ent.err.Code)
		}
	}
	var e *Error
	if err := ErrorForCode(215); !errors.As(err, &e) || e.Code != 215 || e.Retriable() {
		t.Fatalf("unknown code: %v", err)
	}
	if err := ErrorForCode(-3); !errors.As(err, &e) || e.Code != -3 {
		t.Fatalf("negative code: %v", err)
	}
}

func TestRetriable(t *testing.T) {
	want := map[ResponseCode]bool{SystemError: true, ServiceNotAvailable: true, NoPermission: true, TopicNotExist: true}
	for code := ResponseCode(-1); code < 2000; code++ {
		if got := NewError(code, "").Retriable(); got != want[code] {
			t.Fatalf("code %d: Retriable = %v", code, got)
		}
	}
	if !IsRetriable(fmt.Errorf("x: %w", NewError(ServiceNotAvailable, "down"))) {
		t.Fatal("wrapped 14 not retriable")
	}
	if IsRetriable(io.EOF) || IsRetriable(nil) || IsRetriable(ErrMessageIllegal) {
		t.Fatal("non-retriable reported retriable")
	}
}

func TestErrorFromResponse(t *testing.T) {
	var c Command
	c.Code = int32(Success)
	if err := ErrorFromResponse(&c); err != nil {
		t.Fatalf("success: %v", err)
	}
	c.Code = int32(NoPermission)
	c.SetRemark("the broker[b] sending message is forbidden")
	err := ErrorFromResponse(&c)
	if !errors.Is(err, ErrNoPermission) || !IsRetriable(err) ||
		err.Error() != "CODE: 16, DESC: the broker[b] sending message is forbidden" {
		t.Fatalf("got %v", err)
	}
	c.SetRemark("changed")
	if err.Error() != "CODE: 16, DESC: the broker[b] sending message is forbidden" {
		t.Fatal("remark not copied")
	}
}

func TestResponseFor(t *testing.T) {
	for _, tc := range []struct {
		err    error
		code   ResponseCode
		remark string
	}{
		{nil, Success, ""},
		{NewError(TopicNotExist, "topic[T] not exist"), TopicNotExist, "topic[T] not exist"},
		{fmt.Errorf("ctx: %w", NewError(SystemBusy, "[PCBUSY]")), SystemBusy, "[PCBUSY]"},
		{NewError(PullNotFound, ""), PullNotFound, ErrPullNotFound.Remark},
		{NewError(999, ""), 999, "response code 999"},
		{ErrMessageIllegal, MessageIllegal, ErrMessageIllegal.Remark},
		{io.ErrUnexpectedEOF, SystemError, io.ErrUnexpectedEOF.Error()},
		{fmt.Errorf("decode: %w", ErrJSONSyntax), SystemError, "decode: " + ErrJSONSyntax.Error()},
	} {
		code, remark := ResponseFor(tc.err)
		if code != tc.code || remark != tc.remark {
			t.Errorf("ResponseFor(%v) = %d, %q; want %d, %q", tc.err, code, remark, tc.code, tc.remark)
		}
	}
}
