package pgfront

import "errors"

var (
	// ErrInvalidConfig is wrapped by Config.Validate and New errors.
	ErrInvalidConfig = errors.New("pgfront: invalid config")
	// ErrClosed is returned by Accept once Drain or Close began.
	ErrClosed = errors.New("pgfront: closed")
	// ErrTooManyConnections is returned by Accept for a connection over
	// the raw limit; it has been answered 53300 and closed.
	ErrTooManyConnections = errors.New("pgfront: too many connections")
	// ErrStartupEnded is returned by Conn.Startup when the connection must
	// end: the client has been told why when it could be.
	ErrStartupEnded = errors.New("pgfront: startup ended")
)
