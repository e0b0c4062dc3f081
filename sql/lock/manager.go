package lock

import (
	"context"
	"slices"
	"sync"
	"time"
)

// DefaultDeadlockTimeout is PostgreSQL's deadlock_timeout default.
const DefaultDeadlockTimeout = time.Second

// Request asks for one lock.
type Request struct {
	Owner OwnerID
	PID   uint32 // the owner's process id, for deadlock reports
	XID   uint64 // the owner's current transaction, for deadlock reports
	Key   string
	Mode  Mode
	Scope Scope
	// Policy when the lock is taken: Wait, NoWait or SkipLocked.
	Policy Policy
	// DeadlockTimeout is how long to wait before checking for a deadlock;
	// 0 = DefaultDeadlockTimeout.
	DeadlockTimeout time.Duration
	// Early asks for PostgreSQL's early deadlock check of heavyweight
	// locks (tables, advisory locks): an owner that already holds the key
	// and would queue behind a waiter that it blocks, and that blocks it,
	// fails at once instead of after DeadlockTimeout.
	Early bool
}

type ownerState struct {
	pid  uint32
	xid  uint64
	keys []string // keys this owner is a holder of (each once)
	// waiting: the request the owner is queued with, and where.
	waiting    *waiter
	waitingKey string
	// grants logs the transaction-scope grants in order while the owner's
	// transaction has savepoints (logging), so that ReleaseSince can give
	// back those made after one (a rolled-back subtransaction's locks).
	grants  []grantRec
	logging bool
}

// grantRec is one transaction-scope grant of mode on key.
type grantRec struct {
	key  string
	mode Mode
}

// Manager grants locks. It is safe for concurrent use; the zero value is
// not usable, call New.
type Manager struct {
	mu      sync.Mutex
	entries map[string]*entry
	owners  map[OwnerID]*ownerState
}

// New returns an empty lock manager.
func New() *Manager {
	return &Manager{entries: map[string]*entry{}, owners: map[OwnerID]*ownerState{}}
}

func (m *Manager) owner(o OwnerID) *ownerState {
	s := m.owners[o]
	if s == nil {
		s = &ownerState{}
		m.owners[o] = s
	}
	return s
}

