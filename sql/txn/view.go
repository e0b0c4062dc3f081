package txn

import (
	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/storage"
)

// View is the committed state a transaction reads: the snapshot its
// statements read (under READ COMMITTED a newer one at each statement,
// Refresh), a snapshot at least as new as the last commit applied, for
// reading the newest version of a row after locking it (Latest), and the
// snapshots replaced while a cursor of an earlier statement (a suspended
// portal) still read them. Close closes them all.
type View struct {
	src SnapshotSource
	// snap: the statements' snapshot. latest: see Latest. stale: replaced
	// snapshots still read by open cursors.
	snap   *storage.Snapshot
	latest *storage.Snapshot
	stale  []*storage.Snapshot
	// seen is the newest snapshot a statement read (Seen).
	seen lsn.LSN
}

// appliedSource is the optional side of a SnapshotSource that says how
// far commits have been applied (storage.DB has it).
type appliedSource interface{ AppliedLSN() lsn.LSN }

// Start makes s, taken from src, the view's snapshot.
func (v *View) Start(src SnapshotSource, s *storage.Snapshot) {
	v.src, v.snap = src, s
}

// Snapshot is the statements' snapshot.
func (v *View) Snapshot() *storage.Snapshot { return v.snap }

// NewerCommitted reports whether commits were applied after s was taken
// (true when the source cannot tell).
func (v *View) NewerCommitted(s *storage.Snapshot) bool {
	if a, ok := v.src.(appliedSource); ok {
		return a.AppliedLSN() > s.AppliedLSN()
	}
	return true
}

// Refresh moves the view to a snapshot of everything committed so far, if
// anything was committed since its snapshot was taken (READ COMMITTED's
// statement start). The old snapshot is closed, or kept until Close when
// keepOld (a cursor still reads it).
func (v *View) Refresh(keepOld bool) error {
	if !v.NewerCommitted(v.snap) {
		return nil
	}
	s, err := v.src.Snapshot()
	if err != nil {
		return err
	}
	if keepOld {
		v.stale = append(v.stale, v.snap)
	} else {
		_ = v.snap.Close()
	}
	v.snap = s
	return nil
}

// Latest returns a snapshot that holds every commit applied before the
// call.
func (v *View) Latest() (*storage.Snapshot, error) {
	if !v.NewerCommitted(v.snap) {
		return v.snap, nil
	}
	if v.latest != nil && !v.NewerCommitted(v.latest) {
		return v.latest, nil
	}
	s, err := v.src.Snapshot()
	if err != nil {
		return nil, err
	}
	if v.latest != nil {
		_ = v.latest.Close()
	}
	v.latest = s
	v.Saw(s)
	return s, nil
}

// Saw notes that a statement read s (see Seen).
func (v *View) Saw(s *storage.Snapshot) { v.seen = max(v.seen, s.AppliedLSN()) }

// Seen is the LSN of the newest snapshot the transaction's statements
// read: every commit whose effects they may have shown is at or below it
// (0 before the first statement).
func (v *View) Seen() lsn.LSN { return v.seen }

// Retire keeps s, a snapshot the caller replaced while an iterator may
// still read it, open until Close.
func (v *View) Retire(s *storage.Snapshot) { v.stale = append(v.stale, s) }

// Close closes the view's snapshots. Snapshot still returns the last one
// (closed).
func (v *View) Close() {
	_ = v.snap.Close()
	if v.latest != nil {
		_ = v.latest.Close()
		v.latest = nil
	}
	for _, s := range v.stale {
		_ = s.Close()
	}
	v.stale = nil
}
