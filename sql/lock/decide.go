package lock

// Mode is a lock strength. The row-lock modes are PostgreSQL's, weakest
// first.
type Mode uint8

// Lock modes.
const (
	ForKeyShare Mode = iota
	ForShare
	ForNoKeyUpdate
	ForUpdate
	numModes

	// Shared and Exclusive are the two advisory-lock modes.
	Shared    = ForShare
	Exclusive = ForUpdate
)

var modeNames = [numModes]string{"ForKeyShare", "ForShare", "ForNoKeyUpdate", "ForUpdate"}

func (m Mode) String() string {
	if m < numModes {
		return modeNames[m]
	}
	return "Mode(?)"
}

// conflictTable is PostgreSQL's row-lock conflict table
// (https://www.postgresql.org/docs/15/explicit-locking.html#ROW-LOCK-COMPATIBILITY).
var conflictTable = [numModes][numModes]bool{
	ForKeyShare:    {ForUpdate: true},
	ForShare:       {ForNoKeyUpdate: true, ForUpdate: true},
	ForNoKeyUpdate: {ForShare: true, ForNoKeyUpdate: true, ForUpdate: true},
	ForUpdate:      {ForKeyShare: true, ForShare: true, ForNoKeyUpdate: true, ForUpdate: true},
}

// Conflicts reports whether a lock in mode a held by one owner blocks mode
// b for another.
func Conflicts(a, b Mode) bool { return conflictTable[a][b] }

// Scope says when a lock is released.
type Scope uint8

// Scopes.
const (
	Xact    Scope = iota // at the end of the owner's transaction
	Session              // by Unlock, or when the owner goes away
	numScopes
)

// Policy says what Acquire does when the lock is not free.
type Policy uint8

// Policies.
const (
	Wait       Policy = iota // queue until granted (or ctx ends, or deadlock)
	NoWait                   // fail with ErrWouldBlock (NOWAIT, 55P03)
	SkipLocked               // return false (SKIP LOCKED, pg_try_advisory_lock)
)

// OwnerID identifies a lock owner: one session.
type OwnerID uint64

// holder is one owner's holding of a key: a count per scope and mode
// (advisory session locks nest; transaction locks are counted too but all
// released together).
type holder struct {
	owner  OwnerID
	counts [numScopes][numModes]int32
}

func (h *holder) holds(m Mode) bool {
	return h.counts[Xact][m] > 0 || h.counts[Session][m] > 0
}

func (h *holder) empty() bool {
	for s := range h.counts {
		for m := range h.counts[s] {
			if h.counts[s][m] > 0 {
				return false
			}
		}
	}
	return true
}

// conflictsWith reports whether any mode h holds conflicts with m.
func (h *holder) conflictsWith(m Mode) bool {
	for held := Mode(0); held < numModes; held++ {
		if h.holds(held) && Conflicts(held, m) {
			return true
		}
	}
	return false
}

// waiter is a queued request.
type waiter struct {
	owner   OwnerID
	mode    Mode
	scope   Scope
	ready   chan struct{} // closed when granted
	granted bool
}

// entry is the state of one key: who holds it and who waits, in order.
type entry struct {
	holders []holder
	queue   []*waiter
}

func (e *entry) holder(o OwnerID) *holder {
	for i := range e.holders {
		if e.holders[i].owner == o {
			return &e.holders[i]
		}
	}
	return nil
}

// grantable decides whether owner o may take mode m now: no other owner's
// holding conflicts and, unless o already holds the key, no other owner
// queued before position `before` (len(queue) for a new request) wants a
// conflicting mode.
func (e *entry) grantable(o OwnerID, m Mode, before int) bool {
	for i := range e.holders {
		h := &e.holders[i]
		if h.owner != o && h.conflictsWith(m) {
			return false
		}
	}
	if e.holder(o) != nil {
		return true
	}
	for _, w := range e.queue[:before] {
		if w.owner != o && Conflicts(w.mode, m) {
			return false
		}
	}
	return true
}

// grant records that o holds m in scope s. It reports whether o is a new
// holder of the key.
func (e *entry) grant(o OwnerID, m Mode, s Scope) (newHolder bool) {
	h := e.holder(o)
	if h == nil {
		e.holders = append(e.holders, holder{owner: o})
		h = &e.holders[len(e.holders)-1]
		newHolder = true
	}
	h.counts[s][m]++
	return newHolder
}

// dropHolder removes o's holding entirely.
func (e *entry) dropHolder(o OwnerID) {
	for i := range e.holders {
		if e.holders[i].owner == o {
			e.holders = append(e.holders[:i], e.holders[i+1:]...)
			return
		}
	}
}

// wakeable returns the queued waiters that can be granted now, in queue
// order: each is checked against the holders (including those granted
// before it in this pass) and the waiters still queued ahead of it. The
// caller grants them.
func (e *entry) wakeable() []*waiter {
	var out []*waiter
	kept := e.queue[:0:0]
	for _, w := range e.queue {
		probe := entry{holders: e.holders, queue: kept}
		if probe.grantable(w.owner, w.mode, len(kept)) {
			e.grant(w.owner, w.mode, w.scope)
			out = append(out, w)
			continue
		}
		kept = append(kept, w)
	}
	e.queue = kept
	return out
}

// blockers returns the owners that w (queued in e) waits for: holders of a
// conflicting mode and conflicting waiters queued ahead of it.
func (e *entry) blockers(w *waiter) []OwnerID {
	var out []OwnerID
	for i := range e.holders {
		h := &e.holders[i]
		if h.owner != w.owner && h.conflictsWith(w.mode) {
			out = append(out, h.owner)
		}
	}
	if e.holder(w.owner) != nil {
		return out
	}
	for _, q := range e.queue {
		if q == w {
			break
		}
		if q.owner != w.owner && Conflicts(q.mode, w.mode) {
			out = append(out, q.owner)
		}
	}
	return out
}

// findCycle looks for a path in the wait-for graph from start back to
// start and returns it as [start, b1, …, bn] where each waits for the
// next and bn waits for start; nil when there is none. edges must be
// deterministic for a given graph.
func findCycle(start OwnerID, edges func(OwnerID) []OwnerID) []OwnerID {
	visited := map[OwnerID]bool{}
	var path []OwnerID
	var dfs func(o OwnerID) bool
	dfs = func(o OwnerID) bool {
		path = append(path, o)
		visited[o] = true
		for _, n := range edges(o) {
			if n == start {
				return true
			}
			if !visited[n] && dfs(n) {
				return true
			}
		}
		path = path[:len(path)-1]
		return false
	}
	if dfs(start) {
		return path
	}
	return nil
}
