// Package wal is HeliosDB Nano's write-ahead log: the source of truth of
// the database. A transaction commits when its WAL record is durable
// (fsynced); storage is only a materialised view that is replayed from here.
//
// # Contract
//
// The log is a stream of records addressed by LSN (lsn.LSN), the byte
// position of a record in the logical stream. LSNs grow monotonically
// across segment files and count record bytes only (segment headers are not
// part of the stream), so the framing is deterministic: a standby that
// re-appends a primary's records (same Term, Timestamp, Type and Data)
// assigns them the same LSNs whatever its segment size. An empty log starts
// at LSN 0, or at the LSN given to Reset.
//
//   - Append encodes records into memory and assigns LSNs; nothing is
//     durable yet. It does no I/O (beyond an occasional write-out when more
//     than 8 MiB are buffered).
//   - Sync writes the buffered bytes (pwrite) and issues one fdatasync (plus
//     a directory fsync when a segment file was created). Appends continue
//     while it runs; concurrent Syncs share fsyncs (group commit). A failed
//     write or fsync is sticky: the Log refuses further writes until
//     Recover (see "Write failures" below).
//   - Readers read only durable bytes (below FlushedLSN) with their own
//     file handles; WaitFlushed lets replication senders tail the log.
//   - TruncateFront removes old segments (retention), TruncateBack discards
//     a diverged suffix, Reset restarts the log at a base backup's LSN.
//
// # Segment files
//
// The stream is split into segment files in Config.Dir, named after the LSN
// of their first record as 16 lower-case hex digits plus ".wal". With the
// default 64 MiB segments the first files are
//
//	0000000000000000.wal  records [0x0, 0x4000000)
//	0000000004000000.wal  records from 0x4000000 (if records filled the
//	                      first segment exactly)
//
// A segment is cut when the next record would make its record bytes exceed
// Config.SegmentSize; a record larger than SegmentSize gets a segment of its
// own. A segment's end is the start of the next one. New files are
// preallocated (fallocate) to header + SegmentSize, so the unused tail of
// the last segment reads as zeros.
//
// Every segment file begins with a 32-byte header (little-endian):
//
//	offset size field
//	0      4    magic "HWAL"
//	4      4    format version (FormatVersion = 1)
//	8      8    start LSN (must match the file name)
//	16     4    CRC32C (Castagnoli) of bytes 0..15
//	20     12   reserved, zero
//
// Record r of a segment starting at S sits at file offset
// 32 + (r.LSN - S).
//
// # Record layout
//
// Each record is a 40-byte header, the payload, and zero padding to the
// next multiple of 8 bytes (RecordAlign), so every header is 8-byte aligned
// and FramedSize(n) = (40 + n + 7) &^ 7. Little-endian:
//
//	offset size field
//	0      4    CRC32C (Castagnoli) of bytes 4 .. 40+length (everything
//	            below plus the payload; not the padding)
//	4      4    length of the payload in bytes (at most MaxDataSize, 1 GiB)
//	8      8    LSN of this record (its own position)
//	16     8    term
//	24     8    timestamp, unix microseconds
//	32     1    type (opaque to wal)
//	33     1    marker 0xA7 (never zero, so preallocated zeros are no record)
//	34     6    reserved, zero
//	40     n    payload
//	40+n   p    padding, zero (p = FramedSize(n) - 40 - n)
//
// A record is valid when the marker and reserved bytes are right, the
// length is in range, the stored LSN equals its position, the CRC matches
// and the padding is zero. The embedded LSN means a stale or misplaced
// record can never be taken for the one expected at a position.
//
// # Durability ordering and torn writes
//
// Sync writes a segment's bytes, fdatasyncs it and closes it before it
// creates the next segment file. Hence a segment file exists only when all
// earlier segments are complete and durable, and only the last segment can
// end in a torn write. Open therefore checks the headers of all segments
// but scans only the last one, record by record, up to the first invalid
// record at offset p:
//
//   - No valid record follows p in the file: torn tail (or just the
//     preallocated zeros). The file is truncated at p, re-preallocated (so
//     the tail is zero again) and fsynced.
//   - Valid records follow p, but the bytes between p and the next valid
//     record contain an all-zero record header or an all-zero 512-byte
//     sector: pages written after the last fsync reached the disk out of
//     order before a crash (as etcd's isTornEntry assumes). Nothing from p
//     on was ever reported durable; it is truncated, with a warning that
//     counts the dropped records.
//   - Otherwise (garbage, such as a flipped byte, followed by valid records):
//     corruption in the middle of the log. Open fails with an error
//     wrapping ErrCorrupt that names the segment file and offset. Records
//     are never skipped silently.
//
// A last segment whose own header is invalid and which holds no valid
// record was torn while being created and is rewritten empty. Readers
// verify every record they return; damage in older segments is reported by
// Reader.Next as ErrCorrupt with file and offset.
//
// TruncateBack removes later segment files (fsyncing the directory) before
// cutting the segment holding its target, so a crash in between leaves a
// consistent log. Reset writes the new first segment durably as
// "<start>.wal.reset" before removing the old segments; Open completes an
// interrupted Reset by removing all segments and renaming the file.
//
// # Write failures and full disks
//
// A failed write or fsync (ENOSPC, EIO) fails the Sync (or Append) that
// hit it and makes the Log refuse further writes (Failed reports it) until
// Recover. Recover discards everything after FlushedLSN — appended, maybe
// partly written, never reported durable — from memory and disk: segment
// files after the one holding FlushedLSN are removed, that one is truncated
// at FlushedLSN, re-preallocated and fsynced through a new descriptor, and
// the directory is fsynced. Bytes below FlushedLSN were covered by an fsync
// that succeeded earlier and are not touched. This is why an in-process
// recovery is sound where PostgreSQL PANICs: the kernel's unknown page
// state after a failed fsync concerns only bytes that are thrown away. The
// caller must report the failed records as not committed (the node does,
// with 53100 for ENOSPC); they are never replayed. IsNoSpace classifies
// errors.
//
// Open sizes segments to the volume: with less than 8 × SegmentSize free
// in Dir, segments are the largest power of two not above free/8 (at least
// MinAutoSegmentSize, 1 MiB); when even that cannot be preallocated,
// creating the segment fails with an error naming the file, the size and
// the free space. The last segment of an existing log that cannot be
// re-preallocated on a full disk is used as it is (a warning).
// docs/durability.md describes the node's behaviour.
//
// The Log assumes it is the only process writing Config.Dir; the node holds
// the data-directory lock (fsutil.LockDir).
package wal
