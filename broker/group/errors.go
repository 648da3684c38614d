package group

import "errors"

var (
	// ErrInvalidConfig is returned (wrapped, naming the field) by
	// Config.Validate.
	ErrInvalidConfig = errors.New("group: invalid config")
	// ErrCorruptFile marks a persisted JSON file (consumerOffset.json,
	// subscriptionGroup.json) that does not decode, when its .bak copy
	// does not decode either or is missing. The wrapping error names the
	// file(s).
	ErrCorruptFile = errors.New("group: corrupt config file")
	// ErrInvalidGroup is returned by SubscriptionGroups.Put for a config
	// with an empty group name.
	ErrInvalidGroup = errors.New("group: empty group name")
)
