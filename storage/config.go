package storage

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Defaults for zero Config fields.
const (
	// DefaultInitialMmapSize is 256 GiB of address space on a 64-bit
	// platform (1 GiB on a 32-bit one): address space only, not memory
	// or disk (bbolt never touches the mapping past the file's end). bbolt
	// must remap the file when it grows past the mapping, and a remap
	// waits for every open read transaction (Snapshot) to finish while
	// blocking the writer — so a transaction that holds a Snapshot and
	// waits for its own durable commit (a COPY's chunk, which reads its
	// staged rows through one) hung for good when its load took the file
	// past the mapping: a 1 GB COPY stopped at 1 GiB. Mapped this large,
	// the file never outgrows it (256 GiB is within bbolt's largest
	// mapping on every 64-bit platform).
	DefaultInitialMmapSize = 1 << (30 + 8*(^uint(0)>>63))

	// DefaultLockTimeout is how long Open waits for bbolt's file lock,
	// held by another DB (in this or another process) on the same file.
	DefaultLockTimeout = 5 * time.Second
)

// Config configures Open. The zero value of every optional field selects
// the documented default.
type Config struct {
	// Path is the bbolt file. Required. Its directory must exist.
	Path string

	// Logger receives open/close/restore events. Nil discards.
	Logger *slog.Logger

	// InitialMmapSize is the initial mmap size in bytes; 0 means
	// DefaultInitialMmapSize. See there for why it is large.
	InitialMmapSize int

	// LockTimeout bounds the wait for the file lock; 0 means
	// DefaultLockTimeout.
	LockTimeout time.Duration

	// FlushInterval bounds how long applied changes stay only in memory
	// (and the WAL) before they are written into the file; 0 means
	// DefaultFlushInterval (memtable.go).
	FlushInterval time.Duration

	// FlushBytes starts a flush early when the pending changes grow past
	// it; 0 means DefaultFlushBytes.
	FlushBytes int64

	// MergeStepKeys and MergeStepBytes bound one transaction of the
	// mover that writes a published bulk load into its bucket (merge.go);
	// 0 means the defaults (64Ki keys, 16 MiB).
	MergeStepKeys  int
	MergeStepBytes int

	// Registerer receives the package's metrics (metrics.go); nil means
	// none. Close unregisters them, so a DB can be reopened on the same
	// registry.
	Registerer prometheus.Registerer
}

// Validate reports a missing Path or a negative size or timeout.
func (c Config) Validate() error {
	var errs []error
	if c.Path == "" {
		errs = append(errs, errors.New("storage: Config.Path is required"))
	}
	if c.InitialMmapSize < 0 {
		errs = append(errs, fmt.Errorf("storage: Config.InitialMmapSize %d is negative", c.InitialMmapSize))
	}
	if c.FlushInterval < 0 || c.FlushBytes < 0 {
		errs = append(errs, fmt.Errorf("storage: Config.FlushInterval %v or FlushBytes %d is negative", c.FlushInterval, c.FlushBytes))
	}
	if c.LockTimeout < 0 {
		errs = append(errs, fmt.Errorf("storage: Config.LockTimeout %v is negative", c.LockTimeout))
	}
	return errors.Join(errs...)
}

// withDefaults returns c with zero optional fields replaced by defaults.
func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.InitialMmapSize == 0 {
		c.InitialMmapSize = DefaultInitialMmapSize
	}
	if c.LockTimeout == 0 {
		c.LockTimeout = DefaultLockTimeout
	}
	if c.FlushInterval == 0 {
		c.FlushInterval = DefaultFlushInterval
	}
	if c.FlushBytes == 0 {
		c.FlushBytes = DefaultFlushBytes
	}
	if c.MergeStepKeys <= 0 {
		c.MergeStepKeys = defaultMergeStepKeys
	}
	if c.MergeStepBytes <= 0 {
		c.MergeStepBytes = defaultMergeStepBytes
	}
	return c
}
