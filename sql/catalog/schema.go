package catalog

import (
	"encoding/binary"
	"strconv"
)

// Bucket and key names of the SQL layer. Every persistent name is declared
// here and nowhere else.
var (
	// BucketCatalog holds descriptors, the catalog version and the ID counter.
	BucketCatalog = []byte("sys.catalog")
	// BucketSeq holds sequence high-water marks.
	BucketSeq = []byte("sys.seq")

	// KeyVersion is the catalog version key in BucketCatalog.
	KeyVersion = []byte("version")
	// KeyNextID is the descriptor ID counter in BucketCatalog.
	KeyNextID = []byte("nextid")

	tablePrefix = "table/"
	seqPrefix   = "seq/"
	viewPrefix  = "view/"
	rolePrefix  = "role/"
)

// TableKey is the BucketCatalog key of table name's descriptor.
func TableKey(name string) []byte { return []byte(tablePrefix + name) }

// SequenceKey is the BucketCatalog key of sequence name's descriptor.
func SequenceKey(name string) []byte { return []byte(seqPrefix + name) }

// TableBucket is the bucket holding the rows of the table with storage id.
func TableBucket(id uint32) []byte { return []byte("t/" + strconv.FormatUint(uint64(id), 10)) }

// AppendTableBucket appends TableBucket(id) to dst (a caller's buffer
// saves TableBucket's allocation on a per-row path).
func AppendTableBucket(dst []byte, id uint32) []byte {
	return strconv.AppendUint(append(dst, "t/"...), uint64(id), 10)
}

// IndexBucket is the bucket holding the entries of the index with id.
func IndexBucket(id uint32) []byte { return []byte("i/" + strconv.FormatUint(uint64(id), 10)) }

// EncodeUint64 is the 8-byte big-endian encoding of counters.
func EncodeUint64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// DecodeUint64 decodes EncodeUint64; a missing or malformed value is 0.
func DecodeUint64(b []byte) uint64 {
	if len(b) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}
