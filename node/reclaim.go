package node

import (
	"context"
	"time"
)

// Orphans (sql/exec/reclaim.go): a node that becomes primary marks, before
// any of its sessions can write, the buckets and column defaults that
// transactions and sessions which died with a node left behind, and drops
// them by ordinary commits once it accepts writes, so that its standbys
// and a replay drop them too.

// markOrphans marks what the storage holds now for reclaimOrphans.
func (n *Node) markOrphans() {
	// A snapshot lists the buckets of the file: write the pending changes
	// (replayed or received) into it first.
	if err := n.db.Flush(); err != nil {
		n.log.Warn("could not look for orphans to reclaim", "err", err)
		return
	}
	snap, err := n.db.Snapshot()
	if err != nil {
		n.log.Warn("could not look for orphans to reclaim", "err", err)
		return
	}
	defer snap.Close()
	if err := n.engine.MarkOrphans(snap); err != nil {
		n.log.Warn("could not look for orphans to reclaim", "err", err)
	}
}

// reclaimInterval is how often reclaimOrphans tries while marks are
// pending.
const reclaimInterval = 250 * time.Millisecond

// reclaimOrphans drops the marked orphans whenever the node is a writable
// primary with marks pending, until ctx ends.
func (n *Node) reclaimOrphans(ctx context.Context) {
	t := time.NewTicker(reclaimInterval)
	defer t.Stop()
	failures := 0
	for {
		if n.role() == RolePrimary && n.engine.ReclaimPending() {
			if ro, _ := n.readOnly(); !ro {
				rctx, cancel := context.WithTimeout(ctx, time.Minute)
				buckets, defaults, err := n.engine.Reclaim(rctx)
				cancel()
				switch {
				case err != nil:
					failures++
					if failures%40 == 1 { // every ~10 s
						n.log.Warn("reclaiming orphans failed; will retry", "err", err)
					}
				default:
					failures = 0
					n.log.Info("reclaimed orphans of transactions and sessions that died with a node",
						"buckets", buckets, "defaults", defaults)
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
