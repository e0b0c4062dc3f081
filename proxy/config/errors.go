package config

import "fmt"

// Error is an invalid configuration value. Key is the dotted path of the
// offending key ("proxy.failure_threshold", "nodes[1].port"); callers such
// as the command line exit non-zero and print it.
type Error struct {
	Key    string
	Reason string
}

func (e *Error) Error() string { return fmt.Sprintf("config: %s: %s", e.Key, e.Reason) }

func bad(key, format string, args ...any) *Error {
	return &Error{Key: key, Reason: fmt.Sprintf(format, args...)}
}
