// Package rowenc encodes SQL datums for storage: order-preserving keys for
// primary keys and indexes, and compact row values. It is pure (no I/O);
// all functions are safe for concurrent use. Decoders never panic on any
// input and return errors wrapping ErrCorrupt (SQLSTATE XX001); encoders
// panic only when handed a datum whose Go type cannot represent the column
// type (a caller bug, see the types package for the Datum conventions).
//
// # Key encoding
//
// AppendKey writes one datum so that bytes.Compare on encodings equals
// types.Compare on values, NULL first. Every encoding is self-delimiting,
// so a composite key is the plain concatenation of its column encodings and
// compares column by column; PrefixEnd gives the exclusive upper bound of
// a prefix scan. Descending order is not supported (scan backwards). The
// first byte is a tag:
//
//	0x00                 NULL (sorts first)
//	0x01 body            any non-null value (numerics use their own tags)
//	0x02                 float NaN (after +Infinity; NaN = NaN)
//
// Bodies by kind:
//
//	bool         1 byte, 0 or 1
//	int2/4/8,oid 8 bytes big-endian with the sign bit flipped
//	float4/8     8 bytes: IEEE bits; negatives complemented, positives with
//	             the sign bit set (-0 is written as 0)
//	text etc.    the bytes with 0x00 escaped as 0x00 0xFF, then 0x00 0x01
//	bytea        as text
//	uuid, json   as text (uuid in its canonical lower-case form)
//	date, timestamp, timestamptz
//	             Unix seconds (8 bytes, sign flipped) + nanoseconds (4 bytes)
//	interval     total days (months count 30, as PostgreSQL compares them;
//	             8 bytes, sign flipped) + microseconds within the day
//	             (8 bytes, 0..86399999999)
//
// Numerics carry their own tags: 0x01 -Infinity, 0x02 negative, 0x03 zero,
// 0x04 positive, 0x05 +Infinity, 0x06 NaN. A finite non-zero value is
// written as 0.d1d2…dn × 10^E with dn != 0: E as a sign-flipped big-endian
// int32, the digits packed two per byte as 1+10·d(2i-1)+d(2i) (a final
// single digit is paired with 0), then a 0x00 terminator; for negative
// values these bytes are complemented (so the terminator is 0xFF). Equal
// values in different scales (1.5, 1.50) encode identically.
//
// DecodeKey returns the canonical member of a value's equality class:
// numerics without trailing fractional zeros, 0 for -0, intervals
// justified to months/days (< 30)/micros (< 1 day). Read the row value when
// the exact stored form matters.
//
// # Row encoding
//
// EncodeRow writes, not order-preserving:
//
//	version   1 byte (1)
//	ncols     uvarint
//	nulls     ceil(ncols/8) bytes; bit i%8 of byte i/8 set = column i NULL
//	values    the non-null columns in order:
//	  bool      1 byte
//	  integers  zig-zag varint
//	  floats    8 bytes big-endian IEEE bits
//	  numeric   form byte (0 +finite, 1 -finite, 2 NaN, 3 +Inf, 4 -Inf);
//	            finite: exponent varint, coefficient magnitude as uvarint
//	            length + big-endian bytes (scale is preserved exactly)
//	  strings, bytea   uvarint length + bytes
//	  date/timestamps  Unix seconds varint + nanoseconds uvarint
//	  interval  months, days, micros as varints
//
// DecodeRow needs the column types. A row with fewer columns than the
// table (written before ALTER TABLE ADD COLUMN) decodes with the missing
// trailing columns NULL; a row with more columns is rejected as corrupt.
// Values decode in UTC.
package rowenc
