package exec

import (
	"github.com/heliosdb/nano/sql/exec/memacct"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

// mergeJoinPlan is an inner equi-join of two inputs that both come in
// ascending order of their integer key column (tables read in primary key
// order, joined on their first key columns): the inputs are read side by
// side, each right row once, and the right rows of one key value are held
// while the left rows with that value pass. No table is built, and the
// join stops when the right side ends. on filters the joined rows.
//
// The order is the scans' promise; a left key smaller than the one before
// is an internal error, never a silently wrong join.
type mergeJoinPlan struct {
	left, right plan
	lkey, rkey  int // the key column of each side
	lname       string
	rname       string
	on          *cexpr
	out         []colInfo
}

func newMergeJoinPlan(l, r plan, lkey, rkey int, lname, rname string, on *cexpr) *mergeJoinPlan {
	return &mergeJoinPlan{left: l, right: r, lkey: lkey, rkey: rkey, lname: lname, rname: rname, on: on, out: joinCols(l, r)}
}

func (p *mergeJoinPlan) cols() []colInfo { return append([]colInfo(nil), p.out...) }

func (p *mergeJoinPlan) explain(x *explainer, depth int) {
	x.add(depth, "Merge Join")
	x.detail(depth, "Merge Cond: ("+p.lname+" = "+p.rname+")")
	if p.on != nil {
		x.detail(depth, "Join Filter: "+p.on.s)
	}
	x.child(p.left, depth+1)
	x.child(p.right, depth+1)
}

// mergeKeyOf is an integer key column's value; ok=false for NULL.
func mergeKeyOf(row []Datum, i int) (int64, bool) {
	if row[i] == nil {
		return 0, false
	}
	return types.Int64Of(row[i]), true
}

func (p *mergeJoinPlan) start(e *env) (iter, error) {
	left, err := startPlan(e, p.left)
	if err != nil {
		return nil, err
	}
	right, err := startPlan(e, p.right)
	if err != nil {
		left.close()
		return nil, err
	}
	m := &mergeRun{e: e, p: p, left: left, right: right, budget: e.budget()}
	return &funcIter{nx: m.next, cl: m.close}, nil
}

// mergeRun is one execution of a merge join.
type mergeRun struct {
	e           *env
	p           *mergeJoinPlan
	left, right iter
	budget      *memacct.Budget
	held        int64

	cur      []Datum   // the left row being joined
	group    [][]Datum // the right rows whose key is groupKey
	gi       int       // the next of group to join with cur
	groupOK  bool
	gkey     int64
	ahead    []Datum // a right row read past the group
	rdone    bool
	lastKey  int64 // the last left key, to check the order
	started  bool
	rlast    int64 // the last right key
	rstarted bool
}

func (m *mergeRun) next() ([]Datum, error) {
	for {
		if m.cur != nil && m.gi < len(m.group) {
			g := m.group[m.gi]
			m.gi++
			row := make([]Datum, 0, len(m.cur)+len(g))
			row = append(append(row, m.cur...), g...)
			if m.p.on != nil {
				v, err := m.p.on.fn(m.e, row)
				if err != nil {
					return nil, err
				}
				if v != true {
					continue
				}
			}
			return row, nil
		}
		if err := m.e.checkCancel(); err != nil {
			return nil, err
		}
		l, err := m.left.next()
		if err != nil || l == nil {
			m.cur = nil
			return nil, err
		}
		k, ok := mergeKeyOf(l, m.p.lkey)
		if !ok {
			continue // NULL = anything is never true
		}
		if m.started && k < m.lastKey {
			return nil, pgerror.Newf(pgerror.InternalError, "merge join: left input out of order (%d after %d)", k, m.lastKey)
		}
		m.started, m.lastKey = true, k
		if err := m.seek(k); err != nil {
			return nil, err
		}
		if len(m.group) == 0 && m.rdone && m.ahead == nil {
			m.cur = nil
			return nil, nil // no right row is left for this key or any larger
		}
		m.cur, m.gi = l, 0
	}
}

// seek makes group the right rows whose key is k, reading past smaller ones.
func (m *mergeRun) seek(k int64) error {
	if m.groupOK && m.gkey == k {
		return nil
	}
	m.group = m.group[:0]
	m.budget.Shrink(m.held)
	m.held = 0
	m.groupOK, m.gkey = true, k
	for {
		r := m.ahead
		m.ahead = nil
		if r == nil {
			if m.rdone {
				return nil
			}
			var err error
			if r, err = m.right.next(); err != nil {
				return err
			}
			if r == nil {
				m.rdone = true
				return nil
			}
		}
		rk, ok := mergeKeyOf(r, m.p.rkey)
		if !ok {
			continue
		}
		if m.rstarted && rk < m.rlast {
			return pgerror.Newf(pgerror.InternalError, "merge join: right input out of order (%d after %d)", rk, m.rlast)
		}
		m.rstarted, m.rlast = true, rk
		if rk < k {
			continue
		}
		if rk > k {
			m.ahead = r
			return nil
		}
		// A group is held whatever work_mem says (as a hash join's
		// bucket); the statement's limit still applies (53200).
		n := memacct.RowSize(r) + 24
		if err := m.budget.Grow(n); err != nil {
			return err
		}
		m.held += n
		m.group = append(m.group, r)
	}
}

func (m *mergeRun) close() {
	m.budget.Shrink(m.held)
	m.held = 0
	m.group = nil
	m.left.close()
	m.right.close()
}
