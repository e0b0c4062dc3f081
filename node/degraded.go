package node

import (
	"encoding/json"
	"fmt"
)

// A sync primary that degraded to async and acknowledged commits no sync
// standby had flushed records that durably (localDegradedAck) before the
// first such acknowledgement. Restarted as primary of the same term, it
// starts degraded (replication.Server.StartDegraded) and so keeps telling
// the failover lease holder that a standby may lack acknowledged commits —
// up to its flushed WAL, which holds all of them — until a sync standby has
// flushed everything it has; then the record is cleared. Without it a
// restart turned "degraded" into "waiting" and the proxy promoted a
// standby that lacked the acknowledged tail (docs/faults.md).

// localDegradedAck is the node-local key of the record.
const localDegradedAck = "degraded_ack"

type degradedAckRecord struct {
	Seq  uint64 `json:"seq"`  // the degradation that acknowledged (0: none)
	Term uint64 `json:"term"` // the term in which this node was primary then
}

// recordDegradedAck records that degradation seq acknowledges commits
// without a sync standby (replication.ServerConfig.RecordDegradedAck).
func (n *Node) recordDegradedAck(seq uint64) error {
	n.degMu.Lock()
	defer n.degMu.Unlock()
	if n.degSeq >= seq {
		return nil
	}
	raw, _ := json.Marshal(degradedAckRecord{Seq: seq, Term: n.term()})
	if err := n.db.SetLocal(localDegradedAck, raw); err != nil {
		return fmt.Errorf("node: record acknowledgements while degraded: %w", err)
	}
	n.degSeq = seq
	n.log.Warn("acknowledging commits while degraded to async: recorded, this primary reports itself degraded (also after a restart) until a sync standby has caught up")
	return nil
}

// syncRestored clears the record once degradation seq, or a later one,
// ended (replication.ServerConfig.SyncRestored).
func (n *Node) syncRestored(seq uint64) {
	n.degMu.Lock()
	defer n.degMu.Unlock()
	if n.degSeq == 0 || n.degSeq > seq {
		return
	}
	if err := n.clearDegradedAckLocked(); err != nil {
		n.log.Error("clearing the record of acknowledgements while degraded failed; it is retried when sync is restored next", "err", err)
	}
}

func (n *Node) clearDegradedAckLocked() error {
	raw, _ := json.Marshal(degradedAckRecord{})
	if err := n.db.SetLocal(localDegradedAck, raw); err != nil {
		return fmt.Errorf("node: clear record of acknowledgements while degraded: %w", err)
	}
	n.degSeq = 0
	return nil
}

// resumeDegraded starts a restarted primary degraded when it had
// acknowledged commits while degraded in its current term that no sync
// standby was known to have.
func (n *Node) resumeDegraded() error {
	raw := n.db.GetLocal(localDegradedAck)
	if raw == nil {
		return nil
	}
	var rec degradedAckRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		return fmt.Errorf("node: record of acknowledgements while degraded is unreadable (%q): %w", raw, err)
	}
	if rec.Seq == 0 {
		return nil
	}
	n.degMu.Lock()
	defer n.degMu.Unlock()
	if n.role() != RolePrimary || rec.Term != n.term() {
		return n.clearDegradedAckLocked()
	}
	flushed := n.wal.FlushedLSN()
	seq := n.repl.StartDegraded(fmt.Sprintf("before the restart this primary acknowledged commits while degraded, up to at most %s, that no sync standby may have", flushed))
	if seq == 0 { // no longer in sync mode: async reports itself anyway
		return nil
	}
	n.degSeq = rec.Seq
	return nil
}
