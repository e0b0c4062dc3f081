package exec

import (
	"context"
	"strconv"
	"strings"
	"sync"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/storage"
)

// Reclaiming what sessions that died with a node left behind.
//
// A transaction that dies with its node (kill -9, a crash, a failover that
// promotes another node) leaves two kinds of remains in the committed
// state:
//
//   - orphan buckets: the staged chunks of a bulk load into a table its
//     transaction created (stage.go) and the shadow buckets of a COPY into
//     a table others use (shadow.go) are committed, WAL-logged and
//     replicated as they are written, under ids no catalog names; only the
//     final commit would have named or moved them. They hold no visible
//     data, only space.
//   - defaults of permanent tables bound to a temporary sequence
//     (seqbind.go) of a session that died: its TempSpace died with the
//     process, so the binding names nothing; a session that ends normally
//     drops them itself.
//
// Decision: the primary reclaims them, through the WAL. When a node
// becomes primary — at start, and at promotion — before any session of it
// can write (MarkOrphans), everything of either kind that exists is an
// orphan: no live transaction of this engine made it, and a standby's
// sessions write nothing. The marks are then dropped by ordinary commits
// (Reclaim, run by the node in the background once it accepts writes):
// OpDropBucket for the buckets, a catalog change for the defaults. So a
// standby applies the same drops from the WAL, and replay after a crash
// repeats them, like every other change. A standby never reclaims on its
// own: an unnamed bucket there may be the shadow of a load still running
// on its primary. Marked buckets are never named or written again before
// they are dropped: reserveID never hands out the id of an existing
// bucket, and nothing else names one.

// orphanMarks is what MarkOrphans found.
type orphanMarks struct {
	mu      sync.Mutex
	pending bool
	buckets [][]byte
	temps   map[uint32]bool
	read    lsn.LSN // the marking snapshot's LSN
}

// MarkOrphans records the orphan buckets and the bindings of defaults to
// dead temporary sequences that snap (the node's storage, just opened or
// promoted) holds, for Reclaim. Call it when no session of this engine can
// have written yet: before serving at start, during a promotion before
// writes are accepted.
func (e *Engine) MarkOrphans(snap *storage.Snapshot) error {
	cat, err := e.loadCatalog(snapReader{snap})
	if err != nil {
		return err
	}
	named := map[string]bool{}
	for _, tbl := range cat.Tables {
		named[string(catalog.TableBucket(tbl.ID))] = true
		for _, ix := range tbl.Indexes {
			named[string(catalog.IndexBucket(ix.ID))] = true
		}
	}
	var buckets [][]byte
	err = snap.ForEachBucket(func(name []byte) error {
		if isOrphanCandidate(name) && !named[string(name)] {
			buckets = append(buckets, append([]byte(nil), name...))
		}
		return nil
	})
	if err != nil {
		return err
	}
	temps := map[uint32]bool{}
	for name, tbl := range cat.Tables {
		if isTempName(name) {
			continue
		}
		for _, c := range tbl.Columns {
			for _, id := range c.DefaultSeqs {
				if id >= tempIDBase {
					temps[id] = true
				}
			}
		}
	}
	m := &e.orphans
	m.mu.Lock()
	defer m.mu.Unlock()
	m.buckets, m.temps, m.read = buckets, temps, snap.AppliedLSN()
	m.pending = len(buckets) > 0 || len(temps) > 0
	return nil
}

// isOrphanCandidate reports whether name is a permanent table or index
// bucket ("t/<id>", "i/<id>").
func isOrphanCandidate(name []byte) bool {
	s := string(name)
	if !strings.HasPrefix(s, "t/") && !strings.HasPrefix(s, "i/") {
		return false
	}
	id, err := strconv.ParseUint(s[2:], 10, 32)
	return err == nil && id < tempIDBase
}

// ReclaimPending reports whether MarkOrphans found something Reclaim has
// not dropped yet.
func (e *Engine) ReclaimPending() bool {
	e.orphans.mu.Lock()
	defer e.orphans.mu.Unlock()
	return e.orphans.pending
}

// Reclaim drops what MarkOrphans marked, by commits (see above), and
// reports how many buckets and defaults it dropped. After a failure (not
// writable yet, a conflict) the marks stay for the next call.
func (e *Engine) Reclaim(ctx context.Context) (buckets, defaults int, err error) {
	m := &e.orphans
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.pending {
		return 0, 0, nil
	}
	if len(m.buckets) > 0 {
		b := &storage.Batch{}
		for _, n := range m.buckets {
			b.DropBucket(n)
		}
		if _, err := e.cfg.Committer.Commit(ctx, b, m.read); err != nil {
			return 0, 0, err
		}
		buckets = len(m.buckets)
		m.buckets = nil
	}
	if len(m.temps) > 0 {
		temps := m.temps
		if defaults, err = e.dropTempDefaults(ctx, func(id uint32) bool { return temps[id] }); err != nil {
			return buckets, 0, err
		}
		m.temps = nil
	}
	m.pending = false
	return buckets, defaults, nil
}
