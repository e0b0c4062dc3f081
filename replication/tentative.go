package replication

import (
	"fmt"

	"github.com/heliosdb/nano/lsn"
)

// Shipping before the local fsync (issue 14). A sync primary's sender
// reads the WAL up to its written end (wal.Log.NewWrittenReader), not its
// flushed end (an async primary's commits do not wait for a standby: it
// sends flushed WAL only, server.go newReader): a
// commit group reaches the standby while this node fsyncs it, and a sync
// commit waits for max(local fsync, standby fsync + round trip) instead of
// their sum. Nothing is acknowledged earlier for it: the committer waits
// for the local fsync before it asks for the release (node/committer.go),
// the release needs a sync standby's flush, and standbys make visible only
// what this node released (its released LSN is at most its flushed LSN).
//
// The price: a standby may hold records this node then loses — written
// but not durable when the machine crashed, or discarded by wal.Recover
// after a failed fsync, their LSNs then reused by other records. Those
// records were never released (no client was told they committed, no
// standby applied them), but a standby holding them must not continue
// from its WAL end as if they were this node's history. tentativeTail
// finds such a standby at the handshake and re-seeds it from a base
// backup. (A failover to it instead is safe: the promoted node's history
// includes them, and this node, lacking them, rejoins as a prefix.)
//
// The rule: a standby whose position this process vouched for — it
// streamed from this process, or received a base backup from it — with
// no rewind of the WAL since (wal.Log.Rewinds) holds only records this
// WAL still has. Any other standby may hold records past the lowest
// point this WAL went back to since it was opened (at Open: its end then,
// so a crash that lost written records is covered) — and only in this
// node's own term, the only records it shipped early: a standby whose WAL
// ends past that point is re-seeded. A standby of an earlier term's
// primary that wrote past this term's start is caught by the term
// history before (divergence).

// tentativeTail returns why the standby nodeID, whose WAL ends at flushed
// in the history h of this primary, must be re-seeded: "" when it may
// continue from flushed.
func (s *Server) tentativeTail(nodeID string, h History, flushed lsn.LSN) string {
	n, low := s.cfg.WAL.Rewinds()
	s.mu.Lock()
	st := s.standbys[nodeID]
	vouched := st != nil && st.vouched && st.rewinds == n
	s.mu.Unlock()
	if vouched {
		return ""
	}
	floor := low
	if k := len(h); k > 0 {
		floor = max(floor, h[k-1].Start)
	}
	if flushed <= floor {
		return ""
	}
	return fmt.Sprintf("its WAL ends at %s, past %s: it may hold records this primary wrote but lost before they were durable (a crash of the machine or a failed fsync); they were never acknowledged", flushed, floor)
}
