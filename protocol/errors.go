package protocol

import (
	"errors"
	"strconv"
)

// Frame and header decoding errors. Each one means the peer sent bytes that
// are not a remoting command: the connection should be closed, there is no
// opaque to answer to.
var (
	// ErrFrameNegative is a length prefix with the sign bit set.
	ErrFrameNegative = errors.New("protocol: negative frame length")
	// ErrFrameTooLarge is a length prefix above Limits.MaxFrame.
	ErrFrameTooLarge = errors.New("protocol: frame length exceeds limit")
	// ErrFrameTooShort is a frame too small to hold the header-length word.
	ErrFrameTooShort = errors.New("protocol: frame too short")
	// ErrFrameLength is a frame whose length prefix disagrees with the
	// bytes handed to Decode.
	ErrFrameLength = errors.New("protocol: frame length does not match its prefix")
	// ErrHeaderLength is a header length past the end of the frame.
	ErrHeaderLength = errors.New("protocol: header length exceeds frame")
	// ErrSerializeType is a serialize type other than JSON or ROCKETMQ.
	ErrSerializeType = errors.New("protocol: unknown serialize type")
	// ErrHeaderTruncated is a binary header that ends inside a field.
	ErrHeaderTruncated = errors.New("protocol: header truncated")
	// ErrHeaderTrailing is a header with bytes after its last field.
	ErrHeaderTrailing = errors.New("protocol: trailing bytes after header")
	// ErrNegativeLength is a negative string or block length inside a binary
	// header.
	ErrNegativeLength = errors.New("protocol: negative length in header")
	// ErrRemarkTooLarge is a remark above Limits.MaxRemark.
	ErrRemarkTooLarge = errors.New("protocol: remark exceeds limit")
	// ErrTooManyExtFields is an extFields count above Limits.MaxExtFields.
	ErrTooManyExtFields = errors.New("protocol: too many extFields")
	// ErrExtKeyTooLarge is an extFields key above Limits.MaxExtKey.
	ErrExtKeyTooLarge = errors.New("protocol: extFields key exceeds limit")
	// ErrExtValueTooLarge is an extFields value above Limits.MaxExtValue.
	ErrExtValueTooLarge = errors.New("protocol: extFields value exceeds limit")
	// ErrJSONSyntax is a JSON header that is not well-formed JSON or not an
	// object. Decode wraps it with the byte offset.
	ErrJSONSyntax = errors.New("protocol: malformed JSON header")
	// ErrJSONType is a JSON header field of the wrong JSON type (for example
	// a string code, or an object as an extFields value).
	ErrJSONType = errors.New("protocol: wrong JSON type in header")
	// ErrJSONEscape is an invalid escape sequence in a JSON string.
	ErrJSONEscape = errors.New("protocol: invalid escape in JSON string")
	// ErrJSONDepth is nesting deeper than the decoder follows (in values it
	// skips).
	ErrJSONDepth = errors.New("protocol: JSON nesting too deep")
	// ErrNumberRange is a code, opaque or flag outside int32, or a version
	// outside int16.
	ErrNumberRange = errors.New("protocol: header number out of range")
)

// Encoding errors: the Command cannot be represented on the wire.
var (
	// ErrCodeRange is a code outside int16 in a ROCKETMQ header, which has
	// only 16 bits for it.
	ErrCodeRange = errors.New("protocol: code does not fit the ROCKETMQ header")
	// ErrHeaderTooLarge is an encoded header above 16 MiB - 1, the most the
	// 24-bit header length can say.
	ErrHeaderTooLarge = errors.New("protocol: encoded header too large")
	// ErrEncodeFrameTooLarge is a frame whose total length overflows int32.
	ErrEncodeFrameTooLarge = errors.New("protocol: encoded frame too large")
	// ErrExtKeyEncode is an extFields key longer than the ROCKETMQ header's
	// 16-bit key length.
	ErrExtKeyEncode = errors.New("protocol: extFields key too long to encode")
)

// Error is a RocketMQ response code with its remark: what a handler returns
// to make the broker answer with that code, and what a client gets from a
// response that is not a success.
//
// errors.Is matches two *Error values by Code alone, so
// errors.Is(err, ErrTopicNotExist) holds for any remark.
type Error struct {
	// Code is the response code.
	Code ResponseCode
	// Remark is the text sent in the response's remark.
	Remark string
}

