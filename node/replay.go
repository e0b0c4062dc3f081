package node

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/storage"
	"github.com/heliosdb/nano/wal"
)

// replayBatchBytes bounds how much WAL one storage transaction applies
// during recovery.
const replayBatchBytes = 4 << 20

// replay applies every durable WAL record after storage's applied LSN. The
// WAL is the truth: storage may lag it (a crash between WAL fsync and the
// bbolt commit) but never lead it.
func (n *Node) replay() error { return n.replayUpTo(true) }

// replayRole is recovery at start: a primary replays its WAL; a standby
// only checks that its WAL continues storage, and leaves the records
// after it to the receiver, which applies them once its primary has
// released them (a flushed record may be one the primary never
// acknowledged, which a failover to its sync standby would take back).
func (n *Node) replayRole() error { return n.replayUpTo(n.role() != RoleStandby) }

func (n *Node) replayUpTo(apply bool) error {
	applied, end := n.db.AppliedLSN(), n.wal.FlushedLSN()
	switch {
	case applied == end:
		n.log.Info("recovery: storage is up to date", "lsn", applied.String())
		return nil
	case applied > end:
		return fmt.Errorf("node: storage applied up to %s but the WAL ends at %s: the WAL lost committed records (data dir %s damaged?)",
			applied, end, n.cfg.DataDir)
	case applied < n.wal.FirstLSN():
		return fmt.Errorf("node: storage applied up to %s but the WAL starts at %s: records needed for recovery are gone",
			applied, n.wal.FirstLSN())
	}
	if !apply {
		n.log.Info("recovery: standby; the WAL after storage's LSN is applied once the primary has released it",
			"storage_lsn", applied.String(), "wal_end", end.String(), "bytes", end.Sub(applied))
		return nil
	}
	n.log.Info("recovery: replaying WAL", "from", applied.String(), "to", end.String(), "bytes", end.Sub(applied))
	r, err := n.wal.NewReader(applied)
	if err != nil {
		return fmt.Errorf("node: replay from %s: %w", applied, err)
	}
	defer r.Close()
	return n.replayFrom(r, end)
}

func (n *Node) replayFrom(r *wal.Reader, end lsn.LSN) error {
	var (
		batches  []*storage.Batch
		size     int
		last     lsn.LSN
		records  int
		lastNote = time.Now()
	)
	flush := func() error {
		if len(batches) == 0 && last <= n.db.AppliedLSN() {
			return nil
		}
		if err := n.db.Apply(last, batches...); err != nil {
			return fmt.Errorf("node: replay apply at %s: %w", last, err)
		}
		batches, size = batches[:0], 0
		return nil
	}
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("node: replay: %w", err)
		}
		if b, err := decodeRecord(rec); err != nil {
			return err
		} else if b != nil {
			batches = append(batches, b)
			size += len(rec.Data)
		}
		last, records = rec.End(), records+1
		if size >= replayBatchBytes {
			if err := flush(); err != nil {
				return err
			}
		}
		if time.Since(lastNote) > 2*time.Second {
			n.log.Info("recovery: progress", "lsn", last.String(), "end", end.String(), "records", records)
			lastNote = time.Now()
		}
	}
	if err := flush(); err != nil {
		return err
	}
	n.log.Info("recovery: done", "records", records, "lsn", last.String())
	return nil
}

// decodeRecord returns the storage batch a record carries, or nil for
// records that change no data.
func decodeRecord(rec wal.Record) (*storage.Batch, error) {
	switch rec.Type {
	case recCommit:
		b, err := storage.DecodeBatch(rec.Data)
		if err != nil {
			return nil, fmt.Errorf("node: WAL record at %s: %w", rec.LSN, err)
		}
		return b, nil
	default:
		return nil, nil
	}
}
