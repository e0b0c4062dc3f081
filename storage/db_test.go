package storage_test

import (
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	bolt "go.etcd.io/bbolt"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/storage"
	"github.com/heliosdb/nano/storage/storagetest"
)

func batch(build func(*storage.Batch)) *storage.Batch {
	var bt storage.Batch
	build(&bt)
	return &bt
}

func create(name string) *storage.Batch {
	return batch(func(bt *storage.Batch) { bt.CreateBucket(b(name)) })
}

func put(bucket, key, value string) *storage.Batch {
	return batch(func(bt *storage.Batch) { bt.Put(b(bucket), b(key), b(value)) })
}

func wantValue(t *testing.T, db *storage.DB, bucket, key string, want []byte) {
	t.Helper()
	got := storagetest.Get(t, db, bucket, key)
	if (got == nil) != (want == nil) || string(got) != string(want) {
		t.Fatalf("Get(%q, %q) = %q (nil=%t), want %q (nil=%t)", bucket, key, got, got == nil, want, want == nil)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  storage.Config
		ok   bool
	}{
		{"ok", storage.Config{Path: "x"}, true},
		{"no path", storage.Config{}, false},
		{"negative mmap", storage.Config{Path: "x", InitialMmapSize: -1}, false},
		{"negative timeout", storage.Config{Path: "x", LockTimeout: -1}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.cfg.Validate(); (err == nil) != tc.ok {
				t.Fatalf("Validate = %v, want ok=%t", err, tc.ok)
			}
		})
	}
	if _, err := storage.Open(storage.Config{}); err == nil {
		t.Fatal("Open with empty Config succeeded")
	}
}

func TestApplyAndRead(t *testing.T) {
	db := storagetest.Open(t)
	if db.AppliedLSN() != 0 {
		t.Fatalf("fresh AppliedLSN = %v", db.AppliedLSN())
	}
	storagetest.MustApply(t, db, 10, create("t"), batch(func(bt *storage.Batch) {
		bt.Put(b("t"), b("a"), b("1"))
		bt.Put(b("t"), b("b"), nil)
		bt.Put(b("t"), b("c"), b("3"))
		bt.Delete(b("t"), b("c"))
		bt.Delete(b("t"), b("never"))
	}))
	if db.AppliedLSN() != 10 {
		t.Fatalf("AppliedLSN = %v, want 10", db.AppliedLSN())
	}
	wantValue(t, db, "t", "a", b("1"))
	wantValue(t, db, "t", "b", []byte{})
	wantValue(t, db, "t", "c", nil)
	wantValue(t, db, "nope", "a", nil)

	s := storagetest.MustSnapshot(t, db)
	if s.AppliedLSN() != 10 || !s.BucketExists(b("t")) || s.BucketExists(b("nope")) {
		t.Fatalf("snapshot lsn=%v exists(t)=%t exists(nope)=%t", s.AppliedLSN(), s.BucketExists(b("t")), s.BucketExists(b("nope")))
	}
	if s.BucketExists(b("\x00meta")) || s.Get(b("\x00meta"), b("applied_lsn")) != nil {
		t.Fatal("reserved bucket visible through Snapshot")
	}
}

func TestCursor(t *testing.T) {
	db := storagetest.Open(t)
	storagetest.MustApply(t, db, 1, create("t"), put("t", "b", "2"), put("t", "d", "4"), put("t", "f", ""))
	s := storagetest.MustSnapshot(t, db)
	c := s.Cursor(b("t"))
	var keys string
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if v == nil {
			t.Fatalf("nil value for key %q", k)
		}
		keys += string(k) + "=" + string(v) + ";"
	}
	if keys != "b=2;d=4;f=;" {
		t.Fatalf("forward scan = %q", keys)
	}
	steps := []struct {
		name    string
		move    func() ([]byte, []byte)
		wantKey string // "" means end (nil key)
	}{
		{"seek present", func() ([]byte, []byte) { return c.Seek(b("d")) }, "d"},
		{"seek between", func() ([]byte, []byte) { return c.Seek(b("c")) }, "d"},
		{"prev", c.Prev, "b"},
		{"prev at start", c.Prev, ""},
		{"last", c.Last, "f"},
		{"next at end", c.Next, ""},
		{"seek past end", func() ([]byte, []byte) { return c.Seek(b("z")) }, ""},
	}
	for _, st := range steps {
		k, _ := st.move()
		if (k == nil) != (st.wantKey == "") || string(k) != st.wantKey {
			t.Fatalf("%s: key %q, want %q", st.name, k, st.wantKey)
		}
	}
	empty := s.Cursor(b("missing"))
	for name, move := range map[string]func() ([]byte, []byte){
		"First": empty.First, "Last": empty.Last, "Next": empty.Next, "Prev": empty.Prev,
	} {
		if k, v := move(); k != nil || v != nil {
			t.Fatalf("missing bucket %s = %q, %q", name, k, v)
		}
	}
	if k, _ := empty.Seek(b("a")); k != nil {
		t.Fatalf("missing bucket Seek = %q", k)
	}
}

