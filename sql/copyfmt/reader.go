package copyfmt

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"

	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

// Field is one decoded value: its text (text and CSV formats) or binary
// bytes, or NULL.
type Field struct {
	Val  []byte // valid until the next Read
	Null bool
}

// binarySignature starts every binary COPY stream.
var binarySignature = []byte("PGCOPY\n\xff\r\n\x00")

// Reader decodes the rows of a COPY FROM data stream. Not safe for
// concurrent use.
type Reader struct {
	br     *bufio.Reader
	o      *Options
	line   int64
	fields []Field
	buf    []byte // decoded values of the current row
	raw    []byte // the current line(s), without the final newline
	ended  bool   // end marker or trailer seen, or io.EOF
	lineOK bool   // raw holds the whole current line
	header bool   // header still to skip / read
}

// NewReader reads rows in the (resolved) format o from r.
func NewReader(r io.Reader, o *Options) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, 64<<10), o: o, header: o.Header || o.Format == Binary}
}

// Line is the line number of the row last read, counted as PostgreSQL
// counts for its CONTEXT line (the row number in binary format).
func (r *Reader) Line() int64 { return r.line }

// RawLine is the text of the row last read, for CONTEXT lines (text and
// CSV formats); "" when the line could not be read (invalid encoding).
func (r *Reader) RawLine() string { return string(r.raw) }

// LineValid reports whether RawLine holds the current line (false after
// an encoding error in it), as PostgreSQL's line_buf_valid.
func (r *Reader) LineValid() bool { return r.lineOK }

// Read returns the next row's fields (valid until the next Read), or
// io.EOF after the end of the data (end marker, binary trailer, or the end
// of the stream). Any error other than io.EOF carries a SQLSTATE, except
// errors of the underlying stream, which are returned as they are.
func (r *Reader) Read() ([]Field, error) {
	if r.ended {
		return nil, io.EOF
	}
	if r.o.Format == Binary {
		return r.readBinary()
	}
	if r.header {
		r.header = false
		if _, err := r.readLine(); err != nil {
			return nil, r.atEOF(err)
		}
	}
	line, err := r.readLine()
	if err != nil {
		return nil, r.atEOF(err)
	}
	r.raw = trimEOL(line)
	if string(r.raw) == `\.` {
		r.ended = true
		return nil, io.EOF
	}
	if r.o.Format == CSV {
		return r.fields, r.splitCSV(line)
	}
	return r.fields, r.splitText(r.raw)
}

// Drain consumes the rest of the stream (data after an end marker is
// ignored, as in PostgreSQL).
func (r *Reader) Drain() error {
	_, err := io.Copy(io.Discard, r.br)
	return err
}

func (r *Reader) atEOF(err error) error {
	if errors.Is(err, io.EOF) {
		r.ended = true
		return io.EOF
	}
	return err
}

// readLine returns the next line with its newline (none at the end of the
// stream), copied into r.raw's storage; io.EOF when nothing is left.
func (r *Reader) readLine() ([]byte, error) {
	r.raw, r.lineOK = r.raw[:0], false
	for {
		chunk, err := r.br.ReadSlice('\n')
		r.raw = append(r.raw, chunk...)
		if err == nil {
			break
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) && len(r.raw) > 0 {
			break
		}
		return nil, err
	}
	r.line++
	if err := types.VerifyEncoding(r.raw); err != nil {
		return nil, err
	}
	r.lineOK = true
	return r.raw, nil
}

// trimEOL removes a trailing "\n" or "\r\n".
func trimEOL(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte{'\n'})
	return bytes.TrimSuffix(b, []byte{'\r'})
}

