package storage

// Crash closes the file as a kill -9 would leave it: the pending changes
// are not flushed.
func (db *DB) Crash() error {
	db.closing.Store(true)
	close(db.flushStop)
	<-db.flushDone
	db.closed.Store(true)
	db.metrics.unregister()
	return db.bolt.Close()
}
