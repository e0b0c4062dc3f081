package exec

import (
	"sync"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/storage"
)

// SERIALIZABLE, conservatively.
//
// PostgreSQL's SSI tracks rw-antidependencies per tuple and predicate and
// aborts a transaction that is the pivot of a dangerous structure. We
// implement a stricter rule that needs no dependency graph: backward
// validation at table granularity. A SERIALIZABLE transaction that writes
// commits only if no transaction that committed after its snapshot wrote a
// table it read (a scan of any part of the table counts as reading all of
// it, which also covers phantoms). Validation and commit of SERIALIZABLE
// writers are serialised (ssiState.commit), so their commit order is a
// serial order in which each read what it would have read; a snapshot
// (READ ONLY transactions need no validation) is a prefix of that order.
// Write skew ("two doctors on call") and the read-only anomaly are
// impossible; the price is more 40001 than PostgreSQL gives (any
// concurrent write to a table read, not only a conflicting row). Only
// SERIALIZABLE transactions get the guarantee, as in PostgreSQL.

// ssiState remembers, per table bucket, the LSN of the last commit that
// wrote it.
type ssiState struct {
	commit sync.Mutex // held by a SERIALIZABLE writer from validation to commit
	mu     sync.Mutex
	last   map[string]lsn.LSN
}

var errSerializable = pgerror.New(pgerror.SerializationFailure,
	"could not serialize access due to read/write dependencies among transactions").
	WithDetail("Reason code: Canceled on identification as a pivot, during commit attempt.").
	WithHint("The transaction might succeed if retried.")

func (t *Txn) noteRead(bucket []byte) {
	if t.iso != Serializable {
		return
	}
	if t.reads == nil {
		t.reads = map[string]struct{}{}
	}
	t.reads[string(bucket)] = struct{}{}
}

// validateReads checks the transaction's reads and, when they hold,
// returns with ssi.commit held (the caller commits, then unlocks).
func (t *Txn) validateReads() (unlock func(), err error) {
	s := &t.eng.ssi
	s.commit.Lock()
	snap := t.snap.AppliedLSN()
	s.mu.Lock()
	for b := range t.reads {
		if s.last[b] > snap {
			s.mu.Unlock()
			s.commit.Unlock()
			return nil, errSerializable
		}
	}
	s.mu.Unlock()
	return s.commit.Unlock, nil
}

// recordWrites notes the tables b wrote, committed at `at`.
func (s *ssiState) recordWrites(b *storage.Batch, at lsn.LSN) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last == nil {
		s.last = map[string]lsn.LSN{}
	}
	var prev []byte
	for _, op := range b.Ops {
		if string(op.Bucket) == string(prev) || len(op.Bucket) < 2 || op.Bucket[0] != 't' || op.Bucket[1] != '/' {
			continue
		}
		prev = op.Bucket
		s.last[string(op.Bucket)] = at
	}
}
