package proxy

import "errors"

var (
	// ErrServerClosed is returned by Serve after Shutdown or Close.
	ErrServerClosed = errors.New("proxy: server closed")
	// ErrInvalidConfig wraps configuration errors from New.
	ErrInvalidConfig = errors.New("proxy: invalid configuration")
)
