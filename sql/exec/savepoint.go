package exec

import (
	"maps"
	"slices"
)

// Savepoints: PostgreSQL's subtransactions, as far as the engine sees
// them. The session keeps the stack of named savepoints; a Txn only marks
// positions and rolls back to them.
//
// A Savepoint records the overlay's undo position, the lock manager's
// position in the owner's grant log (lock.Manager.Mark) and the table-lock
// modes held. RollbackTo undoes every overlay write after it (rows,
// bucket creations and drops, catalog changes — the cached catalog is
// dropped), gives back the row, table and advisory transaction locks
// granted after it (waiters proceed, as when PostgreSQL aborts a
// subtransaction) and forgets the table locks it no longer holds.
// Sequence values are not given back (nextval is not transactional), nor
// are a SERIALIZABLE transaction's SIREAD locks and rw-conflicts (package
// ssi; PostgreSQL keeps a rolled-back subtransaction's too).
//
// While the transaction has savepoints (SetSavepoints(true)) every write
// keeps its undo record, bulk statements included (COPY and ALTER TABLE
// rewrites otherwise skip it, overlay.noUndo), and private buckets are not
// staged (stage.go): a staged chunk is committed and could not be undone.
// A bulk statement that fails then leaves the transaction usable for
// ROLLBACK TO instead of poisoning it.

// Savepoint is a position in a transaction to roll back to. The zero
// value is the start of the transaction.
type Savepoint struct {
	undo      int
	locks     int
	fates     int
	tlocks    map[uint32]uint16
	tlock1    tableLock
	catLocked bool
	// deferred and conMode: the deferred foreign key checks and the SET
	// CONSTRAINTS state (deferred.go), restored as PostgreSQL restores a
	// subtransaction's after-trigger queue and state: checks queued after
	// the savepoint are dropped, those run after it are pending again.
	deferred []deferredFK
	conMode  constraintMode
}

// SetSavepoints tells the transaction whether it has savepoints (see
// above). Turning them on starts the lock grant log; turning them off ends
// it and resumes the bulk shortcuts.
func (t *Txn) SetSavepoints(on bool) {
	if on == t.ov.KeepUndo() {
		return
	}
	t.ov.SetKeepUndo(on)
	if on {
		t.eng.locks.Mark(t.owner)
		return
	}
	t.eng.locks.StopLog(t.owner)
}

// Savepoint returns the transaction's current position. It turns
// savepoints on.
func (t *Txn) Savepoint() Savepoint {
	t.SetSavepoints(true)
	return Savepoint{undo: t.ov.Savepoint(), locks: t.eng.locks.Mark(t.owner), fates: t.fates.Len(), tlocks: maps.Clone(t.tlocks), tlock1: t.tlock1, catLocked: t.catLocked,
		deferred: slices.Clip(t.deferred), conMode: constraintMode{all: t.conMode.all, named: maps.Clone(t.conMode.named)}}
}

// RollbackTo undoes the writes and gives back the locks of everything the
// transaction did after sp (see above). sp stays valid.
func (t *Txn) RollbackTo(sp Savepoint) {
	if t.done {
		return
	}
	if t.ov.Savepoint() > sp.undo {
		t.ov.RollbackTo(sp.undo)
		if t.catDirty {
			t.cat = nil // re-read through the overlay
		}
	}
	t.eng.locks.ReleaseSince(t.owner, sp.locks)
	t.fates.Truncate(sp.fates)
	t.tlocks, t.tlock1 = maps.Clone(sp.tlocks), sp.tlock1
	t.catLocked = sp.catLocked
	t.deferred = slices.Clip(sp.deferred)
	t.conMode = constraintMode{all: sp.conMode.all, named: maps.Clone(sp.conMode.named)}
}