func TestSnapshotIsolation(t *testing.T) {
	db := storagetest.Open(t)
	storagetest.MustApply(t, db, 1, create("t"), put("t", "k", "old"))
	s := storagetest.MustSnapshot(t, db)
	storagetest.MustApply(t, db, 2, put("t", "k", "new"), put("t", "k2", "x"), create("u"))
	if got := s.Get(b("t"), b("k")); string(got) != "old" {
		t.Fatalf("old snapshot sees %q", got)
	}
	if s.Get(b("t"), b("k2")) != nil || s.BucketExists(b("u")) || s.AppliedLSN() != 1 {
		t.Fatal("old snapshot sees a later Apply")
	}
	wantValue(t, db, "t", "k", b("new"))
}

func TestApplyIdempotent(t *testing.T) {
	db := storagetest.Open(t)
	storagetest.MustApply(t, db, 5, create("t"), put("t", "k", "v5"))
	storagetest.MustApply(t, db, 5, put("t", "k", "replayed"))
	storagetest.MustApply(t, db, 3, put("t", "k", "older"), create("other"))
	wantValue(t, db, "t", "k", b("v5"))
	if db.AppliedLSN() != 5 {
		t.Fatalf("AppliedLSN = %v", db.AppliedLSN())
	}
	if s := storagetest.MustSnapshot(t, db); s.BucketExists(b("other")) {
		t.Fatal("no-op Apply created a bucket")
	}
	storagetest.MustApply(t, db, 6) // no batches: just advances the LSN
	if db.AppliedLSN() != 6 {
		t.Fatalf("AppliedLSN = %v, want 6", db.AppliedLSN())
	}
}

func TestApplyMissingBucketIgnored(t *testing.T) {
	db := storagetest.Open(t)
	storagetest.MustApply(t, db, 1, put("nope", "k", "v"), batch(func(bt *storage.Batch) {
		bt.Delete(b("nope"), b("k"))
		bt.DropBucket(b("nope"))
	}))
	if db.AppliedLSN() != 1 {
		t.Fatalf("AppliedLSN = %v", db.AppliedLSN())
	}
	if s := storagetest.MustSnapshot(t, db); s.BucketExists(b("nope")) {
		t.Fatal("put created a bucket")
	}
}

func TestBucketSemantics(t *testing.T) {
	db := storagetest.Open(t)
	storagetest.MustApply(t, db, 1, create("t"), put("t", "k", "v"))
	storagetest.MustApply(t, db, 2, create("t")) // exists: keeps contents
	wantValue(t, db, "t", "k", b("v"))
	storagetest.MustApply(t, db, 3, batch(func(bt *storage.Batch) { bt.DropBucket(b("t")) }))
	wantValue(t, db, "t", "k", nil)
	storagetest.MustApply(t, db, 4, create("t")) // recreated: empty
	wantValue(t, db, "t", "k", nil)
	s := storagetest.MustSnapshot(t, db)
	if !s.BucketExists(b("t")) {
		t.Fatal("recreated bucket missing")
	}
	if k, _ := s.Cursor(b("t")).First(); k != nil {
		t.Fatalf("recreated bucket holds %q", k)
	}
}