// Error formats e as client-go does ("CODE: 17, DESC: ...").
func (e *Error) Error() string {
	return "CODE: " + strconv.Itoa(int(e.Code)) + ", DESC: " + e.Remark
}

// Is reports whether target is an *Error with the same code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Retriable reports whether a producer should retry a send that failed
// with e on another queue: client-go does so for SYSTEM_ERROR,
// SERVICE_NOT_AVAILABLE, NO_PERMISSION and TOPIC_NOT_EXIST.
func (e *Error) Retriable() bool {
	if int(e.Code) >= 0 && int(e.Code) < len(code2err) && code2err[e.Code].err != nil {
		return code2err[e.Code].retriable
	}
	return false
}

// NewError returns an *Error with the given code and remark.
func NewError(code ResponseCode, remark string) *Error {
	return &Error{Code: code, Remark: remark}
}

// The *Error values of the response codes that are errors (4.9.4
// ResponseCode.java and RemotingSysResponseCode.java). The remarks are
// defaults; handlers usually say more with NewError.
var (
	ErrSystemError                = &Error{SystemError, "system error"}
	ErrSystemBusy                 = &Error{SystemBusy, "system busy"}
	ErrRequestCodeNotSupported    = &Error{RequestCodeNotSupported, "request code not supported"}
	ErrTransactionFailed          = &Error{TransactionFailed, "transaction failed"}
	ErrFlushDiskTimeout           = &Error{FlushDiskTimeout, "flush disk timeout"}
	ErrSlaveNotAvailable          = &Error{SlaveNotAvailable, "slave not available"}
	ErrFlushSlaveTimeout          = &Error{FlushSlaveTimeout, "flush slave timeout"}
	ErrMessageIllegal             = &Error{MessageIllegal, "message illegal"}
	ErrServiceNotAvailable        = &Error{ServiceNotAvailable, "service not available"}
	ErrVersionNotSupported        = &Error{VersionNotSupported, "version not supported"}
	ErrNoPermission               = &Error{NoPermission, "no permission"}
	ErrTopicNotExist              = &Error{TopicNotExist, "topic not exist"}
	ErrTopicExistAlready          = &Error{TopicExistAlready, "topic exist already"}
	ErrPullNotFound               = &Error{PullNotFound, "pull not found"}
	ErrPullRetryImmediately       = &Error{PullRetryImmediately, "pull retry immediately"}
	ErrPullOffsetMoved            = &Error{PullOffsetMoved, "pull offset moved"}
	ErrQueryNotFound              = &Error{QueryNotFound, "query not found"}
	ErrSubscriptionParseFailed    = &Error{SubscriptionParseFailed, "subscription parse failed"}
	ErrSubscriptionNotExist       = &Error{SubscriptionNotExist, "subscription not exist"}
	ErrSubscriptionNotLatest      = &Error{SubscriptionNotLatest, "subscription not latest"}
	ErrSubscriptionGroupNotExist  = &Error{SubscriptionGroupNotExist, "subscription group not exist"}
	ErrFilterDataNotExist         = &Error{FilterDataNotExist, "filter data not exist"}
	ErrFilterDataNotLatest        = &Error{FilterDataNotLatest, "filter data not latest"}
	ErrTransactionShouldCommit    = &Error{TransactionShouldCommit, "transaction should commit"}
	ErrTransactionShouldRollback  = &Error{TransactionShouldRollback, "transaction should rollback"}
	ErrTransactionStateUnknown    = &Error{TransactionStateUnknown, "transaction state unknown"}
	ErrTransactionStateGroupWrong = &Error{TransactionStateGroupWrong, "transaction state group wrong"}
	ErrNoBuyerID                  = &Error{NoBuyerID, "no buyer id"}
	ErrNotInCurrentUnit           = &Error{NotInCurrentUnit, "not in current unit"}
	ErrConsumerNotOnline          = &Error{ConsumerNotOnline, "consumer not online"}
	ErrConsumeMsgTimeout          = &Error{ConsumeMsgTimeout, "consume msg timeout"}
	ErrNoMessage                  = &Error{NoMessage, "no message"}
)

