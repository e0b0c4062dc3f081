package wal

import "github.com/heliosdb/nano/lsn"

// The written LSN: the end of the records written to the segment files —
// readable there (the page cache), not necessarily durable. A replication
// sender reads up to it (NewWrittenReader) so that a commit group reaches
// a standby while the local fsync runs (issue 14): the commit then waits
// for the slower of the two fsyncs, not for both in a row. Between the
// write and the fsync, those records can still be lost here — a crash of
// the machine, or a failed fsync that Recover discards (a rewind) — while
// a standby has them: whoever reads them must treat them as tentative
// until FlushedLSN covers them (replication/server.go).

// WrittenLSN returns the end of the records written to the files (at least
// FlushedLSN).
func (l *Log) WrittenLSN() lsn.LSN {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.written
}

// WrittenChanged returns a channel closed when WrittenLSN next changes or
// the Log closes; it returns ErrClosed once the Log is closed.
func (l *Log) WrittenChanged() (<-chan struct{}, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, ErrClosed
	}
	return l.writtenCh, nil
}

// Rewinds reports how often this Log discarded written records that were
// not durable (Recover after a failed write or fsync, TruncateBack, Reset
// below the written end) since it was opened, and the lowest LSN it went
// back to (the written end at Open when it never did). A reader that saw
// records past that LSN may hold some the Log no longer has, or has
// replaced.
func (l *Log) Rewinds() (n uint64, low lsn.LSN) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rewinds, l.rewoundTo
}

// setWrittenLocked publishes a new written LSN (forward) and wakes
// WrittenChanged. mu must be held.
func (l *Log) setWrittenLocked(v lsn.LSN) {
	if v <= l.written {
		return
	}
	l.written = v
	close(l.writtenCh)
	l.writtenCh = make(chan struct{})
}

// rewindLocked moves the written LSN back to at (a truncation or a
// discard); mu must be held.
func (l *Log) rewindLocked(at lsn.LSN) {
	if l.written > at {
		l.rewinds++
		l.rewoundTo = min(l.rewoundTo, at)
	}
	l.written = at
	close(l.writtenCh)
	l.writtenCh = make(chan struct{})
}

// NewWrittenReader is NewReader for a replication sender: it reads up to
// WrittenLSN instead of FlushedLSN (from must be in [FirstLSN,
// WrittenLSN]).
func (l *Log) NewWrittenReader(from lsn.LSN) (*Reader, error) {
	return l.newReader(from, true)
}
