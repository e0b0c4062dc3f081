package exec

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/types"
)

// keyPred is a WHERE conjunct usable as a key bound: col op value.
type keyPred struct {
	node *pg_query.Node
	col  int
	op   string // "=", "<", "<=", ">", ">=", "in", "between"
	val  *cexpr
	val2 *cexpr
	list []*cexpr
	used bool
}

// chooseAccess picks the best key range (primary key or a secondary index)
// for sp from the conjuncts and returns the conjuncts left to filter by.
func (b *builder) chooseAccess(sp *scanPlan, s *scope, conj []*pg_query.Node) ([]*cexpr, error) {
	preds := make([]*keyPred, 0, len(conj))
	for _, n := range conj {
		if kp := b.keyPredicate(sp, s, n); kp != nil {
			preds = append(preds, kp)
		}
	}
	best, bestScore := -2, 0
	var bestRng *keyRange
	var bestUsed []*keyPred
	cands := [][]int{sp.tbl.PrimaryKey}
	for _, ix := range sp.tbl.Indexes {
		cands = append(cands, ix.Columns)
	}
	for ci, cols := range cands {
		rng, used, score := buildRange(sp.tbl, cols, preds)
		if ci == 0 && sp.tbl.HasHiddenKey() {
			continue
		}
		if score > bestScore {
			best, bestScore, bestRng, bestUsed = ci-1, score, rng, used
		}
	}
	if best >= -1 {
		sp.rng = bestRng
		if best >= 0 {
			sp.index = &sp.tbl.Indexes[best]
		}
		for _, u := range bestUsed {
			u.used = true
		}
	}
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

func buildRange(t *catalog.Table, cols []int, preds []*keyPred) (*keyRange, []*keyPred, int) {
	r := &keyRange{}
	var used []*keyPred
	score := 0
	for i, c := range cols {
		var eq, in, lo, hi, btw *keyPred
		for _, p := range preds {
			if p.col != c {
				continue
			}
			switch p.op {
			case "=":
				eq = p
			case "in":
				in = p
			case ">", ">=":
				lo = p
			case "<", "<=":
				hi = p
			case "between":
				btw = p
			}
		}
		name := t.Columns[c].Name
		switch {
		case eq != nil:
			r.eq = append(r.eq, eq.val)
			r.conds = append(r.conds, name+" = "+eq.val.s)
			used = append(used, eq)
			score += 10
			continue
		case in != nil && i == 0 && len(cols) == 1:
			r.in = in.list
			r.conds = append(r.conds, name+" = ANY (...)")
			used = append(used, in)
			score += 8
		case btw != nil:
			r.lo, r.hi, r.loInc, r.hiInc = btw.val, btw.val2, true, true
			r.conds = append(r.conds, name+" >= "+btw.val.s, name+" <= "+btw.val2.s)
			used = append(used, btw)
			score += 4
		case lo != nil || hi != nil:
			if lo != nil {
				r.lo, r.loInc = lo.val, lo.op == ">="
				r.conds = append(r.conds, name+" "+lo.op+" "+lo.val.s)
				used = append(used, lo)
				score += 2
			}
			if hi != nil {
				r.hi, r.hiInc = hi.val, hi.op == "<="
				r.conds = append(r.conds, name+" "+hi.op+" "+hi.val.s)
				used = append(used, hi)
				score += 2
			}
		}
		break
	}
	if len(r.eq) == len(cols) && len(cols) > 0 {
		score += 5
	}
	return r, used, score
}

var flipOp = map[string]string{"=": "=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}

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
		if _, ok := flipOp[op]; !ok || a.Lexpr == nil {
			return nil
		}
		if col, ok := b.keyColumn(sp, s, a.Lexpr); ok {
			if v := b.keyValue(s, a.Rexpr, sp.tbl.Columns[col].Type); v != nil {
				return &keyPred{node: n, col: col, op: op, val: v}
			}
		}
		if col, ok := b.keyColumn(sp, s, a.Rexpr); ok {
			if v := b.keyValue(s, a.Lexpr, sp.tbl.Columns[col].Type); v != nil {
				return &keyPred{node: n, col: col, op: flipOp[op], val: v}
			}
		}
	case pg_query.A_Expr_Kind_AEXPR_IN:
		col, ok := b.keyColumn(sp, s, a.Lexpr)
		list := a.Rexpr.GetList()
		if !ok || op != "=" || list == nil {
			return nil
		}
		kp := &keyPred{node: n, col: col, op: "in"}
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
		return &keyPred{node: n, col: col, op: "between", val: lo, val2: hi}
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
	return e
}
