package wal

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

const (
	// DefaultSegmentSize is used when Config.SegmentSize is zero.
	DefaultSegmentSize = 64 << 20
	// MinSegmentSize is the smallest accepted Config.SegmentSize.
	MinSegmentSize = 1 << 10
	// DefaultSlowSync is used when Config.SlowSync is zero.
	DefaultSlowSync = time.Second
)

// Config configures a Log. The zero value of every field except Dir means
// the documented default.
type Config struct {
	// Dir holds the segment files. Required; created (0750) if missing.
	// The Log assumes it is the only writer of Dir (the node holds the
	// data-directory lock).
	Dir string
	// SegmentSize is the number of record bytes per segment file (the
	// segment header is not counted). A segment is cut when the next record
	// would exceed it; a record larger than SegmentSize gets a segment of
	// its own. Default DefaultSegmentSize (64 MiB); minimum MinSegmentSize.
	SegmentSize int64
	// Logger receives segment cuts, torn-tail repairs and slow fsyncs.
	// nil discards.
	Logger *slog.Logger
	// Registerer receives the collectors of metrics.go. nil = no metrics.
	Registerer prometheus.Registerer
	// SlowSync: an fsync taking longer is logged at Warn. Default
	// DefaultSlowSync (1s).
	SlowSync time.Duration
	// SyncMark is test support for a simulated power cut: whenever the
	// flushed LSN changes (after each fsync, before it is published), the
	// Log writes it to Dir/SyncMarkName, without an fsync — a kill -9
	// keeps it, as it keeps every write. waltest.PowerCut then drops what
	// a machine losing power would: the segment bytes past the mark. One
	// small file write per fsync; off in production.
	SyncMark bool
}

// SyncMarkName is the file Config.SyncMark writes in Dir.
const SyncMarkName = "sync.mark"

// Validate reports the first invalid field.
func (c Config) Validate() error {
	switch {
	case c.Dir == "":
		return errors.New("wal: config: Dir is required")
	case c.SegmentSize != 0 && c.SegmentSize < MinSegmentSize:
		return fmt.Errorf("wal: config: SegmentSize %d is below the minimum %d", c.SegmentSize, MinSegmentSize)
	case c.SegmentSize > 1<<40:
		return fmt.Errorf("wal: config: SegmentSize %d is too large", c.SegmentSize)
	case c.SlowSync < 0:
		return fmt.Errorf("wal: config: SlowSync %v is negative", c.SlowSync)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.SegmentSize == 0 {
		c.SegmentSize = DefaultSegmentSize
	}
	if c.SlowSync == 0 {
		c.SlowSync = DefaultSlowSync
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}
