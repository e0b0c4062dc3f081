package exec

import (
	"context"
	"encoding/binary"
	"strings"
	"sync"

	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/pgcatalog"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/storage"
)

// Sequences. A sequence's state is one key of BucketSeq (named after the
// sequence): absent = never used (the next value is START); 8 bytes = the
// last value reserved, called; 9 bytes (8 + a zero byte) = a value that
// nextval returns next (after setval(s, v, false) or ALTER SEQUENCE
// RESTART). nextval reserves seqBlock values at a time by an autonomous
// commit of that key, outside the caller's transaction, as PostgreSQL's
// sequences are non-transactional; the engine-wide cache (keyed by the
// sequence's descriptor ID, so a re-created sequence starts afresh) hands
// them out. A sequence created by the calling transaction is not visible
// to others yet and is advanced in the transaction itself.

// seqBlock is how many sequence values one autonomous commit reserves.
const seqBlock = 32

// seqCache holds the reserved, not yet handed out values of a sequence.
type seqCache struct {
	mu    sync.Mutex
	valid bool
	next  int64 // next value to hand out
	left  int64 // values left in the block, next included
}

// SeqState is a session's sequence state for currval and lastval; the
// session keeps it across its transactions (Txn.SetSeqState).
type SeqState struct {
	last     map[uint32]int64 // by sequence ID
	lastID   uint32
	lastName string
	any      bool
}

// SetSeqState attaches the session's sequence state to t.
func (t *Txn) SetSeqState(s *SeqState) { t.seqState = s }

func (t *Txn) seqs() *SeqState {
	if t.seqState == nil {
		t.seqState = &SeqState{}
	}
	if t.seqState.last == nil {
		t.seqState.last = map[uint32]int64{}
	}
	return t.seqState
}

// sequence resolves the name nextval/currval/setval are given, as
// regclass input does: possibly qualified and quoted; pg_temp is the
// session's temporary schema; an unqualified name is looked up in the
// temporary schema first, then along search_path.
func (t *Txn) sequence(name string) (*catalog.Sequence, error) {
	cat, err := t.catalog()
	if err != nil {
		return nil, err
	}
	parts := pgcatalog.SplitQualified(name)
	rel := parts[len(parts)-1]
	var candidates []string
	own := t.temp.SchemaName()
	if len(parts) > 1 {
		switch schema := parts[len(parts)-2]; schema {
		case "pg_temp":
			if own != "" {
				candidates = append(candidates, catalog.QualifiedName(own, rel))
			}
		case "pg_catalog", "information_schema":
		default:
			candidates = append(candidates, catalog.QualifiedName(schema, rel))
		}
	} else {
		if own != "" {
			candidates = append(candidates, catalog.QualifiedName(own, rel))
		}
		for _, s := range cat.SearchPath(t.searchPath, t.user) {
			if s != "pg_catalog" && s != "information_schema" {
				candidates = append(candidates, catalog.QualifiedName(s, rel))
			}
		}
	}
	for _, n := range candidates {
		if sq := cat.Sequences[n]; sq != nil {
			return sq, nil
		}
		if cat.RelationExists(n) {
			return nil, pgerror.Newf(pgerror.WrongObjectType, "%q is not a sequence", rel)
		}
	}
	return nil, pgerror.Newf(pgerror.UndefinedTable, "relation %q does not exist", strings.Join(parts, "."))
}

// seqValue is the decoded state of a sequence key.
type seqValue struct {
	v      int64
	called bool
	used   bool // the key exists
}

func decodeSeq(b []byte) seqValue {
	switch {
	case len(b) == 8:
		return seqValue{v: int64(binary.BigEndian.Uint64(b)), called: true, used: true}
	case len(b) == 9:
		return seqValue{v: int64(binary.BigEndian.Uint64(b)), called: b[8] != 0, used: true}
	}
	return seqValue{}
}

func encodeSeq(v int64, called bool) []byte {
	b := binary.BigEndian.AppendUint64(nil, uint64(v))
	if !called {
		b = append(b, 0)
	}
	return b
}

