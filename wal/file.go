package wal

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/heliosdb/nano/internal/fsutil"
)

// fdatasync flushes f's data (and the metadata needed to read it back, such
// as its size) to stable storage.
func fdatasync(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("wal: fdatasync %s: %w", f.Name(), err)
		}
		return nil
	}
}

func preallocate(f *os.File, size int64) error {
	if err := fsutil.Preallocate(f, size); err != nil {
		if IsNoSpace(err) {
			return noSpaceError(f.Name(), size, err)
		}
		return fmt.Errorf("wal: %w", err)
	}
	return nil
}

func syncDir(dir string) error {
	if err := fsutil.SyncDir(dir); err != nil {
		return fmt.Errorf("wal: %w", err)
	}
	return nil
}
