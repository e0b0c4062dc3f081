package storage

// Crash closes the file as a kill -9 would leave it: the pending changes
// are not flushed.
func (db *DB) Crash() error {
	db.closing.Store(true)
	close(db.flushStop)
	<-db.flushDone
	close(db.mergeStop)
	<-db.mergeDone
	db.closed.Store(true)
	db.metrics.unregister()
	return db.bolt.Close()
}

// LargestTx is the most page bytes one write transaction allocated.
func (db *DB) LargestTx() int64 { return db.largestTx.Load() }

// FinishMerges runs the merges to their end in this goroutine.
func (db *DB) FinishMerges() error {
	db.flushMu.Lock()
	defer db.flushMu.Unlock()
	for {
		more, err := db.mergeStep(false)
		if err != nil || !more {
			return err
		}
	}
}

// ResetLargestTx forgets the largest write transaction so far.
func (db *DB) ResetLargestTx() { db.largestTx.Store(0) }
