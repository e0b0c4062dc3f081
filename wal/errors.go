package wal

import "errors"

var (
	// ErrClosed is returned by every method of a Log (and its Readers) after
	// Close, and by WaitFlushed when the Log is closed while it waits.
	ErrClosed = errors.New("wal: log closed")

	// ErrCorrupt reports a record or segment header that fails validation
	// (CRC, magic, LSN or length) where it cannot be a torn tail. Errors
	// wrapping it name the segment file and the byte offset in that file.
	ErrCorrupt = errors.New("wal: corrupt log")

	// ErrNotRetained is returned for positions older than FirstLSN: the
	// segments holding them were removed by TruncateFront or Reset.
	ErrNotRetained = errors.New("wal: position no longer retained")

	// ErrBadPosition is returned for a position that is not a record
	// boundary or lies beyond the end of the log.
	ErrBadPosition = errors.New("wal: bad position")

	// ErrTooLarge is returned by Append for a record whose Data exceeds
	// MaxDataSize.
	ErrTooLarge = errors.New("wal: record too large")
)
