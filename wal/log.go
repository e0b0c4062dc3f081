package wal

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/heliosdb/nano/lsn"
)

const (
	// maxPending bounds the bytes Append buffers in memory; beyond it the
	// appender writes them to the file itself (without fsync).
	maxPending = 8 << 20
	// chunkCap is the initial capacity of a pending buffer.
	chunkCap = 64 << 10
	// maxFreeCap: larger buffers are not recycled.
	maxFreeCap = 4 << 20
)

// Log is a segmented, append-only write-ahead log. All methods are safe for
// concurrent use.
//
// Concurrency shape: Append encodes records into in-memory chunks under mu
// and never does I/O (except the write-out when maxPending is exceeded).
// Sync, Close and the truncations hold syncMu, the single writer of segment
// files: they take the pending chunks under mu, release mu, write and fsync,
// then publish the new flushed LSN under mu. Lock order: syncMu, then mu.
// Readers open their own file handles and read only below FlushedLSN.
type Log struct {
	cfg Config
	log *slog.Logger
	m   *metrics

	syncMu   sync.Mutex
	target   *segment // segment whose file is open for writing (syncMu)
	dirty    bool     // target has writes not yet fsynced (syncMu)
	dirDirty bool     // a segment file was created since the last dir fsync (syncMu)

	mu           sync.Mutex
	closed       bool
	failed       error      // sticky write/fsync failure
	segs         []*segment // ascending start; the last is the active one
	pending      []chunk    // encoded, not yet written, in LSN order
	pendingBytes int
	free         [][]byte
	end          lsn.LSN
	flushed      lsn.LSN
	flushCh      chan struct{} // closed and replaced when flushed changes
	// written is the end of the records written to the files (written.go);
	// flushed <= written <= end.
	written   lsn.LSN
	writtenCh chan struct{} // closed and replaced when written changes
	rewinds   uint64        // written went back (written.go)
	rewoundTo lsn.LSN       // the lowest LSN it went back to
	markFile  *os.File      // Config.SyncMark's file (mu)
}

// chunk is a run of encoded records destined for one segment.
type chunk struct {
	seg *segment
	off int64 // offset in the segment's record area
	buf []byte
}

// Open opens (or creates) the log in cfg.Dir and recovers it: the segment
// headers are checked, the last segment is scanned, a torn tail is cut off
// and fsynced. Corruption (an invalid record followed by valid ones)
// returns an error wrapping ErrCorrupt that names the file and offset.
func Open(cfg Config) (*Log, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("wal: create dir: %w", err)
	}
	if err := fitSegments(&cfg); err != nil {
		return nil, err
	}
	l := &Log{cfg: cfg, log: cfg.Logger, m: m, flushCh: make(chan struct{}), writtenCh: make(chan struct{})}
	if err := l.load(); err != nil {
		l.closeFiles()
		return nil, err
	}
	l.m.segments.Set(float64(len(l.segs)))
	l.m.flushed.Set(float64(l.flushed))
	l.written, l.rewoundTo = l.flushed, l.flushed
	l.writeSyncMark(l.flushed)
	l.log.Info("wal: opened", "dir", cfg.Dir, "first", l.segs[0].start, "lsn", l.end, "segments", len(l.segs))
	return l, nil
}

// load builds the segment list from the directory and recovers the last
// segment.
func (l *Log) load() error {
	if err := l.finishReset(); err != nil {
		return err
	}
	starts, err := listSegments(l.cfg.Dir)
	if err != nil {
		return err
	}
	if len(starts) == 0 {
		return l.initEmpty(0)
	}
	for i, s := range starts[:len(starts)-1] {
		if err := l.checkSealed(s, starts[i+1]); err != nil {
			return err
		}
	}
	last := starts[len(starts)-1]
	path := l.segPath(last)
	size, err := recoverLast(path, last, l.cfg.SegmentSize, l.log)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("wal: open segment: %w", err)
	}
	seg := &segment{start: last, size: size, path: path, f: f, created: true}
	l.segs, l.target = append(l.segs, seg), seg
	l.end, l.flushed = seg.end(), seg.end()
	err = preallocate(f, SegmentHeaderSize+max(l.cfg.SegmentSize, size))
	if IsNoSpace(err) {
		// The log is readable; appends beyond the allocated space fail
		// (and recover) like any write on a full disk.
		l.log.Warn("wal: cannot preallocate the last segment; continuing", "err", err)
		return nil
	}
	return err
}

// fitSegments shrinks cfg.SegmentSize to the free space of cfg.Dir (see
// space.go).
func fitSegments(cfg *Config) error {
	free, err := freeBytes(cfg.Dir)
	if err != nil {
		return err
	}
	if s := segmentSizeFor(cfg.SegmentSize, free); s != cfg.SegmentSize {
		cfg.Logger.Warn("wal: little free space; using smaller segments", "dir", cfg.Dir, "free_bytes", free,
			"configured_segment_size", cfg.SegmentSize, "segment_size", s)
		cfg.SegmentSize = s
	}
	return nil
}

// checkSealed validates the header of a non-last segment and records it.
func (l *Log) checkSealed(start, next lsn.LSN) error {
	path := l.segPath(start)
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("wal: open segment: %w", err)
	}
	defer f.Close()
	if err := readSegmentHeader(f, start); err != nil {
		return err
	}
	l.segs = append(l.segs, &segment{start: start, size: int64(next - start), path: path, created: true})
	return nil
}

