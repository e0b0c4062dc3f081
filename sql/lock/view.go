package lock

import "sort"

// WaitInfo describes an owner's queued request (pg_stat_activity, pg_locks).
type WaitInfo struct {
	Key  string
	Mode Mode
	// BehindWaiter: another owner's conflicting request is queued ahead of
	// this one (PostgreSQL's second row-lock waiter sleeps on the first
	// one's tuple lock, not on the holder's transaction).
	BehindWaiter bool
	// BlockerXID is the transaction of a conflicting holder (0 = none,
	// only waiters ahead).
	BlockerXID uint64
}

// WaitOf reports what o is queued for.
func (m *Manager) WaitOf(o OwnerID) (WaitInfo, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	os := m.owners[o]
	if os == nil || os.waiting == nil {
		return WaitInfo{}, false
	}
	return m.waitOf(os), true
}

// waitOf describes os's wait. m.mu is held.
func (m *Manager) waitOf(os *ownerState) WaitInfo {
	w := WaitInfo{Key: os.waitingKey, Mode: os.waiting.mode}
	e := m.entries[os.waitingKey]
	if e == nil {
		return w
	}
	for i := range e.holders {
		h := &e.holders[i]
		if h.owner != os.waiting.owner && h.conflictsWith(w.Mode) {
			if hs := m.owners[h.owner]; hs != nil && w.BlockerXID == 0 {
				w.BlockerXID = hs.xid
			}
		}
	}
	for _, q := range e.queue {
		if q == os.waiting {
			break
		}
		if q.owner != os.waiting.owner && Conflicts(q.mode, w.Mode) {
			w.BehindWaiter = true
		}
	}
	return w
}

// Lock is one row of the lock table: a mode held (Granted) or awaited by
// an owner on a key.
type Lock struct {
	Owner   OwnerID
	PID     uint32
	XID     uint64 // the owner's current transaction (0 = none assigned)
	Key     string
	Mode    Mode
	Granted bool
	Wait    WaitInfo // when !Granted
}

// Locks lists every lock held or awaited, ordered by owner then key, and
// the owners with a transaction number (Lock with an empty Key, Granted,
// for pg_locks' transactionid rows).
func (m *Manager) Locks() []Lock {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Lock
	for o, os := range m.owners {
		if os.xid != 0 {
			out = append(out, Lock{Owner: o, PID: os.pid, XID: os.xid, Granted: true})
		}
		for _, k := range os.keys {
			e := m.entries[k]
			if e == nil {
				continue
			}
			h := e.holder(o)
			if h == nil {
				continue
			}
			for md := Mode(0); md < numModes; md++ {
				if h.holds(md) {
					out = append(out, Lock{Owner: o, PID: os.pid, XID: os.xid, Key: k, Mode: md, Granted: true})
				}
			}
		}
		if os.waiting != nil {
			out = append(out, Lock{Owner: o, PID: os.pid, XID: os.xid, Key: os.waitingKey, Mode: os.waiting.mode,
				Wait: m.waitOf(os)})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Owner != out[j].Owner {
			return out[i].Owner < out[j].Owner
		}
		return out[i].Key < out[j].Key
	})
	return out
}