// following returns the value nextval returns in state st.
func following(sq *catalog.Sequence, st seqValue) (int64, error) {
	if !st.used {
		return sq.Start, nil
	}
	if !st.called {
		return st.v, nil
	}
	v, ok := addInt64(st.v, sq.Increment)
	if ok && v >= sq.Min && v <= sq.Max {
		return v, nil
	}
	if sq.Cycle {
		if sq.Increment > 0 {
			return sq.Min, nil
		}
		return sq.Max, nil
	}
	if sq.Increment > 0 {
		return 0, pgerror.Newf(pgerror.SequenceGeneratorLimitExceeded, "nextval: reached maximum value of sequence %q (%d)", sq.Name, sq.Max)
	}
	return 0, pgerror.Newf(pgerror.SequenceGeneratorLimitExceeded, "nextval: reached minimum value of sequence %q (%d)", sq.Name, sq.Min)
}

func addInt64(a, b int64) (int64, bool) {
	c := a + b
	return c, (c > a) == (b > 0)
}

// blockFrom is how many values starting at v may be reserved at once
// without passing the sequence's bound.
func blockFrom(sq *catalog.Sequence, v int64) int64 {
	var room uint64
	if sq.Increment > 0 {
		room = uint64(sq.Max-v) / uint64(sq.Increment)
	} else {
		room = uint64(v-sq.Min) / uint64(-sq.Increment)
	}
	return int64(min(room, seqBlock-1)) + 1
}

func (t *Txn) nextval(ctx context.Context, name string) (Datum, error) {
	sq, err := t.sequence(name)
	if err != nil {
		return nil, err
	}
	if err := t.checkSeqWritable(sq, "nextval()"); err != nil {
		return nil, err
	}
	var v int64
	switch {
	case t.baseFor(catalog.BucketCatalog, catalog.SequenceKey(sq.Name)).Get(catalog.BucketCatalog, catalog.SequenceKey(sq.Name)) == nil:
		// Created by this transaction: advance it in the transaction.
		if v, err = following(sq, decodeSeq(t.get(catalog.BucketSeq, []byte(sq.Name)))); err != nil {
			return nil, err
		}
		t.ov.Put(catalog.BucketSeq, []byte(sq.Name), encodeSeq(v, true))
	case isTempName(sq.Name) && t.hasTemp():
		var ferr error
		err = t.temp.seqCommit(sq.Name, func(st seqValue) []byte {
			if v, ferr = following(sq, st); ferr != nil {
				return nil
			}
			return encodeSeq(v, true)
		})
		t.closeTempSnap()
		if err == nil {
			err = ferr
		}
		if err != nil {
			return nil, err
		}
	default:
		if v, err = t.eng.seqNext(ctx, sq); err != nil {
			return nil, err
		}
	}
	st := t.seqs()
	st.last[sq.ID], st.lastID, st.lastName, st.any = v, sq.ID, sq.Name, true
	return v, nil
}

func (t *Txn) currval(name string) (Datum, error) {
	sq, err := t.sequence(name)
	if err != nil {
		return nil, err
	}
	if v, ok := t.seqs().last[sq.ID]; ok {
		return v, nil
	}
	return nil, pgerror.Newf(pgerror.ObjectNotInPrereqState, "currval of sequence %q is not yet defined in this session", sq.Name)
}

func (t *Txn) lastval() (Datum, error) {
	st := t.seqs()
	if !st.any {
		return nil, pgerror.New(pgerror.ObjectNotInPrereqState, "lastval is not yet defined in this session")
	}
	cat, err := t.catalog()
	if err != nil {
		return nil, err
	}
	if sq := cat.Sequences[st.lastName]; sq == nil || sq.ID != st.lastID {
		return nil, pgerror.New(pgerror.ObjectNotInPrereqState, "lastval is not yet defined in this session")
	}
	return st.last[st.lastID], nil
}

