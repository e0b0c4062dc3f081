package wal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/heliosdb/nano/lsn"
)

// resetSuffix marks the new first segment written by Reset before the old
// segments are removed; see finishReset.
const resetSuffix = ".reset"

// TruncateFront deletes whole segments that end at or before `before`
// (retention). The last segment is never deleted, nor a segment whose
// successor holds no durable data yet. Readers already inside a deleted
// segment keep their open file; new positions there get ErrNotRetained.
func (l *Log) TruncateFront(before lsn.LSN) error {
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	var victims []*segment
	for len(l.segs) > 1 && l.segs[1].start <= before && l.segs[1].start < l.flushed {
		victims = append(victims, l.segs[0])
		l.segs = l.segs[1:]
	}
	l.m.segments.Set(float64(len(l.segs)))
	l.mu.Unlock()
	if len(victims) == 0 {
		return nil
	}
	for _, s := range victims {
		if err := os.Remove(s.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("wal: truncate front: %w", err)
		}
	}
	l.log.Info("wal: removed old segments", "count", len(victims), "first", victims[len(victims)-1].end())
	return syncDir(l.cfg.Dir)
}

// TruncateBack durably discards everything from `at` (a record boundary in
// [FirstLSN, EndLSN]) on; EndLSN and FlushedLSN become `at`. It is used when
// this node's WAL diverged from a new primary. It must not run concurrently
// with Append; Readers must be recreated afterwards. Errors: ErrNotRetained,
// ErrBadPosition, ErrClosed. Steps: flush and fsync everything; check the
// boundary; remove later segments and fsync the directory (a crash here
// leaves a consistent, longer log); cut the segment holding `at`, re-zero
// its tail and fsync.
func (l *Log) TruncateBack(at lsn.LSN) error {
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	l.mu.Lock()
	err := l.usableLocked()
	l.mu.Unlock()
	if err != nil {
		return err
	}
	if _, err := l.flushLocked(true); err != nil {
		return err
	}
	if at == l.FlushedLSN() {
		return nil
	}
	r, err := l.NewReader(at) // validates the range and the boundary
	if err != nil {
		return fmt.Errorf("wal: truncate back: %w", err)
	}
	r.Close()

	l.mu.Lock()
	defer l.mu.Unlock()
	l.pending, l.pendingBytes = nil, 0 // appended concurrently, all beyond at
	k := l.segIndexLocked(at)
	if err := l.removeSegmentsLocked(l.segs[k+1:]); err != nil {
		return err
	}
	seg := l.segs[k]
	if err := l.reopenTarget(seg); err != nil {
		return err
	}
	seg.size = int64(at - seg.start)
	if err := truncateOpen(seg.f, seg.size, l.cfg.SegmentSize); err != nil {
		l.failed = err
		return err
	}
	l.segs = l.segs[:k+1]
	l.end = at
	l.setFlushedLocked(at)
	l.rewindLocked(at)
	l.m.segments.Set(float64(len(l.segs)))
	l.log.Warn("wal: truncated back", "lsn", at)
	return nil
}

// removeSegmentsLocked deletes the files of segs (newest first) and fsyncs
// the directory. syncMu and mu must be held.
func (l *Log) removeSegmentsLocked(segs []*segment) error {
	if len(segs) == 0 {
		return nil
	}
	for i := len(segs) - 1; i >= 0; i-- {
		s := segs[i]
		if s == l.target {
			if err := l.closeFiles(); err != nil {
				return err
			}
			l.target, l.dirty = nil, false
		}
		if !s.created {
			continue
		}
		if err := os.Remove(s.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("wal: remove segment: %w", err)
		}
	}
	return syncDir(l.cfg.Dir)
}

// reopenTarget makes the existing segment seg the write target.
func (l *Log) reopenTarget(seg *segment) error {
	if l.target == seg {
		return nil
	}
	if err := l.closeFiles(); err != nil {
		return err
	}
	f, err := os.OpenFile(seg.path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("wal: reopen segment: %w", err)
	}
	seg.f, l.target, l.dirty = f, seg, false
	return nil
}

// Reset removes all segments and restarts the log, empty, at start (after a
// base backup the WAL continues at the backup's LSN). Pending appends are
// discarded. Crash safety: the new segment is first written durably under
// a ".reset" name; the old segments are then removed and the new one
// renamed into place. Open completes an interrupted Reset (finishReset).
func (l *Log) Reset(start lsn.LSN) error {
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	tmp := l.segPath(start) + resetSuffix
	f, err := createSegmentFile(tmp, start, l.cfg.SegmentSize)
	if err != nil {
		return err
	}
	if err := syncClose(f); err != nil {
		return err
	}
	if err := syncDir(l.cfg.Dir); err != nil {
		return err
	}
	l.pending, l.pendingBytes = nil, 0
	if err := l.closeFiles(); err != nil {
		return err
	}
	if err := l.finishReset(); err != nil {
		l.failed = err
		return err
	}
	return l.openResetSegment(start)
}

// openResetSegment installs the single empty segment created by Reset.
func (l *Log) openResetSegment(start lsn.LSN) error {
	path := l.segPath(start)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		l.failed = err
		return fmt.Errorf("wal: reset: %w", err)
	}
	seg := &segment{start: start, path: path, f: f, created: true}
	l.segs, l.target, l.dirty = []*segment{seg}, seg, false
	l.end = start
	l.setFlushedLocked(start)
	l.rewindLocked(start)
	l.m.segments.Set(1)
	l.log.Warn("wal: reset", "lsn", start)
	return nil
}

// finishReset completes a Reset: if a durable "<start>.wal.reset" file
// exists, every segment is removed and it is renamed to "<start>.wal". A
// reset file with a bad header was torn before any segment was removed and
// is deleted instead. Called by Reset and, for crash recovery, by Open.
func (l *Log) finishReset() error {
	tmp, start, ok, err := findResetFile(l.cfg.Dir)
	if err != nil || !ok {
		return err
	}
	if herr := checkResetFile(tmp, start); herr != nil {
		l.log.Warn("wal: discarding torn reset file", "file", tmp, "reason", herr.Error())
		return removeAndSync(l.cfg.Dir, tmp)
	}
	starts, err := listSegments(l.cfg.Dir)
	if err != nil {
		return err
	}
	for _, s := range starts {
		if err := os.Remove(l.segPath(s)); err != nil {
			return fmt.Errorf("wal: reset: %w", err)
		}
	}
	if err := os.Rename(tmp, l.segPath(start)); err != nil {
		return fmt.Errorf("wal: reset: %w", err)
	}
	return syncDir(l.cfg.Dir)
}

func findResetFile(dir string) (path string, start lsn.LSN, ok bool, err error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "", 0, false, fmt.Errorf("wal: list %s: %w", dir, err)
	}
	for _, e := range ents {
		name, isReset := strings.CutSuffix(e.Name(), resetSuffix)
		if s, valid := parseSegmentName(name); isReset && valid {
			return filepath.Join(dir, e.Name()), s, true, nil
		}
	}
	return "", 0, false, nil
}

func checkResetFile(path string, start lsn.LSN) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return readSegmentHeader(f, start)
}

func removeAndSync(dir, path string) error {
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("wal: remove %s: %w", path, err)
	}
	return syncDir(dir)
}
