package topics

import (
	"errors"

	"github.com/quivermq/quiver/protocol"
)

// Kinds of refusal. An *Error wraps one of them, so callers can tell them
// apart with errors.Is; the response code travels in the *Error.
var (
	// ErrInvalidTopic is a topic name that is blank, has a character
	// outside [%|a-zA-Z0-9_-] or is longer than MaxTopicLength
	// (SYSTEM_ERROR, as TopicValidator.validateTopic answers).
	ErrInvalidTopic = errors.New("topics: invalid topic name")
	// ErrSystemTopic is an admin create or delete of a system topic
	// (SYSTEM_ERROR).
	ErrSystemTopic = errors.New("topics: system topic")
	// ErrSendForbidden is a SEND to a topic clients may not send to, or
	// to a topic or broker without the write permission (NO_PERMISSION).
	ErrSendForbidden = errors.New("topics: sending is forbidden")
	// ErrTopicNotExist is a SEND to an unknown topic that could not be
	// created from the default topic (TOPIC_NOT_EXIST).
	ErrTopicNotExist = errors.New("topics: topic does not exist")
	// ErrQueueID is a SEND to a queue id the topic does not have
	// (SYSTEM_ERROR).
	ErrQueueID = errors.New("topics: illegal queue id")
	// ErrInvalidConfig is a topic configuration or Options value that is
	// out of range (SYSTEM_ERROR for a request).
	ErrInvalidConfig = errors.New("topics: invalid configuration")
	// ErrCorrupt marks a topics.json (and its .bak) that does not parse.
	ErrCorrupt = errors.New("topics: corrupt topic config file")
)

// Error is a request the table refuses: the RocketMQ response code a
// handler answers with, and the remark it sends. It unwraps to its kind (one
// of the Err values above) and to a *protocol.Error, so both errors.Is(err,
// ErrInvalidTopic) and protocol.ResponseFor(err) work.
type Error struct {
	kind error
	resp *protocol.Error
}

func newError(kind error, code protocol.ResponseCode, remark string) *Error {
	return &Error{kind: kind, resp: protocol.NewError(code, remark)}
}

// Code returns the response code to answer with.
func (e *Error) Code() int32 { return int32(e.resp.Code) }

// ResponseCode returns Code as a protocol.ResponseCode.
func (e *Error) ResponseCode() protocol.ResponseCode { return e.resp.Code }

// Remark returns the response remark.
func (e *Error) Remark() string { return e.resp.Remark }

// Error returns the remark with the kind's prefix.
func (e *Error) Error() string { return e.kind.Error() + ": " + e.resp.Remark }

// Unwrap returns the kind and the *protocol.Error.
func (e *Error) Unwrap() []error { return []error{e.kind, e.resp} }

// Refusals with a fixed remark are allocated once: the send path returns
// them without allocating. Remarks are TopicValidator's.
var (
	errTopicBlank   = newError(ErrInvalidTopic, protocol.SystemError, "The specified topic is blank.")
	errTopicChars   = newError(ErrInvalidTopic, protocol.SystemError, "The specified topic contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$")
	errTopicTooLong = newError(ErrInvalidTopic, protocol.SystemError, "The specified topic is longer than topic max length.")
	// errSendForbidden holds, for each topic clients may not send to
	// (TopicValidator's NOT_ALLOWED_SEND_TOPIC_SET), its refusal. Read
	// only.
	errSendForbidden = func() map[string]*Error {
		m := make(map[string]*Error)
		for _, t := range []string{TopicSchedule, TopicTransHalf, TopicTransOpHalf,
			TopicTransCheckMaxTime, TopicSelfTest, TopicOffsetMoved} {
			m[t] = newError(ErrSendForbidden, protocol.NoPermission, "Sending message to topic["+t+"] is forbidden.")
		}
		return m
	}()
)
