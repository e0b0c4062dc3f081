package wal_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/heliosdb/nano/wal"
)

// FuzzSegments damages the segment files of a small log — bytes written at
// an offset of one file, the file cut short, a file removed — then opens
// the log (recovery reads every segment) and reads it from the start. Open
// and the reader must answer records or an error (ErrCorrupt for damage)
// without panicking, hanging or allocating beyond the damaged bytes'
// claims, and a log that opens must take a new record and read it back.
func FuzzSegments(f *testing.F) {
	const segSize = wal.MinSegmentSize
	// The template: 40 records over a few 1 KiB segments.
	tmpl := f.TempDir()
	l, err := wal.Open(wal.Config{Dir: tmpl, SegmentSize: segSize})
	if err != nil {
		f.Fatal(err)
	}
	for i := range 40 {
		if _, _, err := l.Append(makeRecord(i)); err != nil {
			f.Fatal(err)
		}
	}
	if _, err := l.Sync(); err != nil {
		f.Fatal(err)
	}
	if err := l.Close(); err != nil {
		f.Fatal(err)
	}
	ents, err := os.ReadDir(tmpl)
	if err != nil {
		f.Fatal(err)
	}
	type file struct {
		name string
		data []byte
	}
	var files []file
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(tmpl, e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		files = append(files, file{e.Name(), b})
	}
	if len(files) < 2 {
		f.Fatalf("template has %d segment files", len(files))
	}

	f.Add(uint8(0), uint16(0), []byte{}, uint16(0), false)
	f.Add(uint8(0), uint16(3), []byte{0xff}, uint16(0), false)                    // segment header
	f.Add(uint8(1), uint16(40), []byte{0x7f, 0xff, 0xff, 0xff}, uint16(0), false) // a length field
	f.Add(uint8(255), uint16(0), []byte{}, uint16(100), false)                    // torn tail
	f.Add(uint8(1), uint16(0), []byte{}, uint16(0), true)                         // a hole
	f.Add(uint8(0), uint16(500), make([]byte, 64), uint16(0), false)

	f.Fuzz(func(t *testing.T, which uint8, off uint16, patch []byte, cut uint16, remove bool) {
		dir := t.TempDir()
		k := int(which) % len(files)
		for i, fl := range files {
			b := slices.Clone(fl.data)
			if i == k {
				if remove {
					continue
				}
				if o := int(off); o < len(b) {
					b = append(b[:o], append(slices.Clone(patch), b[min(len(b), o+len(patch)):]...)...)
				}
				b = b[:len(b)-min(len(b), int(cut))]
			}
			if err := os.WriteFile(filepath.Join(dir, fl.name), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		l, err := wal.Open(wal.Config{Dir: dir, SegmentSize: segSize})
		if err != nil {
			return
		}
		defer l.Close()
		r, err := l.NewReader(l.FirstLSN())
		if err != nil {
			t.Fatalf("NewReader(FirstLSN %s) of an opened log: %v", l.FirstLSN(), err)
		}
		n := 0
		for {
			_, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				if !errors.Is(err, wal.ErrCorrupt) && !errors.Is(err, wal.ErrNotRetained) {
					t.Fatalf("record %d: unexpected error class: %v", n, err)
				}
				break
			}
			if n++; n > 1000 {
				t.Fatal("reader does not end")
			}
		}
		r.Close()
		rec := wal.Record{Term: 9, Type: 1, Data: []byte("after")}
		lsns, _, err := l.Append(rec)
		if err != nil {
			return // a log that failed recovery may refuse writes
		}
		if _, err := l.Sync(); err != nil {
			return
		}
		r, err = l.NewReader(lsns[0])
		if err != nil {
			t.Fatalf("NewReader(%s): %v", lsns[0], err)
		}
		defer r.Close()
		got, err := r.Next()
		if err != nil || string(got.Data) != "after" {
			t.Fatalf("the record appended after recovery reads back as %+v, %v", got, err)
		}
	})
}
