package wal

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/heliosdb/nano/lsn"
)

// sectorSize is the unit in which the recovery scan looks for zero-filled
// (never written back) regions; see doc.go, "Torn writes".
const sectorSize = 512

// scanResult describes the record area of a segment (the bytes after the
// segment header).
type scanResult struct {
	valid   int64 // length of the prefix made of valid, contiguous records
	records int   // records in that prefix
	torn    bool  // bytes after valid are not all zero and must be cleared
	dropped int   // valid records after the torn point that were discarded
}

// scanError locates a corrupt record in the record area.
type scanError struct {
	off    int64 // offset in the record area
	reason string
}

// scanData walks the records of data, the record area of a segment starting
// at start. At the first invalid record at p it decides:
//   - no valid record follows p: the tail is torn (or simply unused zeros);
//   - valid records follow, but the bytes between p and the next valid
//     record contain a zero header or a zero-filled sector: unsynced writes
//     reached the disk out of order, so everything from p on is dropped;
//   - otherwise it is corruption in the middle of the log (scanError).
//
// scanData is pure so the decision table can be tested directly.
func scanData(data []byte, start lsn.LSN) (scanResult, *scanError) {
	var res scanResult
	p := 0
	for p < len(data) {
		n, ok := validAt(data[p:], start+lsn.LSN(p))
		if !ok {
			break
		}
		p += n
		res.records++
	}
	res.valid = int64(p)
	if p == len(data) {
		return res, nil
	}
	q := findValid(data, p+RecordAlign, start)
	switch {
	case q < 0:
		res.torn = !allZero(data[p:])
	case reorderedWrite(data, p, q):
		res.torn = true
		res.dropped = countValid(data, q, start)
	default:
		return res, &scanError{off: int64(p), reason: invalidReason(data[p:], start+lsn.LSN(p))}
	}
	return res, nil
}

// findValid returns the first aligned offset >= from holding a valid record
// whose LSN matches its position, or -1.
func findValid(data []byte, from int, start lsn.LSN) int {
	for o := from; o+RecordHeaderSize <= len(data); o += RecordAlign {
		if data[o+offMagic] != recordMagic {
			continue
		}
		if _, ok := validAt(data[o:], start+lsn.LSN(o)); ok {
			return o
		}
	}
	return -1
}

func countValid(data []byte, from int, start lsn.LSN) int {
	n := 0
	for o := from; o >= 0 && o < len(data); n++ {
		if o = findValid(data, o, start); o < 0 {
			break
		}
		sz, _ := validAt(data[o:], start+lsn.LSN(o))
		o += sz
	}
	return n
}

// reorderedWrite reports whether [p, q) shows the signature of a write that
// never reached the disk: an all-zero record header at p, or a zero-filled
// sector (aligned on file offsets) inside the range.
func reorderedWrite(data []byte, p, q int) bool {
	if p+RecordHeaderSize <= len(data) && allZero(data[p:p+RecordHeaderSize]) {
		return true
	}
	first := alignUp(SegmentHeaderSize+p, sectorSize) - SegmentHeaderSize
	for s := first; s+sectorSize <= q; s += sectorSize {
		if allZero(data[s : s+sectorSize]) {
			return true
		}
	}
	return false
}

func invalidReason(b []byte, want lsn.LSN) string {
	r, _, err := DecodeRecord(b)
	switch {
	case err != nil:
		return err.Error()
	case r.LSN != want:
		return fmt.Sprintf("record LSN %s at position %s", r.LSN, want)
	}
	return "invalid record"
}

func alignUp(v, a int) int { return (v + a - 1) / a * a }

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// recoverLast repairs the last segment of the log and returns the number
// of record bytes it holds. Steps:
//  1. read the whole file;
//  2. a bad segment header with no valid record after it is a segment whose
//     creation was torn: rewrite it empty; with valid records it is corruption;
//  3. scan the records (scanData); corruption is returned as ErrCorrupt;
//  4. a torn tail is cut off and the space re-zeroed, then the file fsynced.
func recoverLast(path string, start lsn.LSN, segSize int64, log *slog.Logger) (int64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("wal: recover: %w", err)
	}
	if herr := checkSegmentHeader(data, start); herr != nil {
		return 0, reinitTorn(path, start, segSize, data, herr, log)
	}
	res, serr := scanData(data[SegmentHeaderSize:], start)
	if serr != nil {
		return 0, corruptAt(path, SegmentHeaderSize+serr.off, "%s (valid records follow)", serr.reason)
	}
	if res.torn {
		log.Warn("wal: truncating torn tail", "segment", path, "lsn", start+lsn.LSN(res.valid),
			"offset", SegmentHeaderSize+res.valid, "dropped_records", res.dropped)
		if err := truncateSegmentFile(path, res.valid, segSize); err != nil {
			return 0, err
		}
	}
	return res.valid, nil
}

// reinitTorn handles a last segment whose header is invalid.
func reinitTorn(path string, start lsn.LSN, segSize int64, data []byte, herr error, log *slog.Logger) error {
	if len(data) > SegmentHeaderSize && findValid(data[SegmentHeaderSize:], 0, start) >= 0 {
		return corruptAt(path, 0, "%s (valid records follow)", herr)
	}
	log.Warn("wal: rewriting torn segment header", "segment", path, "lsn", start, "reason", herr.Error())
	f, err := createSegmentFile(path, start, segSize)
	if err != nil {
		return err
	}
	return syncClose(f)
}

// truncateSegmentFile cuts the segment at path after valid record bytes,
// re-zeroes the preallocated space and fsyncs it.
func truncateSegmentFile(path string, valid, segSize int64) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("wal: truncate: %w", err)
	}
	if err := truncateOpen(f, valid, segSize); err != nil {
		f.Close()
		return err
	}
	return syncClose(f)
}

func truncateOpen(f *os.File, valid, segSize int64) error {
	if err := f.Truncate(SegmentHeaderSize + valid); err != nil {
		return fmt.Errorf("wal: truncate %s: %w", f.Name(), err)
	}
	if err := preallocate(f, SegmentHeaderSize+max(segSize, valid)); err != nil {
		return err
	}
	return fdatasync(f)
}

func syncClose(f *os.File) error {
	if err := fdatasync(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("wal: close %s: %w", f.Name(), err)
	}
	return nil
}
