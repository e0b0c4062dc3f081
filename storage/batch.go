package storage

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// batchVersion is the first byte of every encoded Batch.
const batchVersion = 1

// OpKind says what an Op does.
type OpKind uint8

// The operation kinds. Their values are part of the WAL format: never
// renumber them.
const (
	OpPut          OpKind = 1 // set Key to Value in Bucket
	OpDelete       OpKind = 2 // remove Key from Bucket
	OpCreateBucket OpKind = 3 // create Bucket; no-op if it exists
	OpDropBucket   OpKind = 4 // drop Bucket and its contents; no-op if missing
	// OpMoveBucket puts every key of the bucket named by Key into Bucket
	// (replacing equal keys) and drops the bucket named by Key; no-op if
	// Key's bucket is missing, a drop of it if Bucket is. It lets one
	// commit publish writes that earlier commits staged in a bucket no
	// reader looks at (the SQL layer's chunked COPY). A large move is
	// visible at once and written into Bucket afterwards, in bounded
	// transactions (merge.go).
	OpMoveBucket OpKind = 5
)

// String returns the kind's name, or "OpKind(n)" for an unknown kind.
func (k OpKind) String() string {
	switch k {
	case OpPut:
		return "Put"
	case OpDelete:
		return "Delete"
	case OpCreateBucket:
		return "CreateBucket"
	case OpDropBucket:
		return "DropBucket"
	case OpMoveBucket:
		return "MoveBucket"
	}
	return fmt.Sprintf("OpKind(%d)", uint8(k))
}

func (k OpKind) hasKey() bool   { return k == OpPut || k == OpDelete || k == OpMoveBucket }
func (k OpKind) isRowOp() bool  { return k == OpPut || k == OpDelete }
func (k OpKind) hasValue() bool { return k == OpPut }

// Op is one operation of a Batch. Key is unused for bucket operations and
// Value is used only by OpPut.
type Op struct {
	Kind   OpKind
	Bucket []byte
	Key    []byte
	Value  []byte
}

// Batch is an ordered list of operations: the payload of one WAL record and
// the unit of Apply. The zero value is an empty batch ready to use. A Batch
// is not safe for concurrent use.
//
// The methods that add operations copy nothing: the caller must not modify
// the slices it passes in until the Batch has been encoded and applied.
type Batch struct {
	Ops []Op
}

// Put appends "set key to value in bucket".
func (b *Batch) Put(bucket, key, value []byte) {
	b.Ops = append(b.Ops, Op{Kind: OpPut, Bucket: bucket, Key: key, Value: value})
}

// Delete appends "remove key from bucket" (no effect if either is missing).
func (b *Batch) Delete(bucket, key []byte) {
	b.Ops = append(b.Ops, Op{Kind: OpDelete, Bucket: bucket, Key: key})
}

// CreateBucket appends "create bucket" (no effect if it exists).
func (b *Batch) CreateBucket(bucket []byte) {
	b.Ops = append(b.Ops, Op{Kind: OpCreateBucket, Bucket: bucket})
}

// DropBucket appends "drop bucket and all its keys" (no effect if missing).
func (b *Batch) DropBucket(bucket []byte) {
	b.Ops = append(b.Ops, Op{Kind: OpDropBucket, Bucket: bucket})
}

// MoveBucket appends "put every key of from into bucket, then drop from"
// (see OpMoveBucket).
func (b *Batch) MoveBucket(bucket, from []byte) {
	b.Ops = append(b.Ops, Op{Kind: OpMoveBucket, Bucket: bucket, Key: from})
}

// Len returns the number of operations.
func (b *Batch) Len() int { return len(b.Ops) }

// Reset empties the batch, keeping its capacity.
func (b *Batch) Reset() {
	clear(b.Ops)
	b.Ops = b.Ops[:0]
}

// Validate checks that Apply can store every operation: a known kind, a
// non-empty bucket name that is not reserved (ErrReservedBucket), and for
// puts and deletes a key of 1..bolt.MaxKeySize bytes and a value of at most
// bolt.MaxValueSize bytes (ErrInvalidBatch). Call it before appending the
// batch to the WAL so that replay can never fail.
func (b *Batch) Validate() error {
	for i := range b.Ops {
		if err := b.Ops[i].validate(); err != nil {
			return fmt.Errorf("op %d: %w", i, err)
		}
	}
	return nil
}

func (op *Op) validate() error {
	switch {
	case op.Kind < OpPut || op.Kind > OpMoveBucket:
		return fmt.Errorf("%w: unknown kind %v", ErrInvalidBatch, op.Kind)
	case len(op.Bucket) == 0:
		return fmt.Errorf("%w: %v with empty bucket name", ErrInvalidBatch, op.Kind)
	case len(op.Bucket) > bolt.MaxKeySize:
		return fmt.Errorf("%w: bucket name of %d bytes", ErrInvalidBatch, len(op.Bucket))
	case isReserved(op.Bucket):
		return fmt.Errorf("%w: %v %q", ErrReservedBucket, op.Kind, op.Bucket)
	case !op.Kind.hasKey():
		return nil
	case op.Kind == OpMoveBucket && (len(op.Key) > bolt.MaxKeySize || isReserved(op.Key) || string(op.Key) == string(op.Bucket)):
		return fmt.Errorf("%w: %v from %q into %q", ErrInvalidBatch, op.Kind, op.Key, op.Bucket)
	case len(op.Key) == 0:
		return fmt.Errorf("%w: %v with empty key in bucket %q", ErrInvalidBatch, op.Kind, op.Bucket)
	case len(op.Key) > bolt.MaxKeySize:
		return fmt.Errorf("%w: key of %d bytes in bucket %q", ErrInvalidBatch, len(op.Key), op.Bucket)
	case int64(len(op.Value)) > bolt.MaxValueSize:
		return fmt.Errorf("%w: value of %d bytes in bucket %q", ErrInvalidBatch, len(op.Value), op.Bucket)
	}
	return nil
}

// EncodedSize returns the exact number of bytes Encode appends.
func (b *Batch) EncodedSize() int {
	n := 1 + uvarintLen(uint64(len(b.Ops)))
	for i := range b.Ops {
		op := &b.Ops[i]
		n += 1 + bytesLen(op.Bucket)
		if op.Kind.hasKey() {
			n += bytesLen(op.Key)
		}
		if op.Kind.hasValue() {
			n += bytesLen(op.Value)
		}
	}
	return n
}

// Encode appends the batch's encoding (see the package documentation) to
// dst and returns the extended slice. The encoding is deterministic: equal
// batches give equal bytes. Encode does not validate the batch.
func (b *Batch) Encode(dst []byte) []byte {
	dst = growCap(dst, b.EncodedSize())
	dst = append(dst, batchVersion)
	dst = binary.AppendUvarint(dst, uint64(len(b.Ops)))
	for i := range b.Ops {
		op := &b.Ops[i]
		dst = append(dst, byte(op.Kind))
		dst = appendBytes(dst, op.Bucket)
		if op.Kind.hasKey() {
			dst = appendBytes(dst, op.Key)
		}
		if op.Kind.hasValue() {
			dst = appendBytes(dst, op.Value)
		}
	}
	return dst
}

func growCap(dst []byte, n int) []byte {
	if cap(dst)-len(dst) >= n {
		return dst
	}
	grown := make([]byte, len(dst), len(dst)+n)
	copy(grown, dst)
	return grown
}

func appendBytes(dst, p []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(p)))
	return append(dst, p...)
}

func bytesLen(p []byte) int { return uvarintLen(uint64(len(p))) + len(p) }

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}
