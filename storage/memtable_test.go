package storage_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/storage"
)

// model is the expected content of one bucket.
type model map[string]string

func (m model) keys() []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// checkView compares every read path of a Snapshot (Get, forward and
// backward scans, Seek, direction changes) with the model.
func checkView(t *testing.T, s *storage.Snapshot, bucket []byte, want model, rng *rand.Rand) {
	t.Helper()
	keys := want.keys()
	var fwd, back []string
	c := s.Cursor(bucket)
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if want[string(k)] != string(v) {
			t.Fatalf("scan: %q = %q, want %q", k, v, want[string(k)])
		}
		fwd = append(fwd, string(k))
	}
	if !slices.Equal(fwd, keys) {
		t.Fatalf("forward scan %v, want %v", fwd, keys)
	}
	for k, _ := c.Last(); k != nil; k, _ = c.Prev() {
		back = append(back, string(k))
	}
	slices.Reverse(back)
	if !slices.Equal(back, keys) {
		t.Fatalf("backward scan %v, want %v", back, keys)
	}
	for range 20 {
		probe := fmt.Sprintf("k%03d", rng.IntN(60))
		if v, ok := want[probe]; ok != (s.Get(bucket, []byte(probe)) != nil) || (ok && string(s.Get(bucket, []byte(probe))) != v) {
			t.Fatalf("Get(%q) = %q, want %q (present %t)", probe, s.Get(bucket, []byte(probe)), v, ok)
		}
		i, _ := slices.BinarySearch(keys, probe)
		k, _ := c.Seek([]byte(probe))
		if (i == len(keys)) != (k == nil) || (k != nil && string(k) != keys[i]) {
			t.Fatalf("Seek(%q) = %q, want index %d of %v", probe, k, i, keys)
		}
		if k == nil {
			continue
		}
		// A direction change from here: Prev then Next come back.
		p, _ := c.Prev()
		if i == 0 {
			if p != nil {
				t.Fatalf("Prev before first = %q", p)
			}
			continue
		}
		if string(p) != keys[i-1] {
			t.Fatalf("Prev after Seek(%q) = %q, want %q", probe, p, keys[i-1])
		}
		if n, _ := c.Next(); string(n) != keys[i] {
			t.Fatalf("Next after Prev = %q, want %q", n, keys[i])
		}
	}
}

// TestPendingChangesReadAsApplied: whatever mix of pending (in memory) and
// flushed changes a Snapshot sees, it reads exactly the state at its LSN,
// and an old Snapshot keeps its view across later applies and flushes.
func TestPendingChangesReadAsApplied(t *testing.T) {
	db, err := storage.Open(storage.Config{Path: filepath.Join(t.TempDir(), "data.db"), FlushInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() }) // after the snapshots' cleanups: Close waits for them
	bucket := []byte("t")
	b := &storage.Batch{}
	b.CreateBucket(bucket)
	b.CreateBucket([]byte("u")) // a neighbour bucket: its keys must not leak
	b.Put([]byte("u"), []byte("k000"), []byte("other"))
	end := lsn.LSN(1)
	if err := db.Apply(end, b); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	want := model{}
	type old struct {
		s    *storage.Snapshot
		want model
	}
	var olds []old
	for step := range 400 {
		b := &storage.Batch{}
		for range 1 + rng.IntN(5) {
			k := fmt.Sprintf("k%03d", rng.IntN(60))
			if rng.IntN(3) == 0 {
				b.Delete(bucket, []byte(k))
				delete(want, k)
			} else {
				v := fmt.Sprintf("v%d", step)
				if rng.IntN(10) == 0 {
					v = "" // empty values are values
				}
				b.Put(bucket, []byte(k), []byte(v))
				want[k] = v
			}
		}
		end++
		if err := db.Apply(end, b); err != nil {
			t.Fatal(err)
		}
		if rng.IntN(25) == 0 {
			if err := db.Flush(); err != nil {
				t.Fatal(err)
			}
			if db.DurableLSN() != end {
				t.Fatalf("durable %v after flush, want %v", db.DurableLSN(), end)
			}
		}
		s, err := db.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if s.AppliedLSN() != end {
			t.Fatalf("snapshot at %v, want %v", s.AppliedLSN(), end)
		}
		checkView(t, s, bucket, want, rng)
		if rng.IntN(40) == 0 {
			olds = append(olds, old{s, maps(want)})
		} else {
			s.Close()
		}
	}
	for _, o := range olds {
		checkView(t, o.s, bucket, o.want, rng)
		o.s.Close()
	}
	if db.DurableLSN() >= db.AppliedLSN() {
		t.Fatalf("test did not leave changes pending (durable %v, applied %v)", db.DurableLSN(), db.AppliedLSN())
	}
}