// Acquire takes the lock r asks for (see the package doc). It returns
// true when granted; false with a nil error when SkipLocked found it taken;
// ErrWouldBlock for NoWait; context.Cause(ctx) when ctx ended while
// waiting; *DeadlockError when this wait closed a deadlock cycle.
func (m *Manager) Acquire(ctx context.Context, r Request) (bool, error) {
	m.mu.Lock()
	e := m.entries[r.Key]
	if e == nil {
		e = &entry{}
		m.entries[r.Key] = e
	}
	os := m.owner(r.Owner)
	os.pid = r.PID
	if r.XID != 0 {
		os.xid = r.XID
	}
	if e.grantable(r.Owner, r.Mode, len(e.queue)) {
		if e.grant(r.Owner, r.Mode, r.Scope) {
			os.keys = append(os.keys, r.Key)
		}
		os.logGrant(r.Key, r.Mode, r.Scope)
		m.mu.Unlock()
		return true, nil
	}
	if r.Policy != Wait {
		m.dropIfUnused(r.Key, e)
		m.mu.Unlock()
		if r.Policy == NoWait {
			return false, ErrWouldBlock
		}
		return false, nil
	}
	if r.Early {
		if other := e.earlyDeadlock(r.Owner, r.Mode); other != nil {
			theirs := m.owners[other.owner]
			err := &DeadlockError{Cycle: []Edge{
				{Waiter: r.PID, Blocker: theirs.pid, BlockerXID: theirs.xid, Key: r.Key, Mode: r.Mode,
					WaiterOwn: r.Owner, BlockerOwn: other.owner},
				{Waiter: theirs.pid, Blocker: r.PID, BlockerXID: os.xid, Key: r.Key, Mode: other.mode,
					WaiterOwn: other.owner, BlockerOwn: r.Owner}}}
			m.dropIfUnused(r.Key, e)
			m.mu.Unlock()
			return false, err
		}
	}
	w := &waiter{owner: r.Owner, mode: r.Mode, scope: r.Scope, ready: make(chan struct{})}
	e.queue = append(e.queue, w)
	os.waiting, os.waitingKey = w, r.Key
	m.mu.Unlock()

	d := r.DeadlockTimeout
	if d <= 0 {
		d = DefaultDeadlockTimeout
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	check := timer.C
	for {
		select {
		case <-w.ready:
			return true, nil
		case <-check:
			check = nil
			m.mu.Lock()
			if w.granted {
				m.mu.Unlock()
				return true, nil
			}
			if cyc := findCycle(r.Owner, m.edges); cyc != nil {
				err := &DeadlockError{Cycle: m.describe(cyc)}
				m.cancelWait(r.Key, e, w)
				m.mu.Unlock()
				return false, err
			}
			m.mu.Unlock()
		case <-ctx.Done():
			m.mu.Lock()
			if w.granted {
				m.mu.Unlock()
				return true, nil
			}
			m.cancelWait(r.Key, e, w)
			m.mu.Unlock()
			return false, context.Cause(ctx)
		}
	}
}

// cancelWait removes w from e's queue and wakes those it held back.
// m.mu is held.
func (m *Manager) cancelWait(key string, e *entry, w *waiter) {
	for i, q := range e.queue {
		if q == w {
			e.queue = append(e.queue[:i], e.queue[i+1:]...)
			break
		}
	}
	if os := m.owners[w.owner]; os != nil && os.waiting == w {
		os.waiting, os.waitingKey = nil, ""
	}
	m.wake(key, e)
}

// wake grants what can be granted in e and drops e when unused. m.mu is
// held.
func (m *Manager) wake(key string, e *entry) {
	for _, w := range e.wakeable() {
		os := m.owner(w.owner)
		if h := e.holder(w.owner); h != nil && !containsKey(os.keys, key) {
			os.keys = append(os.keys, key)
		}
		os.waiting, os.waitingKey = nil, ""
		os.logGrant(key, w.mode, w.scope)
		w.granted = true
		close(w.ready)
	}
	m.dropIfUnused(key, e)
}

func containsKey(keys []string, k string) bool {
	for _, x := range keys {
		if x == k {
			return true
		}
	}
	return false
}

func (m *Manager) dropIfUnused(key string, e *entry) {
	if len(e.holders) == 0 && len(e.queue) == 0 {
		delete(m.entries, key)
	}
}

// edges is the wait-for graph: whom o waits for. m.mu is held.
func (m *Manager) edges(o OwnerID) []OwnerID {
	os := m.owners[o]
	if os == nil || os.waiting == nil {
		return nil
	}
	e := m.entries[os.waitingKey]
	if e == nil {
		return nil
	}
	return e.blockers(os.waiting)
}

// describe turns a cycle of owners into edges for the report.
func (m *Manager) describe(cyc []OwnerID) []Edge {
	out := make([]Edge, len(cyc))
	for i, o := range cyc {
		next := cyc[(i+1)%len(cyc)]
		os, ns := m.owners[o], m.owners[next]
		out[i] = Edge{Waiter: os.pid, Blocker: ns.pid, BlockerXID: ns.xid, Key: os.waitingKey,
			Mode: os.waiting.mode, WaiterOwn: o, BlockerOwn: next}
	}
	return out
}

// release drops o's holdings of the given scopes on key (all scopes when
// both is true). m.mu is held.
func (m *Manager) release(o OwnerID, key string, scope Scope, both bool) {
	e := m.entries[key]
	if e == nil {
		return
	}
	if h := e.holder(o); h != nil {
		if both {
			h.counts = [numScopes][numModes]int32{}
		} else {
			h.counts[scope] = [numModes]int32{}
		}
		if h.empty() {
			e.dropHolder(o)
		}
	}
	m.wake(key, e)
}

// ReleaseXact releases every transaction-scope lock of o (its transaction
// ended). Session-scope locks stay.
func (m *Manager) ReleaseXact(o OwnerID) {
	m.mu.Lock()
	defer m.mu.Unlock()
	os := m.owners[o]
	if os == nil {
		return
	}
	kept := os.keys[:0]
	for _, k := range os.keys {
		m.release(o, k, Xact, false)
		if e := m.entries[k]; e != nil && e.holder(o) != nil {
			kept = append(kept, k)
		}
	}
	os.keys = kept
	os.xid = 0
	os.grants, os.logging = nil, false
	// The owner's state is kept, empty, for its next transaction (a
	// session's owner lives as long as the session, which ends with
	// ReleaseAll): dropping it made every transaction allocate it, and
	// its key list, again.
}

// ReleaseAll releases every lock of o, of both scopes (its session ended).
func (m *Manager) ReleaseAll(o OwnerID) {
	m.mu.Lock()
	defer m.mu.Unlock()
	os := m.owners[o]
	if os == nil {
		return
	}
	for _, k := range os.keys {
		m.release(o, k, Xact, true)
	}
	if os.waiting == nil {
		delete(m.owners, o)
	} else {
		os.keys = nil
	}
}

// logGrant records a transaction-scope grant while logging is on.
func (os *ownerState) logGrant(key string, m Mode, s Scope) {
	if os.logging && s == Xact {
		os.grants = append(os.grants, grantRec{key: key, mode: m})
	}
}

// Mark starts (or continues) logging o's transaction-scope grants and
// returns the position of the next one: ReleaseSince(o, mark) gives back
// every grant made after this call. A transaction calls it at each
// SAVEPOINT; the log ends with the transaction (ReleaseXact) or with
// StopLog.
func (m *Manager) Mark(o OwnerID) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	os := m.owner(o)
	os.logging = true
	return len(os.grants)
}

