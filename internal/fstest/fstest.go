package fstest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// MountTmpfs mounts a tmpfs of size bytes on a new directory under
// t.TempDir() and unmounts it when the test ends. It skips the test when
// not running as root (CI runs as root, so the test runs there).
func MountTmpfs(t testing.TB, size int64) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("fstest: mounting a small tmpfs needs root (run as root, as CI does, to test a full disk)")
	}
	dir := filepath.Join(t.TempDir(), "mnt")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", size), "tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("fstest: mount tmpfs on %s: %v: %s", dir, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("fstest: umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// Free is the space available on dir's file system.
func Free(t testing.TB, dir string) int64 {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Bavail) * st.Bsize
}

// Fill writes the file path until the file system is full, leaving keep
// bytes free (0 = fill completely), and returns the bytes written.
func Fill(t testing.TB, path string, keep int64) int64 {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for i := range buf {
		buf[i] = 0xB5 // not zero: tmpfs would store zero pages all the same, but be explicit
	}
	var n int64
	for {
		chunk := buf
		if keep > 0 {
			room := Free(t, filepath.Dir(path)) - keep
			if room <= 0 {
				return n
			}
			chunk = buf[:min(int64(len(buf)), room)]
		}
		w, err := f.Write(chunk)
		n += int64(w)
		if errors.Is(err, syscall.ENOSPC) {
			return n
		}
		if err != nil {
			t.Fatalf("fstest: fill %s: %v", path, err)
		}
	}
}
