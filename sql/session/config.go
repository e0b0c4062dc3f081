package session

import (
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/heliosdb/nano/sql/exec"
)

// Config configures the sessions of one node. The zero value of every
// field but Engine means its documented default.
type Config struct {
	// Engine executes SQL. Required.
	Engine *exec.Engine
	// ReadOnly reports whether this node refuses writes (a standby) and, if
	// so, the hint to give ("the primary is at host:port"). nil = never
	// read-only. Called once per statement; must be cheap and safe for
	// concurrent use.
	ReadOnly func() (bool, string)
	// ServerVersion is reported as server_version. Default "15.0".
	ServerVersion string
	// Settings are read-only parameters the server fixes at start, by
	// name (max_connections, superuser_reserved_connections): SHOW and
	// pg_settings give these values instead of the defaults.
	Settings map[string]string
	// Logger receives statement timing at Debug level. nil discards.
	Logger *slog.Logger
	// Now is the clock for statement timing. nil = time.Now.
	Now func() time.Time
	// Forward, when set, turns on write forwarding: on a read-only node a
	// writing statement and the rest of its transaction block run on the
	// primary through it (see forward.go). nil = writes fail with 25006.
	Forward Forwarder
	// Running, when set, counts the statements executing now (parse,
	// plan and run of a simple-query statement, a Parse or an Execute) in
	// every session sharing it; the node exports it as a metric.
	Running *atomic.Int64
}

// Validate reports a missing Engine or an out-of-range field.
func (c Config) Validate() error {
	if c.Engine == nil {
		return ErrNoEngine
	}
	return nil
}

// withDefaults returns c with zero fields replaced by their defaults.
func (c Config) withDefaults() Config {
	if c.ServerVersion == "" {
		c.ServerVersion = "15.0"
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.ReadOnly == nil {
		c.ReadOnly = func() (bool, string) { return false, "" }
	}
	return c
}