func TestApplyRejectsInvalid(t *testing.T) {
	tests := []struct {
		name string
		bt   *storage.Batch
		want error
	}{
		{"reserved", create("\x00meta"), storage.ErrReservedBucket},
		{"reserved put", put("\x00local", "role", "primary"), storage.ErrReservedBucket},
		{"empty key", put("t", "", "v"), storage.ErrInvalidBatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := storagetest.Open(t)
			storagetest.MustApply(t, db, 1, create("t"))
			err := db.Apply(2, put("t", "k", "v"), tc.bt)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Apply = %v, want %v", err, tc.want)
			}
			if db.AppliedLSN() != 1 {
				t.Fatalf("AppliedLSN moved to %v", db.AppliedLSN())
			}
			wantValue(t, db, "t", "k", nil) // nothing of the failed Apply
		})
	}
}

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.bolt")
	reg := prometheus.NewRegistry()
	cfg := storage.Config{Path: path, InitialMmapSize: 1 << 20, Registerer: reg}
	db, err := storage.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	storagetest.MustApply(t, db, 42, create("t"), put("t", "k", "v"))
	if err := db.SetLocal("role", b("primary")); err != nil {
		t.Fatal(err)
	}
	want := storagetest.Dump(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); !errors.Is(err, storage.ErrClosed) {
		t.Fatalf("second Close = %v", err)
	}
	db = storagetest.OpenConfig(t, cfg) // same registry: Close unregistered
	if db.AppliedLSN() != 42 {
		t.Fatalf("AppliedLSN after reopen = %v", db.AppliedLSN())
	}
	if d := storagetest.DiffDumps(want, storagetest.Dump(t, db)); d != "" {
		t.Fatalf("data after reopen:\n%s", d)
	}
	if got := string(db.GetLocal("role")); got != "primary" {
		t.Fatalf("GetLocal after reopen = %q", got)
	}
	if got := gaugeValue(t, reg, "helios_storage_applied_lsn"); got != 42 {
		t.Fatalf("applied_lsn gauge = %v", got)
	}
}

// gaugeValue returns the value of the single-series gauge name in reg.
func gaugeValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("metric %s not registered", name)
	return 0
}

func TestLocal(t *testing.T) {
	db := storagetest.Open(t)
	if db.GetLocal("term") != nil {
		t.Fatal("missing local key is not nil")
	}
	if err := db.SetLocal("term", b("7")); err != nil {
		t.Fatal(err)
	}
	got := db.GetLocal("term")
	got[0] = 'X' // a copy: must not change the stored value
	if string(db.GetLocal("term")) != "7" {
		t.Fatalf("GetLocal = %q", db.GetLocal("term"))
	}
	if err := db.SetLocal("term", nil); err != nil || db.GetLocal("term") != nil {
		t.Fatalf("delete: err=%v value=%q", err, db.GetLocal("term"))
	}
	if db.AppliedLSN() != 0 {
		t.Fatal("SetLocal moved the applied LSN")
	}
	if err := db.SetLocal("", b("x")); err == nil {
		t.Fatal("empty key accepted")
	}
}

func TestClosed(t *testing.T) {
	db := storagetest.Open(t)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Apply(1, create("t")); !errors.Is(err, storage.ErrClosed) {
		t.Errorf("Apply = %v", err)
	}
	if _, err := db.Snapshot(); !errors.Is(err, storage.ErrClosed) {
		t.Errorf("Snapshot = %v", err)
	}
	if err := db.SetLocal("k", b("v")); !errors.Is(err, storage.ErrClosed) {
		t.Errorf("SetLocal = %v", err)
	}
	if err := db.Check(); !errors.Is(err, storage.ErrClosed) {
		t.Errorf("Check = %v", err)
	}
}

