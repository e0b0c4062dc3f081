package node

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/replication"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/storage"
	"github.com/heliosdb/nano/wal"
)

// fakeRelease stands in for synchronous replication: a release of end
// waits until the test releases up to end, or answers the error set.
type fakeRelease struct {
	mu       sync.Mutex
	upTo     lsn.LSN
	err      error
	changed  chan struct{}
	asked    chan lsn.LSN // every end asked for
	failOnce bool
}

func newFakeRelease() *fakeRelease {
	return &fakeRelease{changed: make(chan struct{}), asked: make(chan lsn.LSN, 100)}
}

func (f *fakeRelease) wait(ctx context.Context, end lsn.LSN) error {
	f.asked <- end
	for {
		f.mu.Lock()
		upTo, err, ch := f.upTo, f.err, f.changed
		if err != nil && f.failOnce {
			f.err = nil
		}
		f.mu.Unlock()
		switch {
		case err != nil:
			return err
		case upTo >= end:
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (f *fakeRelease) set(upTo lsn.LSN, err error, once bool) {
	f.mu.Lock()
	f.upTo, f.err, f.failOnce = upTo, err, once
	close(f.changed)
	f.changed = make(chan struct{})
	f.mu.Unlock()
}

// openTestCommitter opens a WAL and a storage in a temporary directory
// and a committer over them (no release step), closed at the test's end.
func openTestCommitter(t testing.TB) (*committer, *storage.DB, *wal.Log) {
	t.Helper()
	dir := t.TempDir()
	w, err := wal.Open(wal.Config{Dir: dir + "/wal"})
	if err != nil {
		t.Fatal(err)
	}
	db, err := storage.Open(storage.Config{Path: dir + "/data.db"})
	if err != nil {
		t.Fatal(err)
	}
	c := newCommitter(w, db, slog.New(slog.DiscardHandler), time.Now, func() uint64 { return 1 }, newNodeMetrics(prometheus.NewRegistry()))
	t.Cleanup(func() {
		c.close()
		db.Close()
		w.Close()
	})
	return c, db, w
}

func newTestCommitter(t *testing.T) (*committer, *storage.DB, *wal.Log, *fakeRelease) {
	t.Helper()
	c, db, w := openTestCommitter(t)
	rel := newFakeRelease()
	c.release = rel.wait
	// A bucket to write into (a durable commit of its own, released).
	b := &storage.Batch{}
	b.CreateBucket([]byte("kv"))
	done := commitAsync(c, b, 0)
	rel.set(lsn.LSN(1<<62), nil, false)
	if r := <-done; r.err != nil {
		t.Fatal(r.err)
	}
	rel.set(0, nil, false)
	<-rel.asked
	return c, db, w, rel
}

func commitAsync(c *committer, b *storage.Batch, read lsn.LSN) chan commitResult {
	ch := make(chan commitResult, 1)
	go func() {
		end, err := c.Commit(context.Background(), b, read)
		ch <- commitResult{end: end, err: err}
	}()
	return ch
}

func putKV(key, val string) *storage.Batch {
	b := &storage.Batch{}
	b.Put([]byte("kv"), []byte(key), []byte(val))
	return b
}

func visible(t *testing.T, db *storage.DB, key string) string {
	t.Helper()
	s, err := db.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	return string(s.Get([]byte("kv"), []byte(key)))
}

func pending(t *testing.T, ch chan commitResult) {
	t.Helper()
	select {
	case r := <-ch:
		t.Fatalf("commit answered (%v, %v) before its release", r.end, r.err)
	case <-time.After(50 * time.Millisecond):
	}
}

// A group is written and fsynced at once but becomes visible, and its
// Commit returns, only after its release; the next group's WAL write does
// not wait for the first one's release (the pipeline).
func TestCommitterVisibleOnlyAfterRelease(t *testing.T) {
	c, db, w, rel := newTestCommitter(t)
	applied := db.AppliedLSN()

	first := commitAsync(c, putKV("a", "1"), applied)
	end1 := <-rel.asked // the publish stage waits for the release of group 1
	if w.FlushedLSN() < end1 {
		t.Fatalf("group 1 asked for release at %v before its WAL fsync (flushed %v)", end1, w.FlushedLSN())
	}
	pending(t, first)
	if got := visible(t, db, "a"); got != "" || db.AppliedLSN() != applied {
		t.Fatalf("unreleased commit visible: a=%q applied=%v (before %v)", got, db.AppliedLSN(), applied)
	}

	// Group 2 is written to the WAL while group 1 still waits.
	second := commitAsync(c, putKV("b", "2"), applied)
	deadline := time.After(5 * time.Second)
	for w.FlushedLSN() <= end1 {
		select {
		case <-deadline:
			t.Fatal("group 2 not fsynced while group 1 waits for its release")
		case <-time.After(time.Millisecond):
		}
	}
	end2 := w.FlushedLSN()
	pending(t, second)

	// A write of the same non-row-locked key from an older snapshot loses
	// against the in-flight group 1, but is answered only once group 1 is
	// visible (its retry must read it).
	lost := commitAsync(c, putKV("a", "x"), applied)
	pending(t, lost)

	rel.set(end1, nil, false)
	if r := <-first; r.err != nil || r.end != end1 {
		t.Fatalf("group 1: %v, %v; want %v", r.end, r.err, end1)
	}
	if got := visible(t, db, "a"); got != "1" {
		t.Fatalf("after its release a=%q, want 1", got)
	}
	if got := visible(t, db, "b"); got != "" {
		t.Fatalf("group 2 visible before its release: b=%q", got)
	}
	pending(t, second)

	rel.set(end2, nil, false)
	if r := <-second; r.err != nil || r.end != end2 {
		t.Fatalf("group 2: %v, %v; want %v", r.end, r.err, end2)
	}
	if r := <-lost; pgerror.CodeOf(r.err) != pgerror.SerializationFailure {
		t.Fatalf("conflicting write: %v, want 40001", r.err)
	}
	if got := visible(t, db, "b"); got != "2" || db.AppliedLSN() != end2 {
		t.Fatalf("after both releases b=%q applied=%v, want 2 at %v", got, db.AppliedLSN(), end2)
	}
}

// A release that fails (the node stepped down) answers the session with
// the error but keeps the group invisible until a later release; a
// commit queued meanwhile waits behind it (not yet written: waitHeld);
// one from a snapshot without
// the held group that writes what it wrote fails (its writer may have
// read the row without the held write once the lock was released).
func TestCommitterHeldAfterFailedRelease(t *testing.T) {
	c, db, _, rel := newTestCommitter(t)
	applied := db.AppliedLSN()
	rel.set(0, replication.ErrSteppedDown, true)
	r := <-commitAsync(c, putKV("a", "1"), applied)
	if pgerror.CodeOf(r.err) != pgerror.AdminShutdown {
		t.Fatalf("failed release answered %v, want 57P01", r.err)
	}
	if got := visible(t, db, "a"); got != "" {
		t.Fatalf("unreleased commit visible after a failed release: a=%q", got)
	}
	held := <-rel.asked
	if end := <-rel.asked; end != held { // the publish stage tries again
		t.Fatalf("retry for %v, want %v", end, held)
	}
	if r := <-commitAsync(c, putKV("a", "2"), applied); pgerror.CodeOf(r.err) != pgerror.SerializationFailure {
		t.Fatalf("write of a held key from a snapshot without it: %v, want 40001", r.err)
	}
	other := commitAsync(c, putKV("c", "1"), applied)
	pending(t, other)
	if got := visible(t, db, "c"); got != "" {
		t.Fatalf("a commit behind a held group is visible before it: c=%q", got)
	}
	rel.set(lsn.LSN(1<<62), nil, false)
	if r := <-other; r.err != nil || r.end <= held {
		t.Fatalf("commit behind the held group: %v, %v", r.end, r.err)
	}
	if a, c := visible(t, db, "a"), visible(t, db, "c"); a != "1" || c != "1" {
		t.Fatalf("after the release a=%q c=%q, want 1 and 1", a, c)
	}
	if r := <-commitAsync(c, putKV("a", "3"), held); r.err != nil {
		t.Fatalf("write of the formerly held key from a snapshot with it: %v", r.err)
	}
	if got := visible(t, db, "a"); got != "3" {
		t.Fatalf("a=%q, want 3", got)
	}
}

// A release that ends because the replication server closed (shutdown)
// leaves the group durable in the WAL and invisible.
func TestCommitterClosedReleaseStaysInvisible(t *testing.T) {
	c, db, w, rel := newTestCommitter(t)
	applied := db.AppliedLSN()
	rel.set(0, replication.ErrClosed, false)
	r := <-commitAsync(c, putKV("a", "1"), applied)
	if r.err == nil {
		t.Fatal("commit acknowledged though its release failed")
	}
	if got := visible(t, db, "a"); got != "" || w.FlushedLSN() <= applied {
		t.Fatalf("a=%q (want invisible), WAL flushed %v (want past %v)", got, w.FlushedLSN(), applied)
	}
}

// Regression test for issue 16 (h9's review of the held groups): a commit
// queued while groups are held is not written until the hold ends, and
// its session can withdraw it meanwhile (cancel request, statement
// timeout: 57014) — it never reaches the WAL. A commit that stays queued
// is written and published once the held groups are released.
func TestCommitterCancelBehindHeldGroup(t *testing.T) {
	c, db, w, rel := newTestCommitter(t)
	applied := db.AppliedLSN()
	rel.set(0, replication.ErrSteppedDown, true)
	if r := <-commitAsync(c, putKV("a", "1"), applied); pgerror.CodeOf(r.err) != pgerror.AdminShutdown {
		t.Fatalf("failed release answered %v, want 57P01", r.err)
	}
	held := <-rel.asked
	<-rel.asked // the publish stage tries again: the hold is on
	flushed := w.FlushedLSN()

	ctx, cancel := context.WithCancel(context.Background())
	cancelled := make(chan commitResult, 1)
	go func() {
		end, err := c.Commit(ctx, putKV("b", "1"), applied)
		cancelled <- commitResult{end: end, err: err}
	}()
	tctx, tcancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer tcancel()
	timedOut := make(chan commitResult, 1)
	go func() {
		end, err := c.Commit(tctx, putKV("d", "1"), applied)
		timedOut <- commitResult{end: end, err: err}
	}()
	other := commitAsync(c, putKV("c", "1"), applied)
	pending(t, cancelled)
	pending(t, other)
	if w.FlushedLSN() != flushed {
		t.Fatalf("commits queued behind a held group were written: WAL flushed %v, was %v", w.FlushedLSN(), flushed)
	}
	cancel()
	for name, ch := range map[string]chan commitResult{"cancelled": cancelled, "timed out": timedOut} {
		select {
		case r := <-ch:
			if pgerror.CodeOf(r.err) != pgerror.QueryCanceled {
				t.Fatalf("%s commit behind a held group: %v, %v; want 57014", name, r.end, r.err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s commit behind a held group still waits", name)
		}
	}
	pending(t, other)

	rel.set(lsn.LSN(1<<62), nil, false)
	r := <-other
	if r.err != nil || r.end <= held {
		t.Fatalf("commit behind the held group: %v, %v", r.end, r.err)
	}
	if got := visible(t, db, "c"); got != "1" {
		t.Fatalf("after the release c=%q, want 1", got)
	}
	if b, d := visible(t, db, "b"), visible(t, db, "d"); b != "" || d != "" {
		t.Fatalf("withdrawn commits applied: b=%q d=%q", b, d)
	}
	if got := walKeys(t, w, "b", "d"); len(got) > 0 {
		t.Fatalf("withdrawn commits were written to the WAL: %v", got)
	}
}

// walKeys returns which of keys a record in w writes.
func walKeys(t *testing.T, w *wal.Log, keys ...string) []string {
	t.Helper()
	rd, err := w.NewReader(w.FirstLSN())
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	var found []string
	for rd.Pos() < w.FlushedLSN() {
		rec, err := rd.Next()
		if err != nil {
			t.Fatal(err)
		}
		b, err := storage.DecodeBatch(rec.Data)
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range b.Ops {
			if slices.Contains(keys, string(op.Key)) {
				found = append(found, string(op.Key))
			}
		}
	}
	return found
}

// Without synchronous replication (no release step) the writer publishes
// groups itself while the publish stage is idle: every Commit still
// returns only once its write is visible, storage's applied LSN follows
// the WAL in order, and a lost conflict is answered after the write it
// lost against is visible.
func TestCommitterAsyncVisibleOnReturn(t *testing.T) {
	c, db, w := openTestCommitter(t)
	b := &storage.Batch{}
	b.CreateBucket([]byte("kv"))
	if _, err := c.Commit(context.Background(), b, 0); err != nil {
		t.Fatal(err)
	}
	const writers, each = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				key, val := string(rune('a'+g))+string(rune('0'+i%10)), string(rune('A'+i%26))
				end, err := c.Commit(context.Background(), putKV(key, val), db.AppliedLSN())
				if err != nil {
					errs <- err
					return
				}
				if applied := db.AppliedLSN(); applied < end {
					errs <- fmt.Errorf("commit ending at %v returned with storage applied only to %v", end, applied)
					return
				}
				if got := visible(t, db, key); got != val {
					errs <- fmt.Errorf("%s=%q after its commit returned, want %q", key, got, val)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if db.AppliedLSN() != w.FlushedLSN() {
		t.Fatalf("applied %v, WAL flushed %v", db.AppliedLSN(), w.FlushedLSN())
	}
	old := db.AppliedLSN()
	if _, err := c.Commit(context.Background(), putKV("z", "1"), old); err != nil {
		t.Fatal(err)
	}
	_, err := c.Commit(context.Background(), putKV("z", "2"), old)
	if pgerror.CodeOf(err) != pgerror.SerializationFailure {
		t.Fatalf("write from a snapshot without the committed z=1: %v, want 40001", err)
	}
	if got := visible(t, db, "z"); got != "1" {
		t.Fatalf("z=%q, want 1", got)
	}
}

// A commit after the committer closed is answered 57P01 at once, even
// when its request went into the queue (buffered, no longer read): it is
// withdrawn, never left waiting for an answer.
func TestCommitterCommitAfterCloseAnswered(t *testing.T) {
	c, _, _ := openTestCommitter(t)
	b := &storage.Batch{}
	b.CreateBucket([]byte("kv"))
	if _, err := c.Commit(context.Background(), b, 0); err != nil {
		t.Fatal(err)
	}
	c.close()
	for i := range 50 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := c.Commit(ctx, putKV("k", "v"), 0)
		cancel()
		if pgerror.CodeOf(err) != pgerror.AdminShutdown {
			t.Fatalf("commit %d after close: %v, want 57P01", i, err)
		}
	}
}

// Without synchronous replication a commit that finds the writer stage
// idle runs it on its own goroutine (commitDirect): no hand-off to the
// writer goroutine and back. With a sync standby's release it queues for
// the writer goroutine, which hands groups to the publish stage.
func TestCommitterLoneCommitWritesOnCallersGoroutine(t *testing.T) {
	// writtenBy commits once and returns the stacks of the goroutines that
	// read the clock meanwhile (the writer stage does, twice).
	writtenBy := func(c *committer, db *storage.DB) string {
		var mu sync.Mutex
		var stacks []string
		c.now = func() time.Time {
			buf := make([]byte, 8<<10)
			mu.Lock()
			stacks = append(stacks, string(buf[:runtime.Stack(buf, false)]))
			mu.Unlock()
			return time.Now()
		}
		if _, err := c.Commit(context.Background(), putKV("k", "v"), db.AppliedLSN()); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		return strings.Join(stacks, "\n")
	}
	const writer = "node.(*committer).loop("

	c, db, _ := openTestCommitter(t)
	b := &storage.Batch{}
	b.CreateBucket([]byte("kv"))
	if _, err := c.Commit(context.Background(), b, 0); err != nil {
		t.Fatal(err)
	}
	if s := writtenBy(c, db); strings.Contains(s, writer) || !strings.Contains(s, "TestCommitterLoneCommitWritesOnCallersGoroutine") {
		t.Fatalf("async lone commit: the group was not written on the committing goroutine:\n%s", s)
	}

	sc, sdb, _, rel := newTestCommitter(t)
	rel.set(lsn.LSN(1<<62), nil, false)
	if s := writtenBy(sc, sdb); !strings.Contains(s, writer) {
		t.Fatalf("sync commit: the group was not written by the writer goroutine:\n%s", s)
	}
}
