package storage

import (
	"encoding/binary"
	"fmt"
)

// minOpSize is the smallest encoded op: a kind byte and an empty bucket.
const minOpSize = 2

// DecodeBatch decodes an encoding produced by Batch.Encode. Errors wrap
// ErrCorrupt and give the byte offset; DecodeBatch never panics, whatever
// p holds. The returned batch does not alias p (it copies p once and points
// into the copy). Decoding checks structure only; see Batch.Validate.
func DecodeBatch(p []byte) (*Batch, error) {
	d := decoder{buf: p}
	ver, err := d.byte()
	if err != nil {
		return nil, err
	}
	if ver != batchVersion {
		return nil, fmt.Errorf("%w: batch version %d, want %d", ErrCorrupt, ver, batchVersion)
	}
	count, err := d.uvarint()
	if err != nil {
		return nil, err
	}
	if count > uint64(len(p)-d.off)/minOpSize {
		return nil, fmt.Errorf("%w: batch claims %d ops in %d bytes", ErrCorrupt, count, len(p)-d.off)
	}
	// One copy of the input so the result neither aliases nor pins p.
	d.buf = append([]byte(nil), p...)
	b := &Batch{Ops: make([]Op, count)}
	for i := range b.Ops {
		if err := d.op(&b.Ops[i]); err != nil {
			return nil, fmt.Errorf("op %d: %w", i, err)
		}
	}
	if d.off != len(p) {
		return nil, fmt.Errorf("%w: %d trailing bytes at offset %d", ErrCorrupt, len(p)-d.off, d.off)
	}
	return b, nil
}

// decoder reads the batch encoding from buf, tracking the offset for errors.
type decoder struct {
	buf []byte
	off int
}

func (d *decoder) op(op *Op) error {
	kind, err := d.byte()
	if err != nil {
		return err
	}
	op.Kind = OpKind(kind)
	if op.Kind < OpPut || op.Kind > OpMoveBucket {
		return fmt.Errorf("%w: unknown op kind %d at offset %d", ErrCorrupt, kind, d.off-1)
	}
	if op.Bucket, err = d.bytes(); err != nil {
		return err
	}
	if op.Kind.hasKey() {
		if op.Key, err = d.bytes(); err != nil {
			return err
		}
	}
	if op.Kind.hasValue() {
		if op.Value, err = d.bytes(); err != nil {
			return err
		}
	}
	return nil
}

func (d *decoder) byte() (byte, error) {
	if d.off >= len(d.buf) {
		return 0, fmt.Errorf("%w: truncated at offset %d", ErrCorrupt, d.off)
	}
	c := d.buf[d.off]
	d.off++
	return c, nil
}

func (d *decoder) uvarint() (uint64, error) {
	v, n := binary.Uvarint(d.buf[d.off:])
	if n <= 0 {
		return 0, fmt.Errorf("%w: bad length varint at offset %d", ErrCorrupt, d.off)
	}
	d.off += n
	return v, nil
}

// bytes reads a length-prefixed byte string. The result has its capacity
// clipped so that appending to it can never overwrite the next field.
func (d *decoder) bytes() ([]byte, error) {
	n, err := d.uvarint()
	if err != nil {
		return nil, err
	}
	if n > uint64(len(d.buf)-d.off) {
		return nil, fmt.Errorf("%w: length %d overruns input at offset %d", ErrCorrupt, n, d.off)
	}
	end := d.off + int(n)
	p := d.buf[d.off:end:end]
	d.off = end
	return p, nil
}