func TestOpenRejectsForeignFile(t *testing.T) {
	tests := []struct {
		name  string
		setup func(tx *bolt.Tx) error
	}{
		{"no meta", func(tx *bolt.Tx) error {
			_, err := tx.CreateBucket(b("someone-else"))
			return err
		}},
		{"other version", func(tx *bolt.Tx) error {
			m, err := tx.CreateBucket(b("\x00meta"))
			if err != nil {
				return err
			}
			return m.Put(b("format_version"), []byte{0, 0, 0, 0, 0, 0, 0, 99})
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.bolt")
			bdb, err := bolt.Open(path, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := bdb.Update(tc.setup); err != nil {
				t.Fatal(err)
			}
			bdb.Close()
			db, err := storage.Open(storage.Config{Path: path})
			if !errors.Is(err, storage.ErrVersionMismatch) {
				if db != nil {
					db.Close()
				}
				t.Fatalf("Open = %v, want ErrVersionMismatch", err)
			}
		})
	}
}

func TestConcurrentSnapshotsAndApply(t *testing.T) {
	db := storagetest.Open(t)
	storagetest.MustApply(t, db, 1, create("t"))
	const writes = 200
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 2; i <= writes; i++ {
			// Each Apply writes "n" and "m" = its LSN; readers must see both equal.
			v := lsn.LSN(i).String()
			bt := batch(func(bt *storage.Batch) { bt.Put(b("t"), b("n"), b(v)); bt.Put(b("t"), b("m"), b(v)) })
			if err := db.Apply(lsn.LSN(i), bt); err != nil {
				errs <- err
				return
			}
		}
	}()
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for db.AppliedLSN() < writes {
				if err := readConsistent(db); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func readConsistent(db *storage.DB) error {
	s, err := db.Snapshot()
	if err != nil {
		return err
	}
	defer s.Close()
	n, m := s.Get(b("t"), b("n")), s.Get(b("t"), b("m"))
	if string(n) != string(m) {
		return errors.New("torn read: n=" + string(n) + " m=" + string(m))
	}
	if s.AppliedLSN() > 1 && string(n) != s.AppliedLSN().String() {
		return errors.New("value " + string(n) + " does not match snapshot LSN " + s.AppliedLSN().String())
	}
	return nil
}

// Concurrent Apply calls may arrive out of order; the applied LSN only
// moves forward.
func TestConcurrentApplyMonotonic(t *testing.T) {
	db := storagetest.Open(t)
	storagetest.MustApply(t, db, 1, create("t"))
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 2 + g; i <= 60; i += 4 {
				if err := db.Apply(lsn.LSN(i), put("t", "k", lsn.LSN(i).String())); err != nil {
					t.Error(err)
					return
				}
				if got := db.AppliedLSN(); got < lsn.LSN(i) {
					t.Errorf("AppliedLSN %v after Apply(%d)", got, i)
				}
			}
		}()
	}
	wg.Wait()
	if db.AppliedLSN() != 60 {
		t.Fatalf("AppliedLSN = %v, want 60", db.AppliedLSN())
	}
	s := storagetest.MustSnapshot(t, db)
	if s.AppliedLSN() != 60 {
		t.Fatalf("snapshot LSN = %v", s.AppliedLSN())
	}
}

func TestSetLocals(t *testing.T) {
	db := storagetest.Open(t)
	if err := db.SetLocal("old", b("1")); err != nil {
		t.Fatal(err)
	}
	if err := db.SetLocals(map[string][]byte{"new": b("2"), "old": nil}); err != nil {
		t.Fatal(err)
	}
	if string(db.GetLocal("new")) != "2" || db.GetLocal("old") != nil {
		t.Fatalf("new=%q old=%q", db.GetLocal("new"), db.GetLocal("old"))
	}
	// An empty key refuses the whole set: nothing of it is stored.
	if err := db.SetLocals(map[string][]byte{"other": b("3"), "": b("x")}); err == nil {
		t.Fatal("empty key accepted")
	}
	if db.GetLocal("other") != nil {
		t.Fatal("part of a refused set was stored")
	}
}

