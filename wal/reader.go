package wal

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/heliosdb/nano/lsn"
)

// readAhead is the minimum number of bytes a Reader reads per refill.
const readAhead = 64 << 10

// Reader reads durable records in LSN order. It reads only below
// FlushedLSN, from its own file handles, so it never blocks Append or Sync.
// A Reader is not safe for concurrent use; use one per goroutine. Readers
// must be recreated after TruncateBack or Reset of their Log.
type Reader struct {
	l        *Log
	pos      lsn.LSN // next record to return
	f        *os.File
	segStart lsn.LSN
	segEnd   lsn.LSN // start of the following segment; 0 = none known yet
	buf      []byte  // file bytes for positions [bufAt, bufAt+len(buf))
	bufAt    lsn.LSN
	closed   bool
	written  bool // reads up to WrittenLSN (NewWrittenReader), not FlushedLSN
}

// readLimit is the end of what a Reader may read.
func (l *Log) readLimit(written bool) lsn.LSN {
	if written {
		return l.WrittenLSN()
	}
	return l.FlushedLSN()
}

// NewReader returns a Reader positioned at from, which must be a record
// boundary in [FirstLSN, FlushedLSN]. Errors: ErrNotRetained when from is
// older than FirstLSN, ErrBadPosition when it is not a boundary or beyond
// FlushedLSN, ErrCorrupt when a record before from (in its segment) is
// damaged, ErrClosed.
func (l *Log) NewReader(from lsn.LSN) (*Reader, error) { return l.newReader(from, false) }

func (l *Log) newReader(from lsn.LSN, written bool) (*Reader, error) {
	start, _, err := l.locate(from)
	if err != nil {
		return nil, err
	}
	if limit := l.readLimit(written); from > limit {
		return nil, fmt.Errorf("%w: %s is beyond the readable end %s", ErrBadPosition, from, limit)
	}
	r := &Reader{l: l, pos: start, written: written}
	for r.pos < from {
		if _, err := r.next(false); err != nil {
			r.Close()
			if errors.Is(err, io.EOF) {
				err = ErrBadPosition
			}
			return nil, fmt.Errorf("wal: new reader at %s: %w", from, err)
		}
	}
	if r.pos != from {
		r.Close()
		return nil, fmt.Errorf("%w: %s is not a record boundary (next boundary %s)", ErrBadPosition, from, r.pos)
	}
	return r, nil
}

// locate returns the start of the segment holding pos and the start of the
// segment after it (0 when pos is in the last segment).
func (l *Log) locate(pos lsn.LSN) (start, next lsn.LSN, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return 0, 0, ErrClosed
	}
	if pos < l.segs[0].start {
		return 0, 0, fmt.Errorf("%w: %s is older than the first retained LSN %s", ErrNotRetained, pos, l.segs[0].start)
	}
	i := l.segIndexLocked(pos)
	if i+1 < len(l.segs) {
		next = l.segs[i+1].start
	}
	return l.segs[i].start, next, nil
}

// segIndexLocked returns the index of the last segment starting at or
// before pos. pos must be >= segs[0].start.
func (l *Log) segIndexLocked(pos lsn.LSN) int {
	i, found := slices.BinarySearchFunc(l.segs, pos, func(s *segment, p lsn.LSN) int {
		return cmpLSN(s.start, p)
	})
	if !found {
		i--
	}
	return i
}

func cmpLSN(a, b lsn.LSN) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// readState returns the read limit (flushed, or written) and the start of the segment following
// the one starting at segStart (0 when there is none yet). gone reports
// that segStart is no longer a retained segment.
func (l *Log) readState(segStart lsn.LSN, written bool) (limit, next lsn.LSN, gone bool, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return 0, 0, false, ErrClosed
	}
	limit = l.flushed
	if written {
		limit = l.written
	}
	if segStart < l.segs[0].start {
		return limit, 0, true, nil
	}
	i := l.segIndexLocked(segStart)
	if l.segs[i].start != segStart {
		return limit, 0, true, nil
	}
	if i+1 < len(l.segs) {
		next = l.segs[i+1].start
	}
	return limit, next, false, nil
}

// Pos returns the LSN of the next record Next will return.
func (r *Reader) Pos() lsn.LSN { return r.pos }

// Next returns the next durable record; the caller owns its Data. It
// returns io.EOF when the Reader has caught up with FlushedLSN (call
// WaitFlushed, then Next again), an error wrapping ErrCorrupt naming the
// file and offset for a damaged record, ErrNotRetained when the next
// segment was removed, and ErrClosed.
func (r *Reader) Next() (Record, error) { return r.next(true) }

