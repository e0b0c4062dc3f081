package pgwire

import "errors"

var (
	// ErrServerClosed is returned by Serve after Shutdown or Close.
	ErrServerClosed = errors.New("pgwire: server closed")
	// ErrInvalidConfig is wrapped by Config.Validate and NewServer errors.
	ErrInvalidConfig = errors.New("pgwire: invalid config")
)
