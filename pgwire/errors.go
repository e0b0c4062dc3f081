package pgwire

import "errors"

var (
	// ErrServerClosed is returned by Serve after Shutdown or Close.
	ErrServerClosed = errors.New("pgwire: server closed")
)