// code2err is the one table from response code to error, indexed by code.
// retriable follows client-go v2.1.2's needRetryCode.
var code2err = [...]struct {
	err       *Error
	retriable bool
}{
	SystemError:                {ErrSystemError, true},
	SystemBusy:                 {ErrSystemBusy, false},
	RequestCodeNotSupported:    {ErrRequestCodeNotSupported, false},
	TransactionFailed:          {ErrTransactionFailed, false},
	FlushDiskTimeout:           {ErrFlushDiskTimeout, false},
	SlaveNotAvailable:          {ErrSlaveNotAvailable, false},
	FlushSlaveTimeout:          {ErrFlushSlaveTimeout, false},
	MessageIllegal:             {ErrMessageIllegal, false},
	ServiceNotAvailable:        {ErrServiceNotAvailable, true},
	VersionNotSupported:        {ErrVersionNotSupported, false},
	NoPermission:               {ErrNoPermission, true},
	TopicNotExist:              {ErrTopicNotExist, true},
	TopicExistAlready:          {ErrTopicExistAlready, false},
	PullNotFound:               {ErrPullNotFound, false},
	PullRetryImmediately:       {ErrPullRetryImmediately, false},
	PullOffsetMoved:            {ErrPullOffsetMoved, false},
	QueryNotFound:              {ErrQueryNotFound, false},
	SubscriptionParseFailed:    {ErrSubscriptionParseFailed, false},
	SubscriptionNotExist:       {ErrSubscriptionNotExist, false},
	SubscriptionNotLatest:      {ErrSubscriptionNotLatest, false},
	SubscriptionGroupNotExist:  {ErrSubscriptionGroupNotExist, false},
	FilterDataNotExist:         {ErrFilterDataNotExist, false},
	FilterDataNotLatest:        {ErrFilterDataNotLatest, false},
	TransactionShouldCommit:    {ErrTransactionShouldCommit, false},
	TransactionShouldRollback:  {ErrTransactionShouldRollback, false},
	TransactionStateUnknown:    {ErrTransactionStateUnknown, false},
	TransactionStateGroupWrong: {ErrTransactionStateGroupWrong, false},
	NoBuyerID:                  {ErrNoBuyerID, false},
	NotInCurrentUnit:           {ErrNotInCurrentUnit, false},
	ConsumerNotOnline:          {ErrConsumerNotOnline, false},
	ConsumeMsgTimeout:          {ErrConsumeMsgTimeout, false},
	NoMessage:                  {ErrNoMessage, false},
}

// ErrorForCode returns the table's *Error for code (as an error, so that
// Success gives a true nil), or a fresh *Error naming the number for a
// code the table does not know (5.x codes, for example).
func ErrorForCode(code ResponseCode) error {
	if code == Success {
		return nil
	}
	return errorForCode(code)
}

func errorForCode(code ResponseCode) *Error {
	if int(code) > 0 && int(code) < len(code2err) && code2err[code].err != nil {
		return code2err[code].err
	}
	return &Error{Code: code, Remark: "response code " + strconv.Itoa(int(code))}
}

// ErrorFromResponse returns nil if resp has code Success, and otherwise an
// *Error with resp's code and a copy of its remark. Codes that some callers
// count as success (FLUSH_DISK_TIMEOUT after a send, PULL_NOT_FOUND after a
// pull) are errors here; the caller checks for them first.
func ErrorFromResponse(resp *Command) error {
	if resp.Code == int32(Success) {
		return nil
	}
	return &Error{Code: ResponseCode(resp.Code), Remark: string(resp.Remark)}
}

// IsRetriable reports whether err carries an *Error whose code client-go
// retries a send on (see Error.Retriable). Transport errors are not
// classified here.
func IsRetriable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Retriable()
}

// ResponseFor maps err to the code and remark of the response that reports
// it: nil gives Success and ""; an *Error anywhere in err's chain gives its
// code and remark (the code's default remark if that is empty); anything
// else, like Java's handler exceptions, gives SystemError with err's text.
func ResponseFor(err error) (ResponseCode, string) {
	if err == nil {
		return Success, ""
	}
	var e *Error
	if errors.As(err, &e) {
		if e.Remark == "" && e.Code != Success {
			return e.Code, errorForCode(e.Code).Remark
		}
		return e.Code, e.Remark
	}
	return SystemError, err.Error()
}
