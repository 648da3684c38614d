// Package testutil has helpers shared by tests: temporary directories,
// waiting on conditions with deadlines, free loopback ports.
package testutil