func (r *Reader) next(withData bool) (Record, error) {
	if r.closed {
		return Record{}, ErrClosed
	}
	limit, next, gone, err := r.l.readState(r.segStart, r.written)
	if err != nil {
		return Record{}, err
	}
	switch {
	case r.f == nil:
	case next != 0:
		r.segEnd = next
	case gone && r.segEnd == 0:
		return Record{}, fmt.Errorf("%w: segment %s was removed", ErrNotRetained, SegmentName(r.segStart))
	}
	if r.pos >= limit {
		return Record{}, io.EOF
	}
	if r.f == nil || (r.segEnd != 0 && r.pos >= r.segEnd) {
		if err := r.openSegment(); err != nil {
			return Record{}, err
		}
	}
	return r.decode(limit, withData)
}

// decode reads the record at r.pos; bytes up to limit are durable.
func (r *Reader) decode(limit lsn.LSN, withData bool) (Record, error) {
	bound := limit
	if r.segEnd != 0 && r.segEnd < bound {
		bound = r.segEnd
	}
	b, err := r.peek(RecordHeaderSize, bound)
	if err != nil {
		return Record{}, err
	}
	h, err := parseHeader(b)
	if err != nil {
		return Record{}, r.corrupt("%s", err)
	}
	if h.lsn != r.pos {
		return Record{}, r.corrupt("record LSN %s at position %s", h.lsn, r.pos)
	}
	n := FramedSize(h.dataLen)
	if b, err = r.peek(n, bound); err != nil {
		return Record{}, err
	}
	rec, _, err := DecodeRecord(b)
	if err != nil {
		return Record{}, r.corrupt("%s", err)
	}
	if withData {
		rec.Data = slices.Clone(rec.Data)
	}
	r.pos += lsn.LSN(n)
	return rec, nil
}

// peek returns n bytes starting at r.pos, refilling the buffer from the
// file. Bytes at or past bound are never read.
func (r *Reader) peek(n int, bound lsn.LSN) ([]byte, error) {
	if r.pos+lsn.LSN(n) > bound {
		return nil, r.corrupt("record of %d bytes at %s extends past %s", n, r.pos, bound)
	}
	off := int(r.pos - r.bufAt)
	if off+n <= len(r.buf) {
		return r.buf[off : off+n], nil
	}
	have := copy(r.buf, r.buf[off:])
	want := min(max(n, readAhead), int(bound-r.pos))
	if cap(r.buf) < want {
		nb := make([]byte, want)
		copy(nb, r.buf[:have])
		r.buf = nb
	}
	r.buf, r.bufAt = r.buf[:want], r.pos
	fileOff := SegmentHeaderSize + int64(r.pos-r.segStart) + int64(have)
	if _, err := r.f.ReadAt(r.buf[have:], fileOff); err != nil {
		r.buf = r.buf[:0]
		if errors.Is(err, io.EOF) {
			return nil, r.corrupt("segment file ends before %s", bound)
		}
		return nil, fmt.Errorf("wal: read %s: %w", r.f.Name(), err)
	}
	return r.buf[:n], nil
}

// openSegment switches to the segment holding r.pos.
func (r *Reader) openSegment() error {
	start, next, err := r.l.locate(r.pos)
	if err != nil {
		return err
	}
	f, err := os.Open(r.l.segPath(start))
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w: segment %s was removed", ErrNotRetained, SegmentName(start))
	}
	if err != nil {
		return fmt.Errorf("wal: open segment: %w", err)
	}
	if err := readSegmentHeader(f, start); err != nil {
		f.Close()
		return err
	}
	if r.f != nil {
		r.f.Close()
	}
	r.f, r.segStart, r.segEnd = f, start, next
	r.buf, r.bufAt = r.buf[:0], r.pos
	return nil
}

func (r *Reader) corrupt(format string, args ...any) error {
	name := "?"
	if r.f != nil {
		name = filepath.Base(r.f.Name())
	}
	off := SegmentHeaderSize + int64(r.pos-r.segStart)
	return corruptAt(name, off, format, args...)
}

// Close releases the Reader's file handle. Later Next calls return
// ErrClosed.
func (r *Reader) Close() error {
	if r.closed {
		return ErrClosed
	}
	r.closed = true
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	return err
}
