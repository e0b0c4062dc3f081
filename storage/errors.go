package storage

import "errors"

var (
	// ErrCorrupt reports bytes that do not decode (a Batch, a backup stream)
	// or a bbolt file that fails its consistency check.
	ErrCorrupt = errors.New("storage: corrupt data")

	// ErrVersionMismatch reports a bbolt file written with another storage
	// format version, or one that is not a HeliosDB storage file.
	ErrVersionMismatch = errors.New("storage: format version mismatch")

	// ErrClosed is returned by operations on a closed DB.
	ErrClosed = errors.New("storage: database closed")

	// ErrReservedBucket is returned when a batch names a bucket starting
	// with 0x00, which storage reserves for itself.
	ErrReservedBucket = errors.New("storage: reserved bucket name")

	// ErrInvalidBatch is returned by Batch.Validate and Apply for an
	// operation bbolt cannot store: an empty bucket name or key, or a key or
	// value that is too large.
	ErrInvalidBatch = errors.New("storage: invalid batch")
)
