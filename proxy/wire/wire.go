package wire

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
)

// DefaultMaxMessageSize bounds message bodies when NewReader gets 0.
const DefaultMaxMessageSize = 64 << 20

// Reader reads frames from a stream. It is not safe for concurrent use.
type Reader struct {
	br  *bufio.Reader
	max int
	buf []byte
	hdr [5]byte
}

// NewReader reads from r with messages bounded by max bytes (0: the
// default).
func NewReader(r io.Reader, max int) *Reader {
	if max <= 0 {
		max = DefaultMaxMessageSize
	}
	return &Reader{br: bufio.NewReaderSize(r, 32<<10), max: max}
}

// Buffered reports how many bytes have been read from the stream but not
// yet returned.
func (r *Reader) Buffered() int { return r.br.Buffered() }

// Next reads one typed message. body is valid until the next call.
func (r *Reader) Next() (typ byte, body []byte, err error) {
	if _, err := io.ReadFull(r.br, r.hdr[:5]); err != nil {
		return 0, nil, err
	}
	n := int(binary.BigEndian.Uint32(r.hdr[1:5]))
	if n < 4 {
		return 0, nil, fmt.Errorf("%w: %d for message type %q", ErrBadLength, n, r.hdr[0])
	}
	if n-4 > r.max {
		return 0, nil, fmt.Errorf("%w: %d bytes for message type %q (limit %d)", ErrTooLarge, n-4, r.hdr[0], r.max)
	}
	body, err = r.body(n - 4)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return r.hdr[0], body, err
}

// growStep bounds what one body read allocates ahead of the bytes that
// have arrived: a header claiming a 64 MB body followed by nothing (or by
// a stall) costs at most this much, not the claim.
const growStep = 1 << 20

func (r *Reader) body(n int) ([]byte, error) {
	if cap(r.buf) >= n {
		r.buf = r.buf[:n]
		_, err := io.ReadFull(r.br, r.buf)
		return r.buf, err
	}
	// Grow as the bytes arrive: read in steps of at most growStep, so the
	// buffer is never more than one step larger than what was read.
	r.buf = r.buf[:0]
	for len(r.buf) < n {
		step := min(n-len(r.buf), max(growStep, len(r.buf)))
		r.buf = slices.Grow(r.buf, step)
		k, err := io.ReadFull(r.br, r.buf[len(r.buf):len(r.buf)+step])
		r.buf = r.buf[:len(r.buf)+k]
		if err != nil {
			return r.buf, err
		}
	}
	return r.buf, nil
}

// Append appends a frame of type typ with body to dst.
func Append(dst []byte, typ byte, body []byte) []byte {
	dst = append(dst, typ, 0, 0, 0, 0)
	binary.BigEndian.PutUint32(dst[len(dst)-4:], uint32(len(body)+4))
	return append(dst, body...)
}

// Encoder is a pgproto3 message.
type Encoder interface {
	Encode(dst []byte) ([]byte, error)
}

// AppendMsg appends msg's encoding to dst. pgproto3 fails only for
// messages too large to frame; those are reported, dst unchanged.
func AppendMsg(dst []byte, msg Encoder) ([]byte, error) {
	out, err := msg.Encode(dst)
	if err != nil {
		return dst, fmt.Errorf("wire: encode %T: %w", msg, err)
	}
	return out, nil
}

// CString splits a NUL-terminated string off the front of b. ok is false
// when there is no NUL.
func CString(b []byte) (s string, rest []byte, ok bool) {
	v, rest, ok := CBytes(b)
	return string(v), rest, ok
}

// CBytes is CString without the copy: v is part of b.
func CBytes(b []byte) (v, rest []byte, ok bool) {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i], b[i+1:], true
	}
	return nil, b, false
}