func (t *Txn) setval(ctx context.Context, name string, v int64, called bool) (Datum, error) {
	sq, err := t.sequence(name)
	if err != nil {
		return nil, err
	}
	if err := t.checkSeqWritable(sq, "setval()"); err != nil {
		return nil, err
	}
	if v < sq.Min || v > sq.Max {
		return nil, pgerror.Newf(pgerror.NumericValueOutOfRange, "setval: value %d is out of bounds for sequence %q (%d..%d)", v, sq.Name, sq.Min, sq.Max)
	}
	switch {
	case t.baseFor(catalog.BucketCatalog, catalog.SequenceKey(sq.Name)).Get(catalog.BucketCatalog, catalog.SequenceKey(sq.Name)) == nil:
		t.ov.Put(catalog.BucketSeq, []byte(sq.Name), encodeSeq(v, called))
	case isTempName(sq.Name) && t.hasTemp():
		err := t.temp.seqCommit(sq.Name, func(seqValue) []byte { return encodeSeq(v, called) })
		t.closeTempSnap()
		if err != nil {
			return nil, err
		}
	default:
		e := t.eng
		c := e.cacheFor(sq.ID)
		c.mu.Lock()
		err := e.seqCommit(ctx, sq.Name, func(seqValue) []byte { return encodeSeq(v, called) })
		c.valid = false
		c.mu.Unlock()
		if err != nil {
			return nil, err
		}
	}
	if called {
		st := t.seqs()
		st.last[sq.ID] = v
	}
	return v, nil
}

// seqNext hands out the next value, reserving a new block by an
// autonomous commit when the cache is empty.
func (e *Engine) seqNext(ctx context.Context, sq *catalog.Sequence) (int64, error) {
	c := e.cacheFor(sq.ID)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.valid || c.left == 0 {
		var first, n int64
		err := e.seqCommit(ctx, sq.Name, func(st seqValue) []byte {
			var err error
			if first, err = following(sq, st); err != nil {
				n = 0
				return nil
			}
			n = blockFrom(sq, first)
			return encodeSeq(first+(n-1)*sq.Increment, true)
		})
		if err != nil {
			return 0, err
		}
		if n == 0 {
			_, err := following(sq, seqValue{v: sq.Max*boolInt(sq.Increment > 0) + sq.Min*boolInt(sq.Increment < 0), called: true, used: true})
			return 0, err
		}
		c.valid, c.next, c.left = true, first, n
	}
	v := c.next
	c.next += sq.Increment
	c.left--
	return v, nil
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// seqCommit reads the stored state, computes the new one with f (nil =
// nothing to write) and commits it alone, retrying on serialization
// failures.
func (e *Engine) seqCommit(ctx context.Context, name string, f func(seqValue) []byte) error {
	for attempt := 0; ; attempt++ {
		snap, err := e.cfg.Snapshots.Snapshot()
		if err != nil {
			return err
		}
		cur := decodeSeq(snap.Get(catalog.BucketSeq, []byte(name)))
		read := snap.AppliedLSN()
		exists := snap.BucketExists(catalog.BucketSeq)
		_ = snap.Close()
		val := f(cur)
		if val == nil {
			return nil
		}
		b := &storage.Batch{}
		if !exists {
			b.CreateBucket(catalog.BucketSeq)
		}
		b.Put(catalog.BucketSeq, []byte(name), val)
		_, err = e.cfg.Committer.Commit(ctx, b, read)
		if err == nil || pgerror.CodeOf(err) != pgerror.SerializationFailure || attempt > 50 {
			return err
		}
	}
}

// cacheFor returns the engine-wide cache of the sequence with id.
func (e *Engine) cacheFor(id uint32) *seqCache {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.seqs[id]
	if c == nil {
		c = &seqCache{}
		e.seqs[id] = c
	}
	return c
}

// resetSeqCache forgets the reserved values of a sequence whose state a
// DDL statement changed (RESTART, TRUNCATE ... RESTART IDENTITY).
func (e *Engine) resetSeqCache(id uint32) {
	c := e.cacheFor(id)
	c.mu.Lock()
	c.valid = false
	c.mu.Unlock()
}

// checkSeqWritable refuses nextval()/setval() of sq in a read-only
// transaction unless sq is temporary (PostgreSQL checks the same), and
// when Config.TableReads refuses (a fenced primary: the state it would
// read or advance may be a commit the cluster never confirmed). Asked at
// each call, so no statement kind escapes it (COPY (SELECT nextval(..))
// TO, cursors, a transaction begun before the fence).
func (t *Txn) checkSeqWritable(sq *catalog.Sequence, what string) error {
	if isTempName(sq.Name) {
		return nil
	}
	if err := t.checkWritable(what); err != nil {
		return err
	}
	return t.eng.dataAllowed()
}
