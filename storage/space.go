package storage

import (
	"fmt"
	"os"
	"syscall"

	bolt "go.etcd.io/bbolt"
)

// Disk space reservation.
//
// bbolt grows its file with ftruncate, which allocates nothing: the blocks
// of new pages are allocated when Apply writes them, so a full disk makes
// Apply fail — after the node made the commit durable in its WAL, when the
// commit can neither be reported failed (it will be replayed) nor
// succeeded (it is not visible). Reserve moves that failure before the WAL:
// the committer reserves room for a group's changes first and refuses the
// group (nothing written) when the disk cannot give it.
const (
	// reserveChunk: room reserved beyond what was asked, so that most
	// commits find their room already reserved (no syscall).
	reserveChunk = 4 << 20
	// reserveSlack is added to every estimate (branch pages, freelist,
	// meta page).
	reserveSlack = 1 << 20
	// reservePerOp bounds the pages one operation can dirty.
	reservePerOp = 8 << 10
)

// ApplyRoom estimates the bytes of new file space that applying batches
// may need (copy-on-write pages, freelist, slack).
func ApplyRoom(batches ...*Batch) int64 {
	var bytes, ops int64
	for _, b := range batches {
		ops += int64(len(b.Ops))
		for i := range b.Ops {
			bytes += int64(len(b.Ops[i].Key) + len(b.Ops[i].Value) + len(b.Ops[i].Bucket))
		}
	}
	return 2*bytes + min(ops*reservePerOp, 64<<20) + reserveSlack
}

// Reserve makes sure the file has, beyond the room the pending changes
// need (memtable.go), at least n bytes of allocated space
// beyond the end of its data (fallocate with KEEP_SIZE, so bbolt sees no
// change), so that an Apply whose changes need up to n bytes of new pages
// cannot fail for lack of space. It fails with an error wrapping ENOSPC
// when the file system cannot give it. Where fallocate is not supported it
// does nothing.
func (db *DB) Reserve(n int64) error {
	n += db.pendingRoom.Load() // the next flush writes the pending changes first
	var hw int64
	if err := db.view(func(tx *bolt.Tx) error { hw = tx.Size(); return nil }); err != nil {
		return err
	}
	db.reserveMu.Lock()
	defer db.reserveMu.Unlock()
	if hw+n <= db.reserved {
		return nil
	}
	f, err := os.OpenFile(db.path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("storage: reserve: %w", err)
	}
	defer f.Close()
	const keepSize = 0x01 // FALLOC_FL_KEEP_SIZE
	want := hw + n + reserveChunk
	err = syscall.Fallocate(int(f.Fd()), keepSize, 0, want)
	if err == syscall.ENOSPC {
		want = hw + n // the chunk is a convenience; the room asked for is not
		err = syscall.Fallocate(int(f.Fd()), keepSize, 0, want)
	}
	switch err {
	case nil:
		db.reserved = want
		return nil
	case syscall.EOPNOTSUPP: // == ENOTSUP on Linux
		db.reserved = 1 << 62 // nothing to reserve with; never ask again
		return nil
	}
	return fmt.Errorf("storage: could not reserve %d bytes in %s for the next commit: %w", n, db.path, err)
}
