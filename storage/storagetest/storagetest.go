// Package storagetest builds storage fixtures for tests, in the manner of
// net/http/httptest: a DB in t.TempDir that is checked and closed by
// t.Cleanup, and helpers that fail the test instead of returning errors.
package storagetest

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/storage"
)

// Open opens a fresh DB in a new temporary directory. At cleanup it runs
// the bbolt consistency check and closes the DB (unless already closed).
func Open(t testing.TB) *storage.DB {
	t.Helper()
	return OpenConfig(t, storage.Config{Path: filepath.Join(t.TempDir(), "data.bolt")})
}

// OpenConfig opens a DB with cfg. A nil Logger is routed to t.Output, and
// a zero InitialMmapSize becomes 16 MiB to keep tests light. Cleanup is as
// for Open.
func OpenConfig(t testing.TB, cfg storage.Config) *storage.DB {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	if cfg.InitialMmapSize == 0 {
		cfg.InitialMmapSize = 16 << 20
	}
	db, err := storage.Open(cfg)
	if err != nil {
		t.Fatalf("storagetest: open %s: %v", cfg.Path, err)
	}
	t.Cleanup(func() {
		if err := db.Check(); err != nil && !errors.Is(err, storage.ErrClosed) {
			t.Errorf("storagetest: check %s: %v", cfg.Path, err)
		}
		if err := db.Close(); err != nil && !errors.Is(err, storage.ErrClosed) {
			t.Errorf("storagetest: close %s: %v", cfg.Path, err)
		}
	})
	return db
}

// MustApply applies batches at end or fails the test.
func MustApply(t testing.TB, db *storage.DB, end lsn.LSN, batches ...*storage.Batch) {
	t.Helper()
	if err := db.Apply(end, batches...); err != nil {
		t.Fatalf("storagetest: apply %v: %v", end, err)
	}
}

// MustSnapshot opens a snapshot closed at cleanup, or fails the test.
func MustSnapshot(t testing.TB, db *storage.DB) *storage.Snapshot {
	t.Helper()
	s, err := db.Snapshot()
	if err != nil {
		t.Fatalf("storagetest: snapshot: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Get reads one value through a short-lived snapshot. The result is a
// copy; nil means missing.
func Get(t testing.TB, db *storage.DB, bucket, key string) []byte {
	t.Helper()
	s, err := db.Snapshot()
	if err != nil {
		t.Fatalf("storagetest: snapshot: %v", err)
	}
	defer s.Close()
	v := s.Get([]byte(bucket), []byte(key))
	if v == nil {
		return nil
	}
	return append([]byte{}, v...)
}

// Dump returns every data bucket and key/value of db as strings, for
// comparing two nodes or a state before and after reopen.
func Dump(t testing.TB, db *storage.DB) map[string]map[string]string {
	t.Helper()
	s, err := db.Snapshot()
	if err != nil {
		t.Fatalf("storagetest: snapshot: %v", err)
	}
	defer s.Close()
	out := map[string]map[string]string{}
	err = s.ForEachBucket(func(name []byte) error {
		kv := map[string]string{}
		c := s.Cursor(name)
		for k, v := c.First(); k != nil; k, v = c.Next() {
			kv[string(k)] = string(v)
		}
		out[string(name)] = kv
		return nil
	})
	if err != nil {
		t.Fatalf("storagetest: dump: %v", err)
	}
	return out
}

// DiffDumps describes the first differences between two dumps, or returns
// "" when they are equal.
func DiffDumps(want, got map[string]map[string]string) string {
	var diff string
	for b, kv := range want {
		g, ok := got[b]
		if !ok {
			diff += fmt.Sprintf("bucket %q missing\n", b)
			continue
		}
		for k, v := range kv {
			if gv, ok := g[k]; !ok || gv != v {
				diff += fmt.Sprintf("%q/%q: got %q (present=%t), want %q\n", b, k, gv, ok, v)
			}
		}
		for k := range g {
			if _, ok := kv[k]; !ok {
				diff += fmt.Sprintf("%q/%q: unexpected\n", b, k)
			}
		}
	}
	for b := range got {
		if _, ok := want[b]; !ok {
			diff += fmt.Sprintf("bucket %q unexpected\n", b)
		}
	}
	return diff
}
