package exec

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/catalog"
	planner "github.com/heliosdb/nano/sql/plan"
	"github.com/heliosdb/nano/sql/types"
)

// keyPred is a WHERE conjunct usable as a key bound: col op value.
type keyPred struct {
	node *pg_query.Node
	col  int
	op   planner.Op
	val  *cexpr
	val2 *cexpr
	list []*cexpr
	used bool
}

// scanKeys lists the keys a scan of t can use, primary key first, for
// planner.ChooseAccess.
func scanKeys(t *catalog.Table) []planner.Key {
	keys := make([]planner.Key, 0, 1+len(t.Indexes))
	keys = append(keys, planner.Key{Index: -1, Cols: t.PrimaryKey, Unique: true, Hidden: t.HasHiddenKey()})
	for i, ix := range t.Indexes {
		keys = append(keys, planner.Key{Index: i, Cols: ix.Columns, Unique: ix.Unique})
	}
	return keys
}

// chooseAccess sets the key range (primary key or a secondary index) that
// planner.ChooseAccess picks for sp from the conjuncts and returns the
// conjuncts left to filter by.
func (b *builder) chooseAccess(sp *scanPlan, s *scope, conj []*pg_query.Node) ([]*cexpr, error) {
	preds := make([]*keyPred, 0, len(conj))
	for _, n := range conj {
		if kp := b.keyPredicate(sp, s, n); kp != nil {
			preds = append(preds, kp)
		}
	}
	b.applyAccess(sp, preds)
	var rest []*cexpr
	for _, n := range conj {
		skip := false
		for _, p := range preds {
			if p.node == n && p.used {
				skip = true
			}
		}
		if skip {
			continue
		}
		e, err := b.compile(s, n, types.Bool)
		if err != nil {
			return nil, err
		}
		rest = append(rest, e)
	}
	return rest, nil
}

// applyAccess asks the planner for sp's access path over preds, sets the
// scan's key range and marks the predicates it consumes.
func (b *builder) applyAccess(sp *scanPlan, preds []*keyPred) {
	keys := scanKeys(sp.tbl)
	kps := make([]planner.KeyPred, len(preds))
	for i, p := range preds {
		kps[i] = planner.KeyPred{Col: p.col, Op: p.op, N: len(p.list)}
	}
	a := planner.ChooseAccess(keys, kps)
	if a.FullScan() {
		return
	}
	k := keys[a.Key]
	if k.Index >= 0 {
		sp.index = &sp.tbl.Indexes[k.Index]
	}
	sp.rng = keyRangeOf(sp.tbl, k.Cols, preds, a)
	for _, u := range a.Used() {
		preds[u].used = true
	}
}

// keyRangeOf turns the planner's choice into the run-time key range.
func keyRangeOf(t *catalog.Table, cols []int, preds []*keyPred, a planner.Access) *keyRange {
	r := &keyRange{}
	for i, pi := range a.Eq {
		p := preds[pi]
		r.eq = append(r.eq, p.val)
		r.conds = append(r.conds, t.Columns[cols[i]].Name+" = "+p.val.s)
	}
	if len(a.Eq) == len(cols) {
		return r
	}
	name := t.Columns[cols[len(a.Eq)]].Name
	switch {
	case a.In >= 0:
		r.in = preds[a.In].list
		r.conds = append(r.conds, name+" = ANY (...)")
	case a.Between >= 0:
		p := preds[a.Between]
		r.lo, r.hi, r.loInc, r.hiInc = p.val, p.val2, true, true
		r.conds = append(r.conds, name+" >= "+p.val.s, name+" <= "+p.val2.s)
	default:
		if a.Lo >= 0 {
			p := preds[a.Lo]
			r.lo, r.loInc = p.val, p.op == planner.OpGe
			r.conds = append(r.conds, name+" "+p.op.String()+" "+p.val.s)
		}
		if a.Hi >= 0 {
			p := preds[a.Hi]
			r.hi, r.hiInc = p.val, p.op == planner.OpLe
			r.conds = append(r.conds, name+" "+p.op.String()+" "+p.val.s)
		}
	}
	return r
}

// opOf maps a comparison operator's name to its planner.Op (0: not a key
// comparison).
var opOf = map[string]planner.Op{"=": planner.OpEq, "<": planner.OpLt, "<=": planner.OpLe, ">": planner.OpGt, ">=": planner.OpGe}

// keyPredicate recognises col op value where value does not reference
// the scanned row.
func (b *builder) keyPredicate(sp *scanPlan, s *scope, n *pg_query.Node) *keyPred {
	a := n.GetAExpr()
	if a == nil {
		return nil
	}
	op := ""
	if len(a.Name) > 0 {
		op = strVal(a.Name[len(a.Name)-1])
	}
	switch a.Kind {
	case pg_query.A_Expr_Kind_AEXPR_OP:
		pop := opOf[op]
		if pop == 0 || a.Lexpr == nil {
			return nil
		}
		if col, ok := b.keyColumn(sp, s, a.Lexpr); ok {
			if v := b.keyValue(s, a.Rexpr, sp.tbl.Columns[col].Type); v != nil {
				return &keyPred{node: n, col: col, op: pop, val: v}
			}
		}
		if col, ok := b.keyColumn(sp, s, a.Rexpr); ok {
			if v := b.keyValue(s, a.Lexpr, sp.tbl.Columns[col].Type); v != nil {
				return &keyPred{node: n, col: col, op: pop.Flip(), val: v}
			}
		}
	case pg_query.A_Expr_Kind_AEXPR_IN:
		col, ok := b.keyColumn(sp, s, a.Lexpr)
		list := a.Rexpr.GetList()
		if !ok || op != "=" || list == nil {
			return nil
		}
		kp := &keyPred{node: n, col: col, op: planner.OpIn}
		for _, it := range list.Items {
			v := b.keyValue(s, it, sp.tbl.Columns[col].Type)
			if v == nil {
				return nil
			}
			kp.list = append(kp.list, v)
		}
		return kp
	case pg_query.A_Expr_Kind_AEXPR_BETWEEN:
		col, ok := b.keyColumn(sp, s, a.Lexpr)
		list := a.Rexpr.GetList()
		if !ok || list == nil {
			return nil
		}
		t := sp.tbl.Columns[col].Type
		lo, hi := b.keyValue(s, list.Items[0], t), b.keyValue(s, list.Items[1], t)
		if lo == nil || hi == nil {
			return nil
		}
		return &keyPred{node: n, col: col, op: planner.OpBetween, val: lo, val2: hi}
	}
	return nil
}

func (b *builder) keyColumn(sp *scanPlan, s *scope, n *pg_query.Node) (int, bool) {
	cr := n.GetColumnRef()
	if cr == nil {
		return 0, false
	}
	e, err := b.compile(s, n, types.Unknown)
	if err != nil || e.colIdx < 0 {
		return 0, false
	}
	_ = cr
	return e.colIdx, true
}

// keyValue compiles n without access to the scanned row; nil when it
// references the row or has a type of another family.
func (b *builder) keyValue(s *scope, n *pg_query.Node, t types.T) *cexpr {
	saved := len(b.params)
	empty := &scope{parent: s.parent, excluded: -1}
	e, err := b.compile(empty, n, t)
	if err != nil {
		b.params = b.params[:saved]
		return nil
	}
	if e.t.Family() != t.Family() && !e.unknown {
		return nil
	}
	if !e.unknown && t.Family() == types.FamString && planner.StringCommonType(t, e.t).Oid != t.Oid && e.t != t {
		// char(n) = text compares as text, varchar = char(n) as bpchar:
		// not in the order of the column's key.
		return nil
	}
	return e
}
