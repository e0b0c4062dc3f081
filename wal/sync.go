package wal

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/heliosdb/nano/lsn"
)

// Sync makes every record appended before the call durable and returns the
// flushed LSN. It does not hold up concurrent Appends while it writes and
// fsyncs (group commit): records appended meanwhile are picked up by the
// next Sync. Concurrent Syncs may share one fsync. An I/O failure is sticky:
// the Log then refuses further Appends and Syncs (the state of the file
// after a failed fsync is unknown) until Recover discards what was not
// durable.
func (l *Log) Sync() (flushed lsn.LSN, err error) {
	l.mu.Lock()
	if err := l.usableLocked(); err != nil {
		l.mu.Unlock()
		return 0, err
	}
	want := l.end
	l.mu.Unlock()

	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	l.mu.Lock()
	flushed, err = l.flushed, l.usableLocked()
	l.mu.Unlock()
	if err != nil || flushed >= want {
		return flushed, err // a concurrent Sync already covered us
	}
	return l.flushLocked(true)
}

// flushLocked writes every pending chunk and, when durable, fsyncs and
// publishes the new flushed LSN. syncMu must be held, mu must not.
func (l *Log) flushLocked(durable bool) (lsn.LSN, error) {
	l.mu.Lock()
	if l.failed != nil {
		defer l.mu.Unlock()
		return l.flushed, l.usableLocked()
	}
	chunks, target := l.pending, l.end
	l.pending, l.pendingBytes = nil, 0
	l.mu.Unlock()

	err := l.writeChunks(chunks)
	if err == nil && len(chunks) > 0 {
		l.mu.Lock()
		l.setWrittenLocked(target)
		l.mu.Unlock()
	}
	if err == nil && durable {
		err = l.fsyncAll()
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	l.recycle(chunks)
	if err != nil {
		l.failed = err
		l.log.Error("wal: write failed; log is now read-only", "err", err)
		return l.flushed, err
	}
	if durable {
		l.setFlushedLocked(target)
	}
	return l.flushed, nil
}

// setFlushedLocked publishes a new flushed LSN and wakes WaitFlushed.
func (l *Log) setFlushedLocked(v lsn.LSN) {
	l.writeSyncMark(v)
	l.flushed = v
	l.m.flushed.Set(float64(v))
	close(l.flushCh)
	l.flushCh = make(chan struct{})
}

// writeChunks writes chunks in LSN order (pwrite, no fsync except when
// moving to another segment; see switchTarget).
func (l *Log) writeChunks(chunks []chunk) error {
	for _, c := range chunks {
		if err := l.switchTarget(c.seg); err != nil {
			return err
		}
		if _, err := c.seg.f.WriteAt(c.buf, SegmentHeaderSize+c.off); err != nil {
			return fmt.Errorf("wal: write %s: %w", c.seg.path, err)
		}
		l.dirty = true
		l.m.bytes.Add(float64(len(c.buf)))
	}
	return nil
}

// switchTarget makes seg the file being written. The previous target (and
// the directory, if it holds a new entry) is fsynced and closed *before* a
// new segment file is created, so a segment file exists only once
// everything before it is durable; recovery relies on this to scan only the
// last segment.
func (l *Log) switchTarget(seg *segment) error {
	if l.target == seg {
		return nil
	}
	if err := l.fsyncAll(); err != nil {
		return err
	}
	if err := l.closeFiles(); err != nil {
		return err
	}
	if !seg.created {
		f, err := createSegmentFile(seg.path, seg.start, l.cfg.SegmentSize)
		if err != nil {
			return err
		}
		seg.f, seg.created, l.dirDirty = f, true, true
		l.log.Info("wal: segment cut", "segment", SegmentName(seg.start), "lsn", seg.start)
	}
	if seg.f == nil {
		return fmt.Errorf("wal: internal error: segment %s has no open file", seg.path)
	}
	l.target = seg
	return nil
}

// fsyncAll fsyncs the write target and, after a segment creation, the
// directory.
func (l *Log) fsyncAll() error {
	if l.dirty {
		if err := l.fsyncTarget(); err != nil {
			return err
		}
	}
	if l.dirDirty {
		if err := syncDir(l.cfg.Dir); err != nil {
			return err
		}
		l.dirDirty = false
	}
	return nil
}

func (l *Log) fsyncTarget() error {
	start := time.Now()
	err := fdatasync(l.target.f)
	took := time.Since(start)
	l.m.fsync.Observe(took.Seconds())
	if took > l.cfg.SlowSync {
		l.log.Warn("wal: slow fsync", "segment", SegmentName(l.target.start), "took", took)
	}
	if err != nil {
		return err
	}
	l.dirty = false
	return nil
}

// FlushedChanged returns a channel closed when FlushedLSN next changes or
// the Log closes, for a caller that waits on it together with other
// events; it returns ErrClosed once the Log is closed.
func (l *Log) FlushedChanged() (<-chan struct{}, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, ErrClosed
	}
	return l.flushCh, nil
}

// WaitFlushed blocks until FlushedLSN() > after and returns it. It returns
// ctx.Err() when ctx is done first and ErrClosed when the Log is closed.
// Replication senders use it to tail the log with a Reader.
func (l *Log) WaitFlushed(ctx context.Context, after lsn.LSN) (lsn.LSN, error) {
	for {
		l.mu.Lock()
		flushed, closed, ch := l.flushed, l.closed, l.flushCh
		l.mu.Unlock()
		switch {
		case closed:
			return flushed, ErrClosed
		case flushed > after:
			return flushed, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return flushed, ctx.Err()
		}
	}
}

// writeSyncMark records the flushed LSN v for waltest.PowerCut when
// Config.SyncMark is set (before v is published: whatever a caller was told
// is durable lies below the mark). One 8-byte pwrite over the previous mark,
// so a kill leaves either. A failure is logged: it weakens a test, never
// the log.
func (l *Log) writeSyncMark(v lsn.LSN) {
	if !l.cfg.SyncMark {
		return
	}
	if l.markFile == nil {
		f, err := os.OpenFile(filepath.Join(l.cfg.Dir, SyncMarkName), os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			l.log.Error("wal: sync mark", "err", err)
			return
		}
		l.markFile = f
	}
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(v))
	if _, err := l.markFile.WriteAt(b[:], 0); err != nil {
		l.log.Error("wal: sync mark", "err", err)
	}
}
