package storage

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"

	"github.com/heliosdb/nano/internal/fsutil"
	"github.com/heliosdb/nano/lsn"
)

// WriteBackup streams a consistent copy of the whole file to w (bbolt
// Tx.WriteTo inside one read transaction) and returns the applied LSN that
// copy holds and the bytes written. Apply keeps running meanwhile. The copy
// includes the node-local bucket. Returns ErrClosed after Close.
func (db *DB) WriteBackup(w io.Writer) (applied lsn.LSN, n int64, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		applied = appliedIn(tx)
		var werr error
		n, werr = tx.WriteTo(w)
		return werr
	})
	if err != nil {
		return 0, n, fmt.Errorf("storage: write backup of %s: %w", db.path, err)
	}
	db.log.Info("storage backup written", "path", db.path, "lsn", applied, "bytes", n)
	return applied, n, nil
}

// RestoreBackup writes a stream produced by WriteBackup to path and
// returns the applied LSN it holds. The checklist:
//
//  1. copy r into a temporary file beside path; check that its bbolt meta
//     pages are valid and describe only pages inside the file (bbolt would
//     SIGBUS on a truncated file); fsync it;
//  2. verify the temporary file: bbolt opens it read-only, its consistency
//     check passes and it carries FormatVersion (ErrCorrupt,
//     ErrVersionMismatch);
//  3. rename it over path and fsync the directory.
//
// A failed or corrupt restore leaves path untouched. No DB may be open on
// path. bbolt has no page checksums: a stream damaged inside a data page
// can pass verification, so the transport should carry its own checksum.
func RestoreBackup(path string, r io.Reader) (lsn.LSN, error) {
	tmp, err := writeTemp(path, r)
	if err != nil {
		return 0, fmt.Errorf("storage: restore %s: %w", path, err)
	}
	defer os.Remove(tmp) // no-op once renamed
	applied, err := verifyFile(tmp)
	if err != nil {
		return 0, fmt.Errorf("storage: restore %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return 0, fmt.Errorf("storage: restore %s: %w", path, err)
	}
	if err := fsutil.SyncDir(filepath.Dir(path)); err != nil {
		return 0, fmt.Errorf("storage: restore %s: %w", path, err)
	}
	return applied, nil
}

// writeTemp copies r into a new fsynced temporary file beside path and
// returns its name. On error the file is removed.
func writeTemp(path string, r io.Reader) (name string, err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".restore*")
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = io.Copy(f, r); err != nil {
		return "", fmt.Errorf("copy stream: %w", err)
	}
	if err = checkBoltHeader(f); err != nil {
		return "", err
	}
	if err = f.Sync(); err != nil {
		return "", fmt.Errorf("sync %s: %w", f.Name(), err)
	}
	if err = f.Chmod(0o600); err != nil {
		return "", err
	}
	return f.Name(), f.Close()
}

// verifyFile opens a candidate file read-only, runs bbolt's check and the
// format-version check, and returns its applied LSN. The bytes came from
// the network, so a panic inside bbolt is turned into ErrCorrupt.
func verifyFile(path string) (applied lsn.LSN, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: verify %s: bbolt panicked: %v", ErrCorrupt, path, r)
		}
	}()
	cfg := Config{Path: path}.withDefaults()
	cfg.InitialMmapSize = 0 // a short-lived read-only check needs no head room
	bdb, err := bolt.Open(path, 0o600, boltOptions(cfg, true))
	if err != nil {
		return 0, fmt.Errorf("%w: open %s: %w", ErrCorrupt, path, err)
	}
	defer bdb.Close()
	err = bdb.View(func(tx *bolt.Tx) error {
		if err := checkTx(tx, path); err != nil {
			return err
		}
		applied, err = readMeta(tx)
		return err
	})
	return applied, err
}
