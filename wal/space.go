package wal

import (
	"errors"
	"fmt"
	"path/filepath"
	"syscall"
)

// Segment sizing on small volumes.
//
// A segment file is preallocated to its full size when it is created, so a
// 64 MiB segment cannot even be created on a 64 MiB volume. Open therefore
// sizes segments to the volume: when the free space of Config.Dir is less
// than freeShare × SegmentSize, segments are made smaller — the largest
// power of two not above free/freeShare, at least MinAutoSegmentSize. The
// remaining space is left to storage and to the next segment. When even
// that cannot be preallocated, creating the segment fails with an error
// for which IsNoSpace holds, naming the file, the size and the free space.
const (
	// MinAutoSegmentSize is the smallest segment size Open picks for a
	// small volume.
	MinAutoSegmentSize = 1 << 20
	// freeShare: a segment takes at most 1/freeShare of the free space.
	freeShare = 8
)

// IsNoSpace reports whether err was caused by a full file system or an
// exhausted quota (ENOSPC, EDQUOT).
func IsNoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// freeBytes is the space available to this process on dir's file system.
func freeBytes(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("wal: statfs %s: %w", dir, err)
	}
	return int64(st.Bavail) * st.Bsize, nil
}

// segmentSizeFor is the segment size to use with free bytes available:
// configured when it fits freeShare times, else the largest power of two
// not above free/freeShare (at least MinAutoSegmentSize, never above
// configured). Pure, for table tests.
func segmentSizeFor(configured, free int64) int64 {
	if configured <= free/freeShare {
		return configured
	}
	s := int64(MinAutoSegmentSize)
	for s*2 <= free/freeShare && s*2 <= configured {
		s *= 2
	}
	return min(s, configured)
}

// noSpaceError explains a failed preallocation of size bytes for path.
func noSpaceError(path string, size int64, err error) error {
	free, ferr := freeBytes(filepath.Dir(path))
	if ferr != nil {
		return fmt.Errorf("wal: cannot preallocate %d bytes for WAL segment %s: %w", size, path, err)
	}
	return fmt.Errorf("wal: cannot preallocate %d bytes for WAL segment %s (%d bytes free): %w",
		size, path, free, err)
}
