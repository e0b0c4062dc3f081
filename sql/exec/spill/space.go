package spill

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

// filePrefix names every temporary file (CleanDir removes only these).
const filePrefix = "spill-"

// Space is one statement's temporary files. Not safe for concurrent use.
type Space struct {
	dir     string
	files   []*os.File
	written int64
}

// NewSpace returns a space creating its files in dir ("" = os.TempDir()).
func NewSpace(dir string) *Space { return &Space{dir: dir} }

// Written returns the bytes written to the space's files so far.
func (s *Space) Written() int64 {
	if s == nil {
		return 0
	}
	return s.written
}

// Files returns how many files the space has created.
func (s *Space) Files() int {
	if s == nil {
		return 0
	}
	return len(s.files)
}

// create makes a new temporary file and unlinks it at once.
func (s *Space) create() (*os.File, error) {
	dir := s.dir
	if dir == "" {
		dir = os.TempDir()
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, ioError("create temporary directory", err)
	}
	f, err := os.CreateTemp(dir, filePrefix+"*")
	if err != nil {
		return nil, ioError("create temporary file", err)
	}
	if err := os.Remove(f.Name()); err != nil {
		_ = f.Close()
		return nil, ioError("unlink temporary file", err)
	}
	s.files = append(s.files, f)
	return f, nil
}

// Close closes every file of the space (they are already unlinked, so
// this frees their disk space). The space can be used again afterwards.
func (s *Space) Close() error {
	if s == nil {
		return nil
	}
	var first error
	for _, f := range s.files {
		if err := f.Close(); err != nil && first == nil {
			first = err
		}
	}
	s.files = nil
	return first
}

// CleanDir removes the temporary files left in dir (by a process that
// could not unlink them); the node calls it at start. A missing dir is
// fine.
func CleanDir(dir string) error {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("spill: read %s: %w", dir, err)
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), filePrefix) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("spill: remove %s: %w", e.Name(), err)
			}
		}
	}
	return nil
}

// ioError maps a temporary-file failure to 53100 (disk full) or 58030.
func ioError(what string, err error) error {
	if errors.Is(err, syscall.ENOSPC) {
		return pgerror.Wrapf(err, pgerror.DiskFull, "could not %s: No space left on device", what)
	}
	return pgerror.Wrapf(err, pgerror.IOError, "could not %s", what)
}

// segment is a run of rows in a file: [off, off+n) bytes, rows rows.
type segment struct {
	off, n int64
	rows   int
}

// rowFile is an append-only file of length-prefixed encoded rows.
type rowFile struct {
	sp   *Space
	f    *os.File
	w    *bufio.Writer
	size int64
	buf  []byte
	cur  segment
}

func newRowFile(sp *Space, bufSize int) (*rowFile, error) {
	f, err := sp.create()
	if err != nil {
		return nil, err
	}
	return &rowFile{sp: sp, f: f, w: bufio.NewWriterSize(f, bufSize)}, nil
}

// begin starts a new segment at the end of the file.
func (r *rowFile) begin() { r.cur = segment{off: r.size} }

func (r *rowFile) add(row []types.Datum) error {
	var err error
	r.buf, err = EncodeRow(r.buf[:0], row)
	if err != nil {
		return err
	}
	var hdr [binary.MaxVarintLen64]byte
	h := binary.PutUvarint(hdr[:], uint64(len(r.buf)))
	if _, err := r.w.Write(hdr[:h]); err != nil {
		return ioError("write temporary file", err)
	}
	if _, err := r.w.Write(r.buf); err != nil {
		return ioError("write temporary file", err)
	}
	n := int64(h + len(r.buf))
	r.size += n
	r.sp.written += n
	r.cur.rows++
	return nil
}

// end flushes and returns the segment written since begin.
func (r *rowFile) end() (segment, error) {
	if err := r.w.Flush(); err != nil {
		return segment{}, ioError("write temporary file", err)
	}
	r.cur.n = r.size - r.cur.off
	return r.cur, nil
}

// reader reads the rows of a segment back.
type reader struct {
	r    *bufio.Reader
	left int
	buf  []byte
}

func (r *rowFile) reader(s segment, bufSize int) *reader {
	return &reader{r: bufio.NewReaderSize(io.NewSectionReader(r.f, s.off, s.n), bufSize), left: s.rows}
}

// reset restarts the reader on segment s of f, keeping its buffer.
func (r *reader) reset(f *rowFile, s segment) {
	r.r.Reset(io.NewSectionReader(f.f, s.off, s.n))
	r.left = s.rows
}

// Next returns the next row, nil at the end.
func (r *reader) Next() ([]types.Datum, error) {
	if r.left == 0 {
		return nil, nil
	}
	n, err := binary.ReadUvarint(r.r)
	if err != nil {
		return nil, ioError("read temporary file", err)
	}
	if uint64(cap(r.buf)) < n {
		r.buf = make([]byte, n)
	}
	r.buf = r.buf[:n]
	if _, err := io.ReadFull(r.r, r.buf); err != nil {
		return nil, ioError("read temporary file", err)
	}
	r.left--
	return DecodeRow(r.buf)
}

// Close implements Iterator.
func (r *reader) Close() {}

// Iterator yields rows; Next returns nil at the end.
type Iterator interface {
	Next() ([]types.Datum, error)
	Close()
}

// sliceIter iterates rows in memory.
type sliceIter struct {
	rows [][]types.Datum
	i    int
}

func (s *sliceIter) Next() ([]types.Datum, error) {
	if s.i >= len(s.rows) {
		return nil, nil
	}
	s.i++
	return s.rows[s.i-1], nil
}

func (s *sliceIter) Close() {}

// Budget is the memory an operator may use (see package memacct).
type Budget interface {
	// TryGrow charges n bytes if they fit; false means spill.
	TryGrow(n int64) bool
	// Grow charges n bytes whatever work_mem says, or fails (53200).
	Grow(n int64) error
	Shrink(n int64)
}