// splitText splits a text-format line into fields, undoing backslash
// escapes. The NULL marker is compared with the field as written, before
// de-escaping, as PostgreSQL does.
func (r *Reader) splitText(line []byte) error {
	delim := r.o.Delimiter[0]
	r.fields, r.buf = r.fields[:0], r.buf[:0]
	for start := 0; ; {
		j := start
		for j < len(line) && line[j] != delim {
			if line[j] == '\\' && j+1 < len(line) {
				j++
			}
			j++
		}
		raw := line[start:j]
		if string(raw) == r.o.Null {
			r.fields = append(r.fields, Field{Null: true})
		} else {
			v, err := r.unescape(raw)
			if err != nil {
				return err
			}
			r.fields = append(r.fields, Field{Val: v})
		}
		if j >= len(line) {
			return nil
		}
		start = j + 1
	}
}

// unescape decodes the backslash escapes of one text-format field.
func (r *Reader) unescape(raw []byte) ([]byte, error) {
	if bytes.IndexByte(raw, '\\') < 0 {
		return raw, nil
	}
	start := len(r.buf)
	high := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' || i+1 == len(raw) {
			r.buf = append(r.buf, c)
			continue
		}
		i++
		c = raw[i]
		switch c {
		case 'b':
			c = '\b'
		case 'f':
			c = '\f'
		case 'n':
			c = '\n'
		case 'r':
			c = '\r'
		case 't':
			c = '\t'
		case 'v':
			c = '\v'
		case '0', '1', '2', '3', '4', '5', '6', '7':
			v := int(c - '0')
			for k := 0; k < 2 && i+1 < len(raw) && raw[i+1] >= '0' && raw[i+1] <= '7'; k++ {
				i++
				v = v*8 + int(raw[i]-'0')
			}
			c, high = byte(v), true
		case 'x':
			if i+1 < len(raw) && isHex(raw[i+1]) {
				i++
				v := hexVal(raw[i])
				if i+1 < len(raw) && isHex(raw[i+1]) {
					i++
					v = v*16 + hexVal(raw[i])
				}
				c, high = byte(v), true
			}
		}
		r.buf = append(r.buf, c)
	}
	v := r.buf[start:]
	if high {
		if err := types.VerifyEncoding(v); err != nil {
			return nil, err
		}
	}
	return v, nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexVal(c byte) int {
	switch {
	case c >= 'a':
		return int(c-'a') + 10
	case c >= 'A':
		return int(c-'A') + 10
	}
	return int(c - '0')
}

// splitCSV splits a CSV record that starts with line (with its newline);
// a quoted field may continue on the following lines.
func (r *Reader) splitCSV(line []byte) error {
	delim, quote, esc := r.o.Delimiter[0], r.o.Quote[0], r.o.Escape[0]
	r.fields, r.buf = r.fields[:0], r.buf[:0]
	// The record's lines are appended to rec (r.raw is reused by readLine).
	rec := append([]byte(nil), line...)
	i, col := 0, 0
	for {
		start, rawStart := len(r.buf), i
		quoted, inQuote := false, false
		for {
			if i >= len(rec) || (!inQuote && (rec[i] == '\n' || rec[i] == '\r' && (i+1 == len(rec) || rec[i+1] == '\n'))) {
				if !inQuote {
					break
				}
				more, err := r.readLine()
				if errors.Is(err, io.EOF) {
					r.raw, r.lineOK = rec, true
					return pgerror.New(pgerror.BadCopyFileFormat, "unterminated CSV quoted field")
				}
				if err != nil {
					return err
				}
				rec = append(rec, more...)
				continue
			}
			c := rec[i]
			switch {
			case inQuote && c == esc && i+1 < len(rec) && (rec[i+1] == quote || rec[i+1] == esc):
				r.buf = append(r.buf, rec[i+1])
				i += 2
				continue
			case inQuote && c == quote:
				inQuote = false
			case !inQuote && c == quote:
				inQuote, quoted = true, true
			case !inQuote && c == delim:
			default:
				r.buf = append(r.buf, c)
				i++
				continue
			}
			if !inQuote && c == delim {
				break
			}
			i++
		}
		r.fields = append(r.fields, r.csvField(r.buf[start:], quoted, string(rec[rawStart:i]) == r.o.Null, col))
		col++
		if i >= len(rec) || rec[i] != delim {
			r.raw = trimEOL(rec)
			return nil
		}
		i++
	}
}

