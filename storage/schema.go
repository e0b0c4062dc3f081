package storage

import "encoding/binary"

// FormatVersion is the storage format version written into new files and
// required of existing ones. Bump it on any incompatible change to the
// meta layout or to how data buckets are used.
const FormatVersion uint64 = 1

// reservedPrefix starts every bucket name storage keeps for itself.
const reservedPrefix = 0x00

// bucketName is a top-level bbolt bucket owned by storage. Every such bucket
// is declared here and nowhere else.
type bucketName string

const (
	// bucketMeta holds the format version and the applied LSN.
	bucketMeta bucketName = "\x00meta"
	// bucketLocal holds node-local key/values (GetLocal/SetLocal).
	bucketLocal bucketName = "\x00local"
)

func (b bucketName) bytes() []byte { return []byte(b) }

// metaKey is a key in bucketMeta.
type metaKey string

const (
	// keyFormatVersion: FormatVersion as 8-byte big-endian.
	keyFormatVersion metaKey = "format_version"
	// keyAppliedLSN: the LSN applied up to, 8-byte big-endian.
	keyAppliedLSN metaKey = "applied_lsn"
)

func (k metaKey) bytes() []byte { return []byte(k) }

// isReserved reports whether name belongs to storage itself.
func isReserved(name []byte) bool {
	return len(name) > 0 && name[0] == reservedPrefix
}

func encodeUint64(v uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), v)
}

// decodeUint64 reads an 8-byte big-endian value; ok is false for any other
// length (including a missing key).
func decodeUint64(p []byte) (v uint64, ok bool) {
	if len(p) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(p), true
}