// initEmpty creates the single, empty segment of a log starting at start,
// durably. Callers hold syncMu (or own l exclusively).
func (l *Log) initEmpty(start lsn.LSN) error {
	path := l.segPath(start)
	f, err := createSegmentFile(path, start, l.cfg.SegmentSize)
	if err != nil {
		return err
	}
	seg := &segment{start: start, path: path, f: f, created: true}
	l.segs, l.target, l.dirty = []*segment{seg}, seg, false
	l.end, l.flushed = start, start
	if err := fdatasync(f); err != nil {
		return err
	}
	return syncDir(l.cfg.Dir)
}

func (l *Log) segPath(start lsn.LSN) string { return filepath.Join(l.cfg.Dir, SegmentName(start)) }

// Append assigns LSNs to recs sequentially from EndLSN (also storing them in
// recs[i].LSN) and buffers their framed bytes. The records are not durable
// until a Sync that starts after Append returns. lsns[i] is the start of
// recs[i]; end is the LSN after the last record. Errors: ErrClosed,
// ErrTooLarge, or a sticky I/O error from an earlier failed write.
func (l *Log) Append(recs ...Record) (lsns []lsn.LSN, end lsn.LSN, err error) {
	for i := range recs {
		if len(recs[i].Data) > MaxDataSize {
			return nil, 0, fmt.Errorf("%w: %d bytes (max %d)", ErrTooLarge, len(recs[i].Data), MaxDataSize)
		}
	}
	lsns = make([]lsn.LSN, len(recs))
	l.mu.Lock()
	if err := l.usableLocked(); err != nil {
		l.mu.Unlock()
		return nil, 0, err
	}
	for i := range recs {
		recs[i].LSN = l.appendLocked(recs[i])
		lsns[i] = recs[i].LSN
	}
	end, over := l.end, l.pendingBytes > maxPending
	l.mu.Unlock()
	if over {
		l.syncMu.Lock()
		_, err = l.flushLocked(false)
		l.syncMu.Unlock()
	}
	return lsns, end, err
}

// appendLocked encodes r at the end of the log, cutting a new segment when
// r would not fit in the active one.
func (l *Log) appendLocked(r Record) lsn.LSN {
	n := int64(FramedSize(len(r.Data)))
	seg := l.segs[len(l.segs)-1]
	if seg.size > 0 && seg.size+n > l.cfg.SegmentSize {
		seg = &segment{start: l.end, path: l.segPath(l.end)}
		l.segs = append(l.segs, seg)
		l.m.segments.Set(float64(len(l.segs)))
	}
	r.LSN = l.end
	c := l.chunkFor(seg)
	c.buf = EncodeRecord(c.buf, r)
	seg.size += n
	l.end += lsn.LSN(n)
	l.pendingBytes += int(n)
	return r.LSN
}

// chunkFor returns the pending chunk that receives the next bytes of seg.
func (l *Log) chunkFor(seg *segment) *chunk {
	if k := len(l.pending); k > 0 && l.pending[k-1].seg == seg {
		return &l.pending[k-1]
	}
	var buf []byte
	if k := len(l.free); k > 0 {
		buf, l.free = l.free[k-1], l.free[:k-1]
	} else {
		buf = make([]byte, 0, chunkCap)
	}
	l.pending = append(l.pending, chunk{seg: seg, off: seg.size, buf: buf})
	return &l.pending[len(l.pending)-1]
}

// recycle keeps a few written buffers for later chunks. mu must be held.
func (l *Log) recycle(chunks []chunk) {
	for _, c := range chunks {
		if len(l.free) < 4 && cap(c.buf) <= maxFreeCap {
			l.free = append(l.free, c.buf[:0])
		}
	}
}

func (l *Log) usableLocked() error {
	if l.closed {
		return ErrClosed
	}
	if l.failed != nil {
		return fmt.Errorf("wal: log failed earlier: %w", l.failed)
	}
	return nil
}

// EndLSN returns the end of the appended (not necessarily durable) data.
func (l *Log) EndLSN() lsn.LSN {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.end
}

// FlushedLSN returns the end of the durable data.
func (l *Log) FlushedLSN() lsn.LSN {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.flushed
}

// FirstLSN returns the oldest LSN still retained.
func (l *Log) FirstLSN() lsn.LSN {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.segs[0].start
}

// Close syncs everything appended, closes the files and wakes WaitFlushed
// callers. Later calls of any method return ErrClosed.
func (l *Log) Close() error {
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	l.closed = true
	l.mu.Unlock()
	_, err := l.flushLocked(true)
	l.mu.Lock()
	close(l.flushCh)
	close(l.writtenCh)
	if l.markFile != nil {
		err = errors.Join(err, l.markFile.Close())
		l.markFile = nil
	}
	l.mu.Unlock()
	l.log.Info("wal: closed", "lsn", l.FlushedLSN())
	return errors.Join(err, l.closeFiles())
}

// closeFiles closes the write target. syncMu must be held (or l unshared).
func (l *Log) closeFiles() error {
	if l.target == nil || l.target.f == nil {
		return nil
	}
	err := l.target.f.Close()
	l.target.f = nil
	if err != nil {
		return fmt.Errorf("wal: close segment: %w", err)
	}
	return nil
}
