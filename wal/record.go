package wal

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/heliosdb/nano/lsn"
)

// Record framing; see doc.go for the layout.
const (
	// RecordHeaderSize is the size of the fixed record header.
	RecordHeaderSize = 40
	// RecordAlign is the alignment of every record in the LSN stream.
	RecordAlign = 8
	// MaxDataSize is the largest accepted Record.Data.
	MaxDataSize = 1 << 30

	recordMagic = 0xA7

	offCRC       = 0
	offLen       = 4
	offLSN       = 8
	offTerm      = 16
	offTimestamp = 24
	offType      = 32
	offMagic     = 33
	offReserved  = 34
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Record is one WAL entry. The payload is opaque to the WAL.
type Record struct {
	// LSN is the start position of the record in the stream; set by Append
	// and by Reader.Next.
	LSN lsn.LSN
	// Term of the primary that wrote the record.
	Term uint64
	// Timestamp in unix microseconds (commit time).
	Timestamp int64
	// Type is opaque to wal (the node uses 1=commit, 2=term change, ...).
	Type uint8
	// Data is the payload. Records returned by Reader.Next own their Data.
	Data []byte
}

// End returns the LSN just after r (r.LSN + framed size).
func (r Record) End() lsn.LSN { return r.LSN + lsn.LSN(FramedSize(len(r.Data))) }

// FramedSize is the number of stream bytes a record with dataLen payload
// bytes occupies: header + payload, rounded up to RecordAlign.
func FramedSize(dataLen int) int {
	return (RecordHeaderSize + dataLen + RecordAlign - 1) &^ (RecordAlign - 1)
}

// EncodeRecord appends the framed form of r (at position r.LSN) to dst and
// returns the extended slice. The output depends only on r's fields, so a
// standby re-appending a primary's records produces identical bytes.
// len(r.Data) must not exceed MaxDataSize.
func EncodeRecord(dst []byte, r Record) []byte {
	n := FramedSize(len(r.Data))
	off := len(dst)
	dst = grow(dst, n)
	b := dst[off : off+n]
	binary.LittleEndian.PutUint32(b[offLen:], uint32(len(r.Data)))
	binary.LittleEndian.PutUint64(b[offLSN:], uint64(r.LSN))
	binary.LittleEndian.PutUint64(b[offTerm:], r.Term)
	binary.LittleEndian.PutUint64(b[offTimestamp:], uint64(r.Timestamp))
	b[offType] = r.Type
	b[offMagic] = recordMagic
	clear(b[offReserved:RecordHeaderSize])
	end := RecordHeaderSize + copy(b[RecordHeaderSize:], r.Data)
	clear(b[end:])
	binary.LittleEndian.PutUint32(b[offCRC:], crc32.Checksum(b[offLen:end], castagnoli))
	return dst
}

// RecordChecksum is the CRC32C that EncodeRecord stores in r's frame,
// computed without building the frame (a standby checks a received
// record against the primary's checksum before appending it; the
// primary's sender computes it for records it read back).
func RecordChecksum(r Record) uint32 {
	var h [RecordHeaderSize]byte
	binary.LittleEndian.PutUint32(h[offLen:], uint32(len(r.Data)))
	binary.LittleEndian.PutUint64(h[offLSN:], uint64(r.LSN))
	binary.LittleEndian.PutUint64(h[offTerm:], r.Term)
	binary.LittleEndian.PutUint64(h[offTimestamp:], uint64(r.Timestamp))
	h[offType] = r.Type
	h[offMagic] = recordMagic
	return crc32.Update(crc32.Checksum(h[offLen:], castagnoli), castagnoli, r.Data)
}

// grow extends dst by n bytes (contents of the new bytes unspecified).
func grow(dst []byte, n int) []byte {
	if cap(dst)-len(dst) < n {
		nb := make([]byte, len(dst), 2*cap(dst)+n)
		copy(nb, dst)
		dst = nb
	}
	return dst[:len(dst)+n]
}

// header is a parsed record header.
type header struct {
	lsn     lsn.LSN
	dataLen int
}

// parseHeader validates the parts of a record header that do not need the
// payload. b must hold at least RecordHeaderSize bytes.
func parseHeader(b []byte) (header, error) {
	if b[offMagic] != recordMagic {
		return header{}, fmt.Errorf("bad record marker %#x", b[offMagic])
	}
	for _, c := range b[offReserved:RecordHeaderSize] {
		if c != 0 {
			return header{}, fmt.Errorf("non-zero reserved header bytes")
		}
	}
	n := binary.LittleEndian.Uint32(b[offLen:])
	if n > MaxDataSize {
		return header{}, fmt.Errorf("record length %d exceeds maximum", n)
	}
	return header{lsn: lsn.LSN(binary.LittleEndian.Uint64(b[offLSN:])), dataLen: int(n)}, nil
}

// DecodeRecord decodes the framed record at the start of b. It returns the
// record and its framed size. The returned Data aliases b. A b shorter than
// the frame yields io.ErrUnexpectedEOF; a frame failing validation (marker,
// reserved bytes, length, CRC32C, padding) yields an error wrapping
// ErrCorrupt. DecodeRecord never panics.
func DecodeRecord(b []byte) (Record, int, error) {
	if len(b) < RecordHeaderSize {
		return Record{}, 0, io.ErrUnexpectedEOF
	}
	h, err := parseHeader(b)
	if err != nil {
		return Record{}, 0, fmt.Errorf("%w: %s", ErrCorrupt, err)
	}
	n := FramedSize(h.dataLen)
	if len(b) < n {
		return Record{}, 0, io.ErrUnexpectedEOF
	}
	end := RecordHeaderSize + h.dataLen
	if crc32.Checksum(b[offLen:end], castagnoli) != binary.LittleEndian.Uint32(b[offCRC:]) {
		return Record{}, 0, fmt.Errorf("%w: crc mismatch", ErrCorrupt)
	}
	for _, c := range b[end:n] {
		if c != 0 {
			return Record{}, 0, fmt.Errorf("%w: non-zero padding", ErrCorrupt)
		}
	}
	return Record{
		LSN:       h.lsn,
		Term:      binary.LittleEndian.Uint64(b[offTerm:]),
		Timestamp: int64(binary.LittleEndian.Uint64(b[offTimestamp:])),
		Type:      b[offType],
		Data:      b[RecordHeaderSize:end:end],
	}, n, nil
}

// validAt reports whether b starts with a valid record positioned at want,
// returning its framed size.
func validAt(b []byte, want lsn.LSN) (int, bool) {
	if len(b) < RecordHeaderSize || b[offMagic] != recordMagic {
		return 0, false
	}
	r, n, err := DecodeRecord(b)
	if err != nil || r.LSN != want {
		return 0, false
	}
	return n, true
}
