package txn

import (
	"sync"

	"github.com/heliosdb/nano/lsn"
)

// Row fates: what became of a row version a statement read, when the
// transaction that changed it committed after the statement's snapshot.
//
// A row lives at its primary key. An UPDATE that keeps the key writes the
// new version at the same key, and a waiter that locks the key finds it
// there (lockRow). Two other changes leave the key without the row's
// successor, and PostgreSQL, which follows the tuple's update chain
// (ctid), behaves differently from "whatever is at the key now":
//
//   - an UPDATE that changes the primary key moves the row to another key.
//     PostgreSQL's waiter follows the chain to the new version, re-checks
//     its WHERE clause there (EvalPlanQual) and acts on it under READ
//     COMMITTED; REPEATABLE READ fails with "concurrent update".
//   - a DELETE ends the chain, even when the same transaction (or a later
//     one) inserts a new row with the same key: that row is not a version
//     of the one read, so the waiter skips it (and its INSERT of the key
//     then fails with 23505).
//
// So a committing transaction publishes, for every row version it deleted
// or moved that existed before it (the committed version at a key), its
// fate: deleted, or moved to key K2. The record carries the commit's LSN;
// a statement whose snapshot is older than it consults it after locking
// the key (the lock's previous holder published before releasing it) and
// follows moves key by key (sql/exec's lockRow and followRow), each hop
// relative to the commit that made it.
//
// The records live in memory on the primary and are kept while a
// transaction that began before their commit is still open; only such a
// transaction's statements can hold a snapshot older than the commit.
// Nothing of this needs to survive a crash or reach a standby: after a
// restart or a promotion no transaction from before it is open (a
// standby runs no writes; a forwarded transaction runs on the primary), so
// every snapshot is newer than every earlier commit and an empty set of
// records is exact.

// RowLockKey is the lock manager's name for the row at key in bucket; a
// row's fates are filed under it too.
func RowLockKey(bucket, key []byte) string {
	b := make([]byte, 0, 2+len(bucket)+len(key))
	b = append(b, 'r')
	b = append(b, bucket...)
	b = append(b, 0)
	b = append(b, key...)
	return string(b)
}

// fateOp is one row deletion recorded by a transaction: the row at key
// in bucket was deleted, or moved to to (an UPDATE changing its key).
type fateOp struct {
	bucket, key string
	to          []byte // nil: deleted
}

// FateLog is what a transaction did to rows that others may have read:
// its deletions and key-changing moves, in order, published at commit
// (Fates.Publish).
type FateLog struct {
	ops []fateOp
}

// Delete notes that the transaction deleted the row at pk of bucket.
func (l *FateLog) Delete(bucket, pk []byte) {
	l.ops = append(l.ops, fateOp{bucket: string(bucket), key: string(pk)})
}

// Move turns the deletion just noted for the row at from (Delete) into a
// move to to: an UPDATE that changed the key. Without that deletion it
// does nothing.
func (l *FateLog) Move(bucket, from, to []byte) {
	n := len(l.ops)
	if n == 0 || l.ops[n-1].bucket != string(bucket) || l.ops[n-1].key != string(from) {
		return
	}
	l.ops[n-1].to = append([]byte(nil), to...)
}

// Len is the number of deletions noted (a savepoint's mark).
func (l *FateLog) Len() int { return len(l.ops) }

// Truncate forgets the deletions noted after the first n (ROLLBACK TO).
func (l *FateLog) Truncate(n int) {
	if len(l.ops) > n {
		l.ops = l.ops[:n]
	}
}

// Fate is the published end of a row version: at the commit At, the row
// at a key was deleted (To == nil) or moved to key To.
type Fate struct {
	At lsn.LSN
	To []byte
}

// Fates holds the published fates and the open transactions' start LSNs
// that keep them. The zero value is ready to use.
type Fates struct {
	mu      sync.Mutex
	m       map[string][]Fate // by RowLockKey
	n       int               // records in m
	pruneAt int
	live    map[any]lsn.LSN
}

// Begin registers an open transaction, named by owner (any comparable
// value unique to it: sql/exec passes its *Txn), whose first snapshot is
// at.
func (r *Fates) Begin(owner any, at lsn.LSN) {
	r.mu.Lock()
	if r.live == nil {
		r.live = map[any]lsn.LSN{}
	}
	r.live[owner] = at
	r.mu.Unlock()
}

// End forgets owner's transaction (committed or rolled back).
func (r *Fates) End(owner any) {
	r.mu.Lock()
	delete(r.live, owner)
	if len(r.live) == 0 && r.n > 0 {
		r.m, r.n = nil, 0 // no snapshot older than any commit is left
	}
	r.mu.Unlock()
}

// Publish records the fates of log's rows (collapsed, see collapseFates)
// as of the commit at.
func (r *Fates) Publish(log *FateLog, at lsn.LSN) {
	res := collapseFates(log.ops)
	if len(res) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[string][]Fate{}
	}
	for k, to := range res {
		r.m[k] = append(r.m[k], Fate{At: at, To: to})
		r.n++
	}
	if r.n > r.pruneAt {
		r.prune()
		r.pruneAt = max(1024, 2*r.n)
	}
}

// prune drops the fates no open transaction can need: those committed at
// or before the oldest open transaction's start. Called with mu held.
func (r *Fates) prune() {
	oldest, any := lsn.LSN(0), false
	for _, at := range r.live {
		if !any || at < oldest {
			oldest, any = at, true
		}
	}
	if !any {
		r.m, r.n = nil, 0
		return
	}
	for k, fs := range r.m {
		i := 0
		for i < len(fs) && fs[i].At <= oldest {
			i++
		}
		if i == len(fs) {
			delete(r.m, k)
		} else if i > 0 {
			r.m[k] = append([]Fate(nil), fs[i:]...)
		}
		r.n -= i
	}
}

// Next returns the first fate of the version at key (a RowLockKey) after
// the commit at after: the earliest one committed later.
func (r *Fates) Next(key string, after lsn.LSN) (Fate, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == 0 {
		return Fate{}, false
	}
	for _, f := range r.m[key] {
		if f.At > after {
			return f, true
		}
	}
	return Fate{}, false
}

// collapseFates turns a transaction's deletions and moves, in the order
// they happened, into the fate of each version that existed before the
// transaction, by RowLockKey: a row moved twice ends at its last key; a
// row moved and then deleted is deleted; a key deleted and filled again
// by this transaction keeps its first fate (the later row is the
// transaction's own, which nobody else read).
func collapseFates(ops []fateOp) map[string][]byte {
	res := map[string][]byte{}
	origin := map[string]string{} // current key -> the key its row came from
	for _, op := range ops {
		cur := RowLockKey([]byte(op.bucket), []byte(op.key))
		o, moved := origin[cur]
		if !moved {
			if _, done := res[cur]; done {
				continue // a row this transaction inserted
			}
			o = cur
		}
		delete(origin, cur)
		res[o] = op.to
		if op.to != nil {
			origin[RowLockKey([]byte(op.bucket), op.to)] = o
		}
	}
	return res
}
