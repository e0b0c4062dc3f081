package wal

import (
	"errors"
	"fmt"
	"os"
)

// Failed returns the write or fsync failure that stopped the log (Append
// and Sync refuse to run until Recover succeeds), or nil.
func (l *Log) Failed() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.failed
}

// Recover clears a write or fsync failure so that the log accepts appends
// again, without losing or resurrecting anything:
//
//   - Everything after FlushedLSN is discarded — in memory and on disk.
//     Those records were appended but their write or fsync failed, so no
//     caller was ever told they were durable (callers answer them as
//     failed). After a failed fsync the kernel may have dropped or kept
//     their pages: nobody knows what reached the disk, so they must never
//     be replayed.
//   - Segment files at or after the first segment holding nothing durable
//     are removed; the segment holding FlushedLSN is truncated there,
//     re-preallocated (its tail zero again) and fsynced through a newly
//     opened file descriptor, then the directory is fsynced.
//
// Bytes below FlushedLSN were fsynced before the failure and are not
// touched. PostgreSQL PANICs instead (its shared buffers may hold pages the
// failed fsync covered); the WAL keeps no such state: what is below
// FlushedLSN is on disk, what is above is dropped. Recover fails (and the
// log stays failed) while the disk is still full; call it again later.
// It is a no-op on a healthy log. Readers are unaffected: they read below
// FlushedLSN only.
func (l *Log) Recover() error {
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	if l.failed == nil {
		return nil
	}
	at, end := l.flushed, l.end
	l.pending, l.pendingBytes = nil, 0
	k := l.segIndexLocked(at)
	if k > 0 && l.segs[k].start == at {
		k-- // that segment holds nothing durable; its creation may have failed half-way
	}
	seg := l.segs[k]
	if err := l.closeFiles(); err != nil && !errors.Is(err, os.ErrClosed) {
		l.log.Warn("wal: recover: closing the failed segment", "err", err)
	}
	l.target, l.dirty, l.dirDirty = nil, false, false
	if err := l.removeFilesAfter(seg); err != nil {
		return err
	}
	f, err := os.OpenFile(seg.path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("wal: recover: reopen segment: %w", err)
	}
	size := int64(at - seg.start)
	if err := truncateOpen(f, size, l.cfg.SegmentSize); err != nil {
		f.Close()
		return fmt.Errorf("wal: recover: %w", err)
	}
	seg.f, seg.size, seg.created = f, size, true
	l.segs, l.target = l.segs[:k+1], seg
	l.end, l.failed = at, nil
	l.rewindLocked(at)
	l.m.segments.Set(float64(len(l.segs)))
	l.log.Warn("wal: recovered from a failed write; discarded what was never durable", "lsn", at, "discarded_bytes", uint64(end-at))
	return nil
}

// removeFilesAfter deletes every segment file that starts after keep
// (whether or not the Log knew it was created) and fsyncs the directory.
func (l *Log) removeFilesAfter(keep *segment) error {
	starts, err := listSegments(l.cfg.Dir)
	if err != nil {
		return err
	}
	removed := false
	for _, s := range starts {
		if s <= keep.start {
			continue
		}
		if err := os.Remove(l.segPath(s)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("wal: recover: remove segment: %w", err)
		}
		removed = true
	}
	if !removed {
		return nil
	}
	return syncDir(l.cfg.Dir)
}
