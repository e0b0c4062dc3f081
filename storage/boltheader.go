package storage

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// bbolt's on-disk meta page, as far as RestoreBackup needs it (bbolt
// internal/common/meta.go, little-endian on the platforms we support): a
// 16-byte page header, then magic, version, pageSize, flags (4 bytes each),
// root pgid, root sequence, freelist pgid, high-water pgid, txid and an
// FNV-64a checksum of the preceding 56 bytes (8 bytes each).
const (
	boltPageHeaderSize = 16
	boltMetaSize       = 64
	boltMagic          = 0xED0CDAED
	boltVersion        = 2
	boltNoFreelist     = ^uint64(0)
)

// boltMeta is a decoded bbolt meta page.
type boltMeta struct {
	pageSize, freelist, root, pgid uint64
}

// checkBoltHeader validates a candidate file before bbolt maps it. bbolt
// trusts the meta page's high-water mark and touches pages up to it, and a
// page past the end of the file is a SIGBUS that no recover catches. So a
// truncated stream must be rejected here: every valid meta page must
// describe pages that lie inside the file.
func checkBoltHeader(f *os.File) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	m0, err0 := readBoltMeta(f, 0)
	off := int64(os.Getpagesize()) // where bbolt looks when meta 0 is bad
	if err0 == nil {
		off = int64(m0.pageSize)
	}
	m1, err1 := readBoltMeta(f, off)
	if err0 != nil && err1 != nil {
		return fmt.Errorf("%w: no valid bbolt meta page: %w", ErrCorrupt, err0)
	}
	for i, m := range []struct {
		meta boltMeta
		err  error
	}{{m0, err0}, {m1, err1}} {
		if m.err == nil {
			if err := m.meta.fits(st.Size()); err != nil {
				return fmt.Errorf("%w: bbolt meta %d: %w", ErrCorrupt, i, err)
			}
		}
	}
	return nil
}

func readBoltMeta(r io.ReaderAt, off int64) (boltMeta, error) {
	var buf [boltPageHeaderSize + boltMetaSize]byte
	if _, err := r.ReadAt(buf[:], off); err != nil {
		return boltMeta{}, fmt.Errorf("read meta at %d: %w", off, err)
	}
	p := buf[boltPageHeaderSize:]
	le := binary.LittleEndian
	h := fnv.New64a()
	h.Write(p[:56])
	switch {
	case le.Uint32(p[0:]) != boltMagic:
		return boltMeta{}, fmt.Errorf("bad magic at %d", off)
	case le.Uint32(p[4:]) != boltVersion:
		return boltMeta{}, fmt.Errorf("bbolt version %d at %d", le.Uint32(p[4:]), off)
	case le.Uint64(p[56:]) != h.Sum64():
		return boltMeta{}, fmt.Errorf("bad checksum at %d", off)
	}
	return boltMeta{
		pageSize: uint64(le.Uint32(p[8:])),
		root:     le.Uint64(p[16:]),
		freelist: le.Uint64(p[32:]),
		pgid:     le.Uint64(p[40:]),
	}, nil
}

// fits reports whether every page the meta refers to lies in a file of
// size bytes.
func (m boltMeta) fits(size int64) error {
	switch {
	case m.pageSize < 512 || m.pageSize > 1<<20 || m.pageSize&(m.pageSize-1) != 0:
		return fmt.Errorf("page size %d", m.pageSize)
	case m.pgid < 3 || m.pgid > uint64(size)/m.pageSize:
		return fmt.Errorf("%d pages of %d bytes do not fit in %d bytes", m.pgid, m.pageSize, size)
	case m.root < 2 || m.root >= m.pgid:
		return fmt.Errorf("root page %d outside [2, %d)", m.root, m.pgid)
	case m.freelist != boltNoFreelist && (m.freelist < 2 || m.freelist >= m.pgid):
		return fmt.Errorf("freelist page %d outside [2, %d)", m.freelist, m.pgid)
	}
	return nil
}