// StopLog ends the grant log of o (its transaction has no savepoints any
// more: no mark can be rolled back to).
func (m *Manager) StopLog(o OwnerID) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if os := m.owners[o]; os != nil {
		os.grants, os.logging = nil, false
		m.dropOwnerIfUnused(o, os)
	}
}

// ReleaseSince gives back the transaction-scope grants o received after
// mark (from Mark), newest first, as PostgreSQL releases the locks of a
// rolled-back subtransaction: a key o also held before mark stays held in
// the earlier modes. Waiters the release unblocks are woken.
func (m *Manager) ReleaseSince(o OwnerID, mark int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	os := m.owners[o]
	if os == nil || mark >= len(os.grants) {
		return
	}
	var gone map[string]bool // keys o no longer holds
	for i := len(os.grants) - 1; i >= mark; i-- {
		g := os.grants[i]
		e := m.entries[g.key]
		if e == nil {
			continue
		}
		h := e.holder(o)
		if h == nil || h.counts[Xact][g.mode] == 0 {
			continue
		}
		h.counts[Xact][g.mode]--
		if h.empty() {
			e.dropHolder(o)
			if gone == nil {
				gone = map[string]bool{}
			}
			gone[g.key] = true
		}
		m.wake(g.key, e)
	}
	os.grants = os.grants[:mark]
	if gone != nil {
		os.keys = slices.DeleteFunc(os.keys, func(k string) bool { return gone[k] })
	}
}

// dropOwnerIfUnused forgets an owner with nothing held, awaited or
// logged. m.mu is held.
func (m *Manager) dropOwnerIfUnused(o OwnerID, os *ownerState) {
	if len(os.keys) == 0 && os.waiting == nil && !os.logging {
		delete(m.owners, o)
	}
}

// Unlock releases one session-scope hold of key in mode by o, as
// pg_advisory_unlock does; it reports false when o held none.
func (m *Manager) Unlock(o OwnerID, key string, mode Mode) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.entries[key]
	if e == nil {
		return false
	}
	h := e.holder(o)
	if h == nil || h.counts[Session][mode] == 0 {
		return false
	}
	h.counts[Session][mode]--
	if h.empty() {
		e.dropHolder(o)
		if os := m.owners[o]; os != nil {
			for i, k := range os.keys {
				if k == key {
					os.keys = append(os.keys[:i], os.keys[i+1:]...)
					break
				}
			}
		}
	}
	m.wake(key, e)
	return true
}

// UnlockAllSession releases every session-scope lock of o
// (pg_advisory_unlock_all).
func (m *Manager) UnlockAllSession(o OwnerID) {
	m.mu.Lock()
	defer m.mu.Unlock()
	os := m.owners[o]
	if os == nil {
		return
	}
	kept := os.keys[:0]
	for _, k := range os.keys {
		m.release(o, k, Session, false)
		if e := m.entries[k]; e != nil && e.holder(o) != nil {
			kept = append(kept, k)
		}
	}
	os.keys = kept
}

// Holds reports whether o holds key in a mode at least as strong as mode
// (one that conflicts with everything mode conflicts with).
func (m *Manager) Holds(o OwnerID, key string, mode Mode) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.entries[key]
	if e == nil {
		return false
	}
	h := e.holder(o)
	if h == nil {
		return false
	}
	for held := Mode(0); held < numModes; held++ {
		if h.holds(held) && covers(held, mode) {
			return true
		}
	}
	return false
}

// HeldByOther reports whether an owner other than o holds key (in any
// mode and scope) or waits for it. key is only read: a caller probing
// many keys can reuse one buffer.
func (m *Manager) HeldByOther(o OwnerID, key []byte) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.entries[string(key)]
	if e == nil {
		return false
	}
	for _, h := range e.holders {
		if h.owner != o {
			return true
		}
	}
	for _, w := range e.queue {
		if w.owner != o {
			return true
		}
	}
	return false
}

// BlockingPIDs returns the process ids of the owners o waits for
// (pg_blocking_pids); nil when o is not waiting.
func (m *Manager) BlockingPIDs(o OwnerID) []uint32 {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []uint32
	for _, b := range m.edges(o) {
		if os := m.owners[b]; os != nil {
			out = append(out, os.pid)
		}
	}
	return out
}

// BlockingPIDsOfPID is BlockingPIDs for the owner whose last request
// carried process id pid (pg_blocking_pids(pid)).
func (m *Manager) BlockingPIDsOfPID(pid uint32) []uint32 {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []uint32
	for o, os := range m.owners {
		if os.pid != pid || os.waiting == nil {
			continue
		}
		for _, b := range m.edges(o) {
			if bs := m.owners[b]; bs != nil {
				out = append(out, bs.pid)
			}
		}
	}
	return out
}

// Waiting reports whether o is queued for a lock.
func (m *Manager) Waiting(o OwnerID) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	os := m.owners[o]
	return os != nil && os.waiting != nil
}

// Len is the number of keys locked or waited for (tests, metrics).
func (m *Manager) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}
