package storage

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/heliosdb/nano/internal/fsutil"
	"github.com/heliosdb/nano/lsn"
)

// WriteBackup streams a consistent copy of the whole file to w (bbolt
// Tx.WriteTo inside one read transaction, after a flush of the pending
// changes) and returns the applied LSN that copy holds and the bytes written. Apply keeps running meanwhile. The copy
// includes the node-local bucket. Returns ErrClosed after Close.
func (db *DB) WriteBackup(w io.Writer) (applied lsn.LSN, n int64, err error) {
	if err := db.Flush(); err != nil { // a fresher copy: less WAL to stream after it
		return 0, 0, fmt.Errorf("storage: write backup of %s: %w", db.path, err)
	}
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

// Replace makes the DB's content a copy of a WriteBackup stream, in place:
// the stream is written to a temporary file and verified as RestoreBackup
// does, then one bbolt transaction drops every bucket of the live file and
// copies every bucket of the backup (data, meta and node-local values).
// Snapshots opened before keep seeing the old content; the DB handle stays
// valid, so a standby re-seeded at run time needs no restart. The whole
// content is one transaction, so the switch is atomic and crash-safe, at
// the cost of holding the dirty pages in memory until it commits. Returns
// the applied LSN of the new content.
func (db *DB) Replace(r io.Reader) (lsn.LSN, error) {
	tmp, err := writeTemp(db.path, r)
	if err != nil {
		return 0, fmt.Errorf("storage: replace %s: %w", db.path, err)
	}
	defer os.Remove(tmp)
	applied, err := verifyFile(tmp)
	if err != nil {
		return 0, fmt.Errorf("storage: replace %s: %w", db.path, err)
	}
	src, err := bolt.Open(tmp, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return 0, fmt.Errorf("storage: replace %s: open backup: %w", db.path, err)
	}
	defer src.Close()
	db.flushMu.Lock()
	defer db.flushMu.Unlock()
	db.applyMu.Lock()
	defer db.applyMu.Unlock()
	err = src.View(func(stx *bolt.Tx) error {
		return db.commitPublished(applied, func(tx *bolt.Tx) error { return replaceAll(tx, stx) })
	})
	if err != nil {
		return 0, fmt.Errorf("storage: replace %s: %w", db.path, err)
	}
	db.updateSize()
	db.log.Info("storage replaced from backup", "path", db.path, "lsn", applied)
	return applied, nil
}

// replaceAll makes dst's buckets an exact copy of src's.
func replaceAll(dst, src *bolt.Tx) error {
	var names [][]byte
	if err := dst.ForEach(func(name []byte, _ *bolt.Bucket) error {
		names = append(names, append([]byte{}, name...))
		return nil
	}); err != nil {
		return err
	}
	for _, name := range names {
		if err := dst.DeleteBucket(name); err != nil {
			return fmt.Errorf("drop bucket %q: %w", name, err)
		}
	}
	return src.ForEach(func(name []byte, b *bolt.Bucket) error {
		nb, err := dst.CreateBucket(name)
		if err != nil {
			return fmt.Errorf("create bucket %q: %w", name, err)
		}
		return copyBucket(nb, b)
	})
}

func copyBucket(dst, src *bolt.Bucket) error {
	dst.FillPercent = 1 // keys arrive in order: pack pages full
	return src.ForEach(func(k, v []byte) error {
		if v != nil {
			return dst.Put(k, v)
		}
		child, err := dst.CreateBucket(k)
		if err != nil {
			return err
		}
		return copyBucket(child, src.Bucket(k))
	})
}
