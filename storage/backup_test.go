package storage_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/storage"
	"github.com/heliosdb/nano/storage/storagetest"
)

// backup returns a backup stream of a DB holding a little data at LSN 7,
// taken before a later Apply at LSN 8, and the dump the backup must equal.
func backup(t *testing.T) ([]byte, map[string]map[string]string) {
	t.Helper()
	db := storagetest.Open(t)
	storagetest.MustApply(t, db, 7, create("t"), put("t", "a", "1"), put("t", "b", ""), create("u"))
	if err := db.SetLocal("role", b("primary")); err != nil {
		t.Fatal(err)
	}
	want := storagetest.Dump(t, db)
	var buf bytes.Buffer
	applied, n, err := db.WriteBackup(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if applied != 7 || n != int64(buf.Len()) {
		t.Fatalf("WriteBackup = %v, %d (buffer %d)", applied, n, buf.Len())
	}
	storagetest.MustApply(t, db, 8, put("t", "later", "x"))
	return buf.Bytes(), want
}

func TestBackupRestoreRoundTrip(t *testing.T) {
	stream, want := backup(t)
	path := filepath.Join(t.TempDir(), "restored.bolt")
	got, err := storage.RestoreBackup(path, bytes.NewReader(stream))
	if err != nil {
		t.Fatal(err)
	}
	if got != 7 {
		t.Fatalf("RestoreBackup LSN = %v, want 7", got)
	}
	db := storagetest.OpenConfig(t, storage.Config{Path: path})
	if db.AppliedLSN() != 7 {
		t.Fatalf("restored AppliedLSN = %v", db.AppliedLSN())
	}
	if d := storagetest.DiffDumps(want, storagetest.Dump(t, db)); d != "" {
		t.Fatalf("restored data:\n%s", d)
	}
	if string(db.GetLocal("role")) != "primary" {
		t.Fatalf("local values not in backup: %q", db.GetLocal("role"))
	}
	storagetest.MustApply(t, db, 9, put("t", "c", "3")) // restored file is writable
	wantValue(t, db, "t", "c", b("3"))
}

func TestRestoreReplacesExisting(t *testing.T) {
	stream, want := backup(t)
	path := filepath.Join(t.TempDir(), "data.bolt")
	old := storagetest.OpenConfig(t, storage.Config{Path: path})
	storagetest.MustApply(t, old, 100, create("stale"))
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := storage.RestoreBackup(path, bytes.NewReader(stream)); err != nil {
		t.Fatal(err)
	}
	db := storagetest.OpenConfig(t, storage.Config{Path: path})
	if db.AppliedLSN() != 7 {
		t.Fatalf("AppliedLSN = %v", db.AppliedLSN())
	}
	if d := storagetest.DiffDumps(want, storagetest.Dump(t, db)); d != "" {
		t.Fatalf("restored data:\n%s", d)
	}
}

type failingReader struct{ r io.Reader }

func (f failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, errors.New("connection reset")
	}
	return n, err
}

func TestRestoreRejectsBadStream(t *testing.T) {
	stream, _ := backup(t)
	flipped := append([]byte{}, stream...)
	for i := 0; i < 2*4096 && i < len(flipped); i++ { // both meta pages
		flipped[i] ^= 0x5A
	}
	tests := []struct {
		name string
		r    io.Reader
		want error // nil: any error
	}{
		{"empty", bytes.NewReader(nil), storage.ErrCorrupt},
		{"garbage", bytes.NewReader(bytes.Repeat([]byte("garbage!"), 4096)), storage.ErrCorrupt},
		{"truncated", bytes.NewReader(stream[:len(stream)/2]), storage.ErrCorrupt},
		{"cut in meta page", bytes.NewReader(stream[:100]), storage.ErrCorrupt},
		{"one page short", bytes.NewReader(stream[:len(stream)-4096]), storage.ErrCorrupt},
		{"meta pages flipped", bytes.NewReader(flipped), storage.ErrCorrupt},
		{"reader fails", failingReader{bytes.NewReader(stream)}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "data.bolt")
			if err := os.WriteFile(path, []byte("keep me"), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := storage.RestoreBackup(path, tc.r)
			if err == nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("RestoreBackup = %v, want %v", err, tc.want)
			}
			if got, _ := os.ReadFile(path); string(got) != "keep me" {
				t.Fatal("failed restore replaced the existing file")
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 1 {
				t.Fatalf("failed restore left files: %v", ents)
			}
		})
	}
}

// A backup taken while Apply runs must hold exactly the state of the LSN
// it reports.
func TestBackupDuringApply(t *testing.T) {
	db := storagetest.Open(t)
	storagetest.MustApply(t, db, 1, create("t"))
	done := make(chan error, 1)
	go func() {
		for i := lsn.LSN(2); i <= 100; i++ {
			v := i.String()
			if err := db.Apply(i, put("t", "n", v), put("t", "m", v)); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	dir := t.TempDir()
	for i := 0; i < 3; i++ {
		var buf bytes.Buffer
		applied, _, err := db.WriteBackup(&buf)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "r.bolt")
		got, err := storage.RestoreBackup(path, &buf)
		if err != nil || got != applied {
			t.Fatalf("RestoreBackup = %v, %v; WriteBackup said %v", got, err, applied)
		}
		r := storagetest.OpenConfig(t, storage.Config{Path: path})
		if err := readConsistent(r); err != nil {
			t.Fatal(err)
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestReplaceInPlace(t *testing.T) {
	stream, want := backup(t)
	db := storagetest.Open(t)
	storagetest.MustApply(t, db, 50, create("t"), put("t", "a", "old"), create("gone"), put("gone", "k", "v"))
	old := storagetest.MustSnapshot(t, db)
	got, err := db.Replace(bytes.NewReader(stream))
	if err != nil {
		t.Fatal(err)
	}
	if got != 7 || db.AppliedLSN() != 7 {
		t.Fatalf("Replace = %v, AppliedLSN = %v, want 7", got, db.AppliedLSN())
	}
	if d := storagetest.DiffDumps(want, storagetest.Dump(t, db)); d != "" {
		t.Fatalf("replaced data:\n%s", d)
	}
	// A snapshot taken before keeps its view.
	if v := old.Get([]byte("t"), []byte("a")); string(v) != "old" {
		t.Fatalf("old snapshot sees %q", v)
	}
	old.Close()
	storagetest.MustApply(t, db, 9, put("t", "c", "3"))
	wantValue(t, db, "t", "c", b("3"))
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
	// A bad stream leaves the content alone.
	if _, err := db.Replace(bytes.NewReader(stream[:len(stream)/2])); err == nil {
		t.Fatal("Replace accepted a truncated stream")
	}
	wantValue(t, db, "t", "c", b("3"))
}