func maps(m model) model {
	c := make(model, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// TestCrashLosesOnlyPendingChanges: a crash leaves the file at DurableLSN
// with exactly the flushed state (the WAL replays the rest); a clean Close
// flushes everything.
func TestCrashLosesOnlyPendingChanges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.db")
	db, err := storage.Open(storage.Config{Path: path, FlushInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	b := &storage.Batch{}
	b.CreateBucket([]byte("t"))
	b.Put([]byte("t"), []byte("a"), []byte("1"))
	if err := db.Apply(1, b); err != nil { // bucket ops: written at once
		t.Fatal(err)
	}
	b = &storage.Batch{}
	b.Put([]byte("t"), []byte("b"), []byte("2"))
	if err := db.Apply(2, b); err != nil {
		t.Fatal(err)
	}
	if db.DurableLSN() != 1 || db.AppliedLSN() != 2 {
		t.Fatalf("durable %v applied %v, want 1 and 2", db.DurableLSN(), db.AppliedLSN())
	}
	if err := db.Crash(); err != nil {
		t.Fatal(err)
	}
	db, err = storage.Open(storage.Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := db.Snapshot()
	if db.AppliedLSN() != 1 || s.Get([]byte("t"), []byte("b")) != nil || !bytes.Equal(s.Get([]byte("t"), []byte("a")), []byte("1")) {
		t.Fatalf("after crash: applied %v, b=%q a=%q; want 1, missing, 1", db.AppliedLSN(), s.Get([]byte("t"), []byte("b")), s.Get([]byte("t"), []byte("a")))
	}
	s.Close()
	if err := db.Apply(2, b); err != nil { // the replay
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = storage.Open(storage.Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.AppliedLSN() != 2 || db.DurableLSN() != 2 {
		t.Fatalf("after close: applied %v durable %v, want 2", db.AppliedLSN(), db.DurableLSN())
	}
}

// TestFlushRacingApplies: applies that rewrite keys while a flush writes
// the file keep their newer versions (a flush drops from memory only the
// versions it wrote).
func TestFlushRacingApplies(t *testing.T) {
	db, err := storage.Open(storage.Config{Path: filepath.Join(t.TempDir(), "data.db"), FlushInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	bucket := []byte("t")
	b := &storage.Batch{}
	b.CreateBucket(bucket)
	if err := db.Apply(1, b); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	flushed := make(chan error)
	go func() {
		for {
			select {
			case <-stop:
				flushed <- nil
				return
			default:
			}
			if err := db.Flush(); err != nil {
				flushed <- err
				return
			}
		}
	}()
	want := model{}
	end := lsn.LSN(1)
	for i := range 3000 {
		k, v := fmt.Sprintf("k%03d", i%50), fmt.Sprintf("v%d", i)
		b := &storage.Batch{}
		b.Put(bucket, []byte(k), []byte(v))
		want[k] = v
		end++
		if err := db.Apply(end, b); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	if err := <-flushed; err != nil {
		t.Fatal(err)
	}
	s, err := db.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	checkView(t, s, bucket, want, rand.New(rand.NewPCG(3, 4)))
}
