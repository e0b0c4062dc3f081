package wire

import "errors"

var (
	// ErrTooLarge is returned for a message longer than the Reader's limit.
	ErrTooLarge = errors.New("wire: message too large")
	// ErrBadLength is returned for a length field that cannot be valid.
	ErrBadLength = errors.New("wire: invalid message length")
)
