package wal

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/heliosdb/nano/lsn"
)

// Segment header; see doc.go.
const (
	// SegmentHeaderSize is the size of the header at the start of every
	// segment file. It is not part of the LSN stream.
	SegmentHeaderSize = 32
	// FormatVersion is the on-disk format version written in segment headers.
	FormatVersion = 1

	segmentMagic  = "HWAL"
	segmentSuffix = ".wal"
)

// segment is one file of the log. start and size are guarded by Log.mu;
// f and created by Log.syncMu.
type segment struct {
	start   lsn.LSN
	size    int64 // record bytes assigned to this segment (written or pending)
	path    string
	f       *os.File // open only while the segment is the write target
	created bool     // the file exists on disk
}

func (s *segment) end() lsn.LSN { return s.start + lsn.LSN(s.size) }

// SegmentName returns the file name of the segment starting at start:
// 16 lower-case hex digits of the start LSN and ".wal".
func SegmentName(start lsn.LSN) string {
	return fmt.Sprintf("%016x%s", uint64(start), segmentSuffix)
}

// parseSegmentName is the inverse of SegmentName.
func parseSegmentName(name string) (lsn.LSN, bool) {
	hex, ok := strings.CutSuffix(name, segmentSuffix)
	if !ok || len(hex) != 16 || strings.ToLower(hex) != hex {
		return 0, false
	}
	v, err := strconv.ParseUint(hex, 16, 64)
	return lsn.LSN(v), err == nil
}

// listSegments returns the start LSNs of the segment files in dir, sorted.
func listSegments(dir string) ([]lsn.LSN, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("wal: list %s: %w", dir, err)
	}
	var starts []lsn.LSN
	for _, e := range ents {
		if s, ok := parseSegmentName(e.Name()); ok && e.Type().IsRegular() {
			starts = append(starts, s)
		}
	}
	slices.Sort(starts)
	return starts, nil
}

func encodeSegmentHeader(start lsn.LSN) []byte {
	b := make([]byte, SegmentHeaderSize)
	copy(b, segmentMagic)
	binary.LittleEndian.PutUint32(b[4:], FormatVersion)
	binary.LittleEndian.PutUint64(b[8:], uint64(start))
	binary.LittleEndian.PutUint32(b[16:], crc32.Checksum(b[:16], castagnoli))
	return b
}

// checkSegmentHeader validates a segment header against the start LSN
// taken from the file name.
func checkSegmentHeader(b []byte, start lsn.LSN) error {
	switch {
	case len(b) < SegmentHeaderSize:
		return fmt.Errorf("short segment header (%d bytes)", len(b))
	case string(b[:4]) != segmentMagic:
		return fmt.Errorf("bad segment magic %q", b[:4])
	case crc32.Checksum(b[:16], castagnoli) != binary.LittleEndian.Uint32(b[16:]):
		return fmt.Errorf("segment header crc mismatch")
	case binary.LittleEndian.Uint32(b[4:]) != FormatVersion:
		return fmt.Errorf("unsupported format version %d (want %d)", binary.LittleEndian.Uint32(b[4:]), FormatVersion)
	case lsn.LSN(binary.LittleEndian.Uint64(b[8:])) != start:
		return fmt.Errorf("header start %s does not match file name (%s)", lsn.LSN(binary.LittleEndian.Uint64(b[8:])), start)
	}
	return nil
}

// readSegmentHeader reads and checks the header of the segment file at path.
func readSegmentHeader(f *os.File, start lsn.LSN) error {
	b := make([]byte, SegmentHeaderSize)
	if _, err := f.ReadAt(b, 0); err != nil && err != io.EOF {
		return fmt.Errorf("wal: read header of %s: %w", f.Name(), err)
	}
	if err := checkSegmentHeader(b, start); err != nil {
		return fmt.Errorf("%w: segment %s offset 0: %s", ErrCorrupt, filepath.Base(f.Name()), err)
	}
	return nil
}

// createSegmentFile creates (or truncates) the file of a segment starting
// at start, writes its header and preallocates room for size record bytes.
// Nothing is fsynced: the caller fsyncs the file and the directory.
func createSegmentFile(path string, start lsn.LSN, size int64) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return nil, fmt.Errorf("wal: create segment: %w", err)
	}
	// A file left behind by a failure here holds no record; it is removed
	// so that it can never be taken for a sealed segment's successor.
	if _, err := f.WriteAt(encodeSegmentHeader(start), 0); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("wal: write segment header %s: %w", path, err)
	}
	if err := preallocate(f, SegmentHeaderSize+size); err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	return f, nil
}

// corruptAt builds an ErrCorrupt error naming the file and file offset.
func corruptAt(path string, fileOff int64, format string, args ...any) error {
	return fmt.Errorf("%w: segment %s offset %d: %s", ErrCorrupt, filepath.Base(path), fileOff, fmt.Sprintf(format, args...))
}
