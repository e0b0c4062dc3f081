package exec

import (
	"context"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/heliosdb/nano/sql/exec/memacct"
	"github.com/heliosdb/nano/sql/exec/spill"
)

// defaultWorkMem is PostgreSQL's default work_mem (4MB), used when the
// session gives none.
const defaultWorkMem = 4 << 20

// workMemOf reads work_mem (a validated setting: "4MB", "64kB", "1GB",
// or an integer number of kB) from vars.
func workMemOf(vars Vars) int64 {
	if vars == nil {
		return defaultWorkMem
	}
	v, ok := vars.Get("work_mem")
	if !ok {
		return defaultWorkMem
	}
	return parseMemSetting(v, defaultWorkMem)
}

// parseMemSetting parses a memory setting in PostgreSQL's units (base
// unit kB); def when it does not parse.
func parseMemSetting(v string, def int64) int64 {
	v = strings.TrimSpace(v)
	mult := int64(1 << 10)
	for _, u := range []struct {
		s string
		m int64
	}{{"TB", 1 << 40}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"kB", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(v, u.s) {
			v, mult = strings.TrimSpace(strings.TrimSuffix(v, u.s)), u.m
			break
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return def
	}
	return n * mult
}

// stmtMem is the memory and temporary files of one running statement.
type stmtMem struct {
	acct *memacct.Account
	// work_mem is read from vars at the first budget (most statements,
	// point selects among them, have no operator that takes one).
	vars    Vars
	workMem int64 // -1 until read
	// space is made by the first operator that may spill (env.space):
	// most statements have none. acctBuf holds acct: one allocation per
	// statement instead of three.
	space   *spill.Space
	tempDir string
	acctBuf memacct.Account
}

func (e *Engine) newStmtMem(vars Vars) *stmtMem {
	m := &stmtMem{acctBuf: *memacct.NewAccount(e.cfg.StatementMemoryLimit), vars: vars, workMem: -1,
		tempDir: e.cfg.TempDir}
	m.acct = &m.acctBuf
	return m
}

// budget returns a new operator budget of work_mem.
func (m *stmtMem) budget() *memacct.Budget {
	if m == nil {
		return nil
	}
	if m.workMem < 0 {
		m.workMem = workMemOf(m.vars)
	}
	return memacct.NewBudget(m.acct, m.workMem)
}

// end closes the statement's temporary files and, after a statement that
// used a lot of memory, has the engine give it back to the OS.
func (e *Engine) endStmt(m *stmtMem) {
	if m == nil {
		return
	}
	if m.space != nil {
		e.tempBytes.Add(m.space.Written())
		if err := m.space.Close(); err != nil {
			e.log.Warn("closing temporary files", "err", err)
		}
	}
	if e.cfg.ReclaimAbove > 0 && m.acct.Peak() > e.cfg.ReclaimAbove {
		e.rec.reclaim()
	}
}

// TempBytesWritten returns the bytes statements have written to temporary
// files (spilling past work_mem) since the engine started.
func (e *Engine) TempBytesWritten() int64 { return e.tempBytes.Load() }

// reclaimer runs debug.FreeOSMemory in the background, one at a time; a
// request while one runs makes it run once more afterwards.
type reclaimer struct {
	mu      sync.Mutex
	running bool
	again   bool
}

func (r *reclaimer) reclaim() {
	r.request()
	// Again later: the statement's last values (a row the session still
	// holds while pgwire sends or refuses it, a value a slow client is
	// still being sent on a loaded machine) may be freed only after its
	// account closed, and without allocations after that no GC would run
	// and the heap would stay at its peak (the soak once saw the node stay
	// at 580 MB for a minute).
	for _, d := range reclaimAgain {
		time.AfterFunc(d, r.request)
	}
}

var reclaimAgain = []time.Duration{time.Second, 5 * time.Second, 15 * time.Second}

func (r *reclaimer) request() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.running {
		r.again = true
		return
	}
	r.running = true
	go r.loop()
}

func (r *reclaimer) loop() {
	for {
		debug.FreeOSMemory()
		r.mu.Lock()
		if !r.again {
			r.running = false
			r.mu.Unlock()
			return
		}
		r.again = false
		r.mu.Unlock()
	}
}

// stmtCursor ends the statement's memory accounting when closed.
type stmtCursor struct {
	Cursor
	eng *Engine
	mem *stmtMem
	txn *Txn // counts the cursor as open until Close
}

func (c *stmtCursor) Next(ctx context.Context) ([]Datum, error) {
	row, err := c.Cursor.Next(ctx)
	if err != nil || row == nil {
		c.Close()
	}
	return row, err
}

func (c *stmtCursor) Close() {
	c.Cursor.Close()
	if c.txn != nil {
		c.txn.openCursors--
		c.txn = nil
	}
	if c.mem != nil {
		c.eng.endStmt(c.mem)
		c.mem = nil
	}
}

// account returns the statement's memory account (nil = unlimited, as
// when constants are folded at plan time).
func (e *env) account() *memacct.Account {
	if e == nil || e.mem == nil {
		return nil
	}
	return e.mem.acct
}

// budget returns a new work_mem budget for an operator.
func (e *env) budget() *memacct.Budget {
	if e == nil || e.mem == nil {
		return nil
	}
	return e.mem.budget()
}

// space returns the statement's temporary-file space.
func (e *env) space() *spill.Space {
	if e == nil || e.mem == nil {
		return spill.NewSpace("")
	}
	if e.mem.space == nil {
		e.mem.space = spill.NewSpace(e.mem.tempDir)
	}
	return e.mem.space
}