// csvField applies the NULL rules of CSV: an unquoted field equal to the
// NULL string is NULL (unless FORCE_NOT_NULL); a quoted one only with
// FORCE_NULL.
func (r *Reader) csvField(v []byte, quoted, matchesNull bool, col int) Field {
	forced := func(f []bool) bool { return col < len(f) && f[col] }
	switch {
	case !quoted && matchesNull && !forced(r.o.ForceNotNull):
		return Field{Null: true}
	case quoted && string(v) == r.o.Null && forced(r.o.ForceNull):
		return Field{Null: true}
	}
	return Field{Val: v}
}

// readBinary reads one tuple of the binary format (after the header).
func (r *Reader) readBinary() ([]Field, error) {
	if r.header {
		r.header = false
		if err := r.binaryHeader(); err != nil {
			return nil, err
		}
	}
	var n [4]byte
	if _, err := io.ReadFull(r.br, n[:2]); err != nil {
		if errors.Is(err, io.EOF) {
			r.ended = true
			return nil, io.EOF
		}
		return nil, badBinary(err)
	}
	count := int16(binary.BigEndian.Uint16(n[:2]))
	if count == -1 {
		r.ended = true
		return nil, io.EOF
	}
	r.line++
	r.fields, r.buf = r.fields[:0], r.buf[:0]
	for range int(count) {
		if _, err := io.ReadFull(r.br, n[:]); err != nil {
			return nil, badBinary(err)
		}
		l := int32(binary.BigEndian.Uint32(n[:]))
		if l == -1 {
			r.fields = append(r.fields, Field{Null: true})
			continue
		}
		if l < 0 {
			return nil, pgerror.New(pgerror.BadCopyFileFormat, "invalid field size")
		}
		start := len(r.buf)
		// Grow as the bytes arrive: a length prefix alone never
		// allocates more than the data the client actually sent.
		for rem := int(l); rem > 0; {
			chunk := min(rem, 64<<10)
			at := len(r.buf)
			r.buf = append(r.buf, make([]byte, chunk)...)
			if _, err := io.ReadFull(r.br, r.buf[at:]); err != nil {
				return nil, badBinary(err)
			}
			rem -= chunk
		}
		r.fields = append(r.fields, Field{Val: r.buf[start:]})
	}
	// Values were appended to one buffer that may have moved: re-slice.
	off := 0
	for i := range r.fields {
		if !r.fields[i].Null {
			l := len(r.fields[i].Val)
			r.fields[i].Val = r.buf[off : off+l]
			off += l
		}
	}
	return r.fields, nil
}

func (r *Reader) binaryHeader() error {
	h := make([]byte, len(binarySignature)+8)
	if _, err := io.ReadFull(r.br, h); err != nil || !bytes.Equal(h[:len(binarySignature)], binarySignature) {
		return pgerror.New(pgerror.BadCopyFileFormat, "COPY file signature not recognized")
	}
	flags := binary.BigEndian.Uint32(h[len(binarySignature):])
	if flags&(1<<16) != 0 {
		return pgerror.New(pgerror.BadCopyFileFormat, "invalid COPY file header (WITH OIDS)")
	}
	if flags&^(0xffff<<16) != 0 {
		return pgerror.New(pgerror.BadCopyFileFormat, "unrecognized critical flags in COPY file header")
	}
	ext := binary.BigEndian.Uint32(h[len(binarySignature)+4:])
	if _, err := io.CopyN(io.Discard, r.br, int64(ext)); err != nil {
		return pgerror.New(pgerror.BadCopyFileFormat, "invalid COPY file header (wrong length)")
	}
	return nil
}

func badBinary(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return pgerror.New(pgerror.BadCopyFileFormat, "unexpected EOF in COPY data")
	}
	return err
}