// TestCheckDuringWrites runs Check while other goroutines commit to the
// file (SetLocal and flushes of Apply). bbolt's Tx.Check reads the DB's
// live freelist, so a check in a read-only transaction saw pages freed by
// a later commit as "reachable freed" and that commit's new pages as
// "unreachable unfreed" on a consistent file (seen in the cleanup check of
// TestRestoreReplacesExisting, racing the background flush).
func TestCheckDuringWrites(t *testing.T) {
	db := storagetest.Open(t)
	storagetest.MustApply(t, db, 1, create("t"))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := db.SetLocal("k", []byte{byte(i)}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		for i := 2; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := db.Apply(lsn.LSN(i), put("t", "k", string(rune('a'+i%26)))); err != nil {
				t.Error(err)
				return
			}
			if err := db.Flush(); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	defer wg.Wait()
	defer close(stop)
	for i := 0; i < 300; i++ {
		if err := db.Check(); err != nil {
			t.Fatalf("check %d during writes: %v", i, err)
		}
	}
}

// TestSnapshotManyBuckets: one Snapshot reading more buckets than it keeps
// without allocating (and names longer than those slots hold), missing
// ones among them, each twice, returns every bucket's own values.
func TestSnapshotManyBuckets(t *testing.T) {
	db := storagetest.Open(t)
	names := []string{"a", "b", "c", "a-bucket-name-longer-than-24-bytes", "d", "e", "f"}
	for i, n := range names {
		storagetest.MustApply(t, db, lsn.LSN(2*i+1), create(n), put(n, "k", "v-"+n))
	}
	s := storagetest.MustSnapshot(t, db)
	for range 2 {
		for _, n := range names {
			if got := string(s.Get(b(n), b("k"))); got != "v-"+n {
				t.Fatalf("Get(%q, k) = %q, want %q", n, got, "v-"+n)
			}
			if k, v := s.Cursor(b(n)).First(); string(k) != "k" || string(v) != "v-"+n {
				t.Fatalf("Cursor(%q).First() = %q, %q", n, k, v)
			}
			if s.BucketExists(b(n + "-missing")) {
				t.Fatalf("bucket %q-missing exists", n)
			}
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s.Get(b("a"), b("k")) != nil || s.BucketExists(b("a")) {
		t.Fatal("a closed Snapshot still reads")
	}
}

// OpMoveBucket (the commit of a COPY staged in a shadow bucket): the
// source's keys replace or join the destination's, in the same apply as
// the batch's later writes, and the source is gone; a missing source is a
// no-op, a missing destination only drops the source; replay is
// idempotent.
func TestMoveBucket(t *testing.T) {
	db := storagetest.Open(t)
	exists := func(name string) bool {
		s, err := db.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		return s.BucketExists(b(name))
	}
	storagetest.MustApply(t, db, 1, create("t"), put("t", "a", "old"), put("t", "c", "keep"), create("s"))
	storagetest.MustApply(t, db, 2, put("s", "a", "new"), put("s", "b", "added"))
	wantValue(t, db, "t", "b", nil) // staged: not in t yet
	move := batch(func(bt *storage.Batch) {
		bt.MoveBucket(b("t"), b("s"))
		bt.Delete(b("t"), b("c")) // the batch's own writes come after the move
	})
	storagetest.MustApply(t, db, 3, move)
	wantValue(t, db, "t", "a", b("new"))
	wantValue(t, db, "t", "b", b("added"))
	wantValue(t, db, "t", "c", nil)
	if exists("s") {
		t.Fatal("the moved bucket still exists")
	}
	storagetest.MustApply(t, db, 3, move) // replayed: no-op
	storagetest.MustApply(t, db, 4, move) // source gone: no-op
	wantValue(t, db, "t", "a", b("new"))
	storagetest.MustApply(t, db, 5, create("s2"), put("s2", "z", "z"))
	storagetest.MustApply(t, db, 6, batch(func(bt *storage.Batch) { bt.MoveBucket(b("missing"), b("s2")) }))
	if exists("s2") || exists("missing") {
		t.Fatal("a move into a missing bucket must only drop the source")
	}
	for _, bad := range []*storage.Batch{
		batch(func(bt *storage.Batch) { bt.MoveBucket(b("t"), b("t")) }),
		batch(func(bt *storage.Batch) { bt.MoveBucket(b("t"), nil) }),
	} {
		if err := bad.Validate(); !errors.Is(err, storage.ErrInvalidBatch) {
			t.Errorf("Validate(%v) = %v, want ErrInvalidBatch", bad.Ops[0], err)
		}
	}
}
