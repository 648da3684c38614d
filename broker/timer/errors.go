package timer

import "errors"

var (
	// ErrClosed is returned by Add, Tick, Sync and Run after Close.
	ErrClosed = errors.New("timer: wheel closed")
	// ErrInvalidConfig is returned (wrapped, naming the field) by
	// Config.Validate and Open.
	ErrInvalidConfig = errors.New("timer: invalid config")
	// ErrBeyondMaxDelay is returned (wrapped, with the times) by Add for an
	// entry due more than Config.MaxDelay after now. The broker answers the
	// producer with a clear refusal (RocketMQ: timerMaxDelaySec).
	ErrBeyondMaxDelay = errors.New("timer: deliver time beyond the maximum delay")
	// ErrBusy is returned (wrapped) by Add when the entry's slot still
	// holds undelivered entries of a time one span earlier: delivery lags
	// by more than Config.Slack. Retriable: the broker's dispatcher waits
	// and adds the entry again once delivery has caught up.
	ErrBusy = errors.New("timer: slot still holds undelivered entries (delivery behind)")
	// ErrMismatch is returned (wrapped) by Open when the directory was
	// written with another Precision, span or SegmentSize. Changing them
	// needs an empty directory (drain the wheel first).
	ErrMismatch = errors.New("timer: directory written with another geometry")
	// ErrCorrupt marks a wheel file or checkpoint that is not ours, or an
	// unreadable log entry below the durable end.
	ErrCorrupt = errors.New("timer: corrupt file")
)
