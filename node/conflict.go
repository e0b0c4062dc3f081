package node

import (
	"bytes"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/storage"
)

// conflictTracker implements first-committer-wins: it remembers, for every
// key and bucket written recently, the LSN of the commit that wrote it. A
// transaction that read at readLSN conflicts when any key it writes was
// written by a commit that ended after readLSN.
//
// Memory is bounded by generations: when the current generation holds more
// than genLimit keys it becomes the previous one and the older one is
// dropped; horizon remembers the newest LSN forgotten that way, and a
// transaction whose snapshot is older than horizon conservatively conflicts
// (it may have raced with a forgotten write). Only the committer goroutine
// uses it.
//
// Keys for which exempt(bucket) holds (table and index entries,
// exec.LockProtected) are written under row locks and checked by the
// transaction against the newest committed version after locking; they
// are neither checked nor remembered here. Bucket-level checks (DDL)
// still apply to them.
type conflictTracker struct {
	cur, prev map[string]lsn.LSN
	// bucketDDL: last create/drop of a bucket; bucketAny: last write of any
	// kind into it. A put conflicts with a newer DDL, a DDL with any newer
	// write.
	bucketDDL map[string]lsn.LSN
	bucketAny map[string]lsn.LSN
	horizon   lsn.LSN
	genLimit  int
	exempt    func(bucket []byte) bool
	// skipLocked: the buckets a locked commit is not checked for at all
	// (exec.CatalogLocked; nil = exempt).
	skipLocked func(bucket []byte) bool
}

func newConflictTracker(genLimit int, exempt, skipLocked func(bucket []byte) bool) *conflictTracker {
	if exempt == nil {
		exempt = func([]byte) bool { return false }
	}
	if skipLocked == nil {
		skipLocked = exempt
	}
	if genLimit <= 0 {
		genLimit = 200_000
	}
	return &conflictTracker{
		cur:        make(map[string]lsn.LSN),
		prev:       make(map[string]lsn.LSN),
		bucketDDL:  make(map[string]lsn.LSN),
		bucketAny:  make(map[string]lsn.LSN),
		genLimit:   genLimit,
		exempt:     exempt,
		skipLocked: skipLocked,
	}
}

func conflictKey(bucket, key []byte) string {
	k := make([]byte, 0, len(bucket)+1+len(key))
	k = append(k, bucket...)
	k = append(k, 0)
	k = append(k, key...)
	return string(k)
}

// conflicts reports whether b, read at readLSN, loses against a commit
// recorded earlier. locked: b is a READ COMMITTED transaction's, whose
// writes to the buckets skipLocked names were all made under locks on
// the newest state (exec.LockedCommitter): they are not checked at all.
func (c *conflictTracker) conflicts(b *storage.Batch, readLSN lsn.LSN, locked bool) bool {
	// A bulk batch writes one bucket at length: what its name decides
	// (skipped, a newer DDL, exempt) is looked up once per run of ops on
	// it, not once per op.
	var last []byte
	var skip, exempt bool
	for _, op := range b.Ops {
		if last == nil || !bytes.Equal(last, op.Bucket) {
			last = op.Bucket
			skip = locked && c.skipLocked(op.Bucket)
			exempt = c.exempt(op.Bucket)
			if !skip && c.bucketDDL[string(op.Bucket)] > readLSN {
				return true // a put or delete loses; so does a DDL (bucketAny is at least as new)
			}
		}
		if skip {
			continue
		}
		switch op.Kind {
		case storage.OpCreateBucket, storage.OpDropBucket:
			if c.bucketAny[string(op.Bucket)] > readLSN {
				return true
			}
		default:
			if exempt {
				continue
			}
			if readLSN < c.horizon {
				return true
			}
			k := conflictKey(op.Bucket, op.Key)
			if c.cur[k] > readLSN || c.prev[k] > readLSN {
				return true
			}
		}
	}
	return false
}

// record notes that b committed with end LSN at.
func (c *conflictTracker) record(b *storage.Batch, at lsn.LSN) {
	var last []byte // bucketAny already set for it (a bulk batch writes one bucket at length)
	for _, op := range b.Ops {
		if last == nil || !bytes.Equal(last, op.Bucket) {
			c.bucketAny[string(op.Bucket)] = at
			last = op.Bucket
		}
		switch op.Kind {
		case storage.OpCreateBucket, storage.OpDropBucket:
			c.bucketDDL[string(op.Bucket)] = at
		default:
			if !c.exempt(op.Bucket) {
				c.cur[conflictKey(op.Bucket, op.Key)] = at
			}
		}
	}
	if len(c.cur) > c.genLimit {
		c.rotate()
	}
}

func (c *conflictTracker) rotate() {
	for _, v := range c.prev {
		if v > c.horizon {
			c.horizon = v
		}
	}
	c.prev, c.cur = c.cur, make(map[string]lsn.LSN, len(c.cur))
}
