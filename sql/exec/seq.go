package exec

import (
	"context"
	"sync"

	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/storage"
)

// seqBlock is how many sequence values one autonomous commit reserves.
const seqBlock = 32

// seqCache holds the reserved, not yet handed out values of a sequence.
type seqCache struct {
	mu   sync.Mutex
	next int64
	hi   int64 // last reserved value
}

func (t *Txn) sequence(name string) (*catalog.Sequence, error) {
	cat, err := t.catalog()
	if err != nil {
		return nil, err
	}
	sq := cat.Sequences[name]
	if sq == nil {
		return nil, pgerror.Newf(pgerror.UndefinedTable, "relation %q does not exist", name)
	}
	return sq, nil
}

func (t *Txn) nextval(ctx context.Context, name string) (Datum, error) {
	sq, err := t.sequence(name)
	if err != nil {
		return nil, err
	}
	var v int64
	if t.snap.Get(catalog.BucketCatalog, catalog.SequenceKey(name)) == nil {
		// Created by this transaction: allocate transactionally.
		v = int64(catalog.DecodeUint64(t.get(catalog.BucketSeq, []byte(name)))) + sq.Increment
		t.ov.put(catalog.BucketSeq, []byte(name), catalog.EncodeUint64(uint64(v)))
	} else if v, err = t.eng.seqNext(ctx, name, sq); err != nil {
		return nil, err
	}
	if t.lastSeq == nil {
		t.lastSeq = map[string]int64{}
	}
	t.lastSeq[name] = v
	return v, nil
}

func (t *Txn) currval(name string) (Datum, error) {
	if v, ok := t.lastSeq[name]; ok {
		return v, nil
	}
	return nil, pgerror.Newf(pgerror.ObjectNotInPrereqState, "currval of sequence %q is not yet defined in this session", name)
}

func (t *Txn) setval(ctx context.Context, name string, v int64) (Datum, error) {
	if _, err := t.sequence(name); err != nil {
		return nil, err
	}
	e := t.eng
	c := e.cacheFor(name)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := e.seqCommitNamed(ctx, name, func(uint64) uint64 { return uint64(v) }); err != nil {
		return nil, err
	}
	c.next, c.hi = v+1, v
	return v, nil
}

// seqNext hands out the next value, reserving a new block by an
// autonomous commit when the cache is empty.
func (e *Engine) seqNext(ctx context.Context, name string, sq *catalog.Sequence) (int64, error) {
	c := e.cacheFor(name)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.next == 0 || c.next > c.hi {
		var lo int64
		err := e.seqCommitNamed(ctx, name, func(cur uint64) uint64 {
			lo = int64(cur) + sq.Increment
			return cur + uint64(seqBlock*sq.Increment)
		})
		if err != nil {
			return 0, err
		}
		c.next, c.hi = lo, lo+int64(seqBlock-1)*sq.Increment
	}
	v := c.next
	c.next += sq.Increment
	return v, nil
}

// seqCommitNamed reads the stored high-water mark, applies f and commits
// it alone, retrying on serialization failures.
func (e *Engine) seqCommitNamed(ctx context.Context, name string, f func(uint64) uint64) error {
	for attempt := 0; ; attempt++ {
		snap, err := e.cfg.Snapshots.Snapshot()
		if err != nil {
			return err
		}
		cur := catalog.DecodeUint64(snap.Get(catalog.BucketSeq, []byte(name)))
		read := snap.AppliedLSN()
		exists := snap.BucketExists(catalog.BucketSeq)
		_ = snap.Close()
		b := &storage.Batch{}
		if !exists {
			b.CreateBucket(catalog.BucketSeq)
		}
		b.Put(catalog.BucketSeq, []byte(name), catalog.EncodeUint64(f(cur)))
		_, err = e.cfg.Committer.Commit(ctx, b, read)
		if err == nil || pgerror.CodeOf(err) != pgerror.SerializationFailure || attempt > 50 {
			return err
		}
	}
}

// cacheFor returns the engine-wide cache of sequence name, creating it.
func (e *Engine) cacheFor(name string) *seqCache {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.seqs[name]
	if c == nil {
		c = &seqCache{}
		e.seqs[name] = c
	}
	return c
}
