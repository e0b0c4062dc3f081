package lock

// Mode is a lock strength: PostgreSQL's four row-lock modes, then its
// eight table-lock modes, each family weakest first. A key is locked in
// modes of one family only (rows and advisory locks in row modes, tables
// in table modes).
type Mode uint8

// Lock modes.
const (
	ForKeyShare Mode = iota
	ForShare
	ForNoKeyUpdate
	ForUpdate

	AccessShare          // SELECT
	RowShare             // SELECT … FOR UPDATE/SHARE
	RowExclusive         // INSERT, UPDATE, DELETE
	ShareUpdateExclusive // VACUUM, ANALYZE
	Share                // CREATE INDEX
	ShareRowExclusive    //
	ExclusiveTable       // (EXCLUSIVE)
	AccessExclusive      // DROP, TRUNCATE, ALTER TABLE, LOCK TABLE's default
	numModes

	numRowModes = AccessShare

	// Shared and Exclusive are the two advisory-lock modes.
	Shared    = ForShare
	Exclusive = ForUpdate
)

var modeNames = [numModes]string{"ForKeyShare", "ForShare", "ForNoKeyUpdate", "ForUpdate",
	"AccessShareLock", "RowShareLock", "RowExclusiveLock", "ShareUpdateExclusiveLock", "ShareLock",
	"ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock"}

func (m Mode) String() string {
	if m < numModes {
		return modeNames[m]
	}
	return "Mode(?)"
}

// IsTableMode reports whether m is one of the eight table-lock modes.
func IsTableMode(m Mode) bool { return m >= AccessShare && m < numModes }

// TableModeByNumber maps PostgreSQL's lock mode numbers (LOCKMODE, 1 =
// AccessShareLock … 8 = AccessExclusiveLock, as LOCK TABLE's parse tree
// carries them) to a Mode.
func TableModeByNumber(n int) (Mode, bool) {
	if n < 1 || n > 8 {
		return 0, false
	}
	return AccessShare + Mode(n-1), true
}

// conflictTable is PostgreSQL's row-lock conflict table
// (https://www.postgresql.org/docs/15/explicit-locking.html#ROW-LOCK-COMPATIBILITY)
// and its table-lock conflict table (table 13.2).
var conflictTable = [numModes][numModes]bool{
	ForKeyShare:    {ForUpdate: true},
	ForShare:       {ForNoKeyUpdate: true, ForUpdate: true},
	ForNoKeyUpdate: {ForShare: true, ForNoKeyUpdate: true, ForUpdate: true},
	ForUpdate:      {ForKeyShare: true, ForShare: true, ForNoKeyUpdate: true, ForUpdate: true},

	AccessShare:  {AccessExclusive: true},
	RowShare:     {ExclusiveTable: true, AccessExclusive: true},
	RowExclusive: {Share: true, ShareRowExclusive: true, ExclusiveTable: true, AccessExclusive: true},
	ShareUpdateExclusive: {ShareUpdateExclusive: true, Share: true, ShareRowExclusive: true, ExclusiveTable: true,
		AccessExclusive: true},
	Share: {RowExclusive: true, ShareUpdateExclusive: true, ShareRowExclusive: true, ExclusiveTable: true,
		AccessExclusive: true},
	ShareRowExclusive: {RowExclusive: true, ShareUpdateExclusive: true, Share: true, ShareRowExclusive: true,
		ExclusiveTable: true, AccessExclusive: true},
	ExclusiveTable: {RowShare: true, RowExclusive: true, ShareUpdateExclusive: true, Share: true,
		ShareRowExclusive: true, ExclusiveTable: true, AccessExclusive: true},
	AccessExclusive: {AccessShare: true, RowShare: true, RowExclusive: true, ShareUpdateExclusive: true, Share: true,
		ShareRowExclusive: true, ExclusiveTable: true, AccessExclusive: true},
}

// Covers reports whether holding a covers a request for b (see covers).
func Covers(a, b Mode) bool { return covers(a, b) }

// covers reports whether holding a covers a request for b: a and b are of
// one family and a conflicts with everything b conflicts with.
func covers(a, b Mode) bool {
	if IsTableMode(a) != IsTableMode(b) {
		return false
	}
	for x := Mode(0); x < numModes; x++ {
		if conflictTable[b][x] && !conflictTable[a][x] {
			return false
		}
	}
	return true
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
	// first backs holders while there is one: most keys (the rows a
	// statement writes) have a single holder, and keeping it here saves
	// an allocation per row lock.
	first [1]holder
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
		if e.holders == nil {
			e.holders = e.first[:0]
		}
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

// earlyDeadlock is PostgreSQL's early deadlock check (ProcSleep): o,
// about to queue for m, already holds the key; a waiter queued for a mode
// that o's holding blocks, and whose own holding blocks m, waits for o
// while o would wait for it. It returns that waiter, or nil.
func (e *entry) earlyDeadlock(o OwnerID, m Mode) *waiter {
	mine := e.holder(o)
	if mine == nil {
		return nil
	}
	for _, w := range e.queue {
		if w.owner == o || !mine.conflictsWith(w.mode) {
			continue
		}
		if theirs := e.holder(w.owner); theirs != nil && theirs.conflictsWith(m) {
			return w
		}
	}
	return nil
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
