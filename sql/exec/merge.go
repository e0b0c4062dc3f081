package exec

import (
	"fmt"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/lock"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

// MERGE (PostgreSQL 15): the source is left-joined with the target on the
// join condition; each source row with a target row runs the first WHEN
// MATCHED clause whose condition holds, each without one the first WHEN
// NOT MATCHED clause. A target row is changed at most once (21000
// otherwise). Under READ COMMITTED a target row a concurrent transaction
// changed while we waited for its lock is taken in its newest version: the
// join condition is rechecked on it and the MATCHED clauses evaluated again
// from the first; when it no longer matches (or was deleted) the NOT
// MATCHED clauses run instead, as PostgreSQL documents.

type mergeAction struct {
	kind pg_query.CmdType // CMD_UPDATE, CMD_DELETE, CMD_INSERT or CMD_NOTHING
	cond *cexpr           // AND condition; nil = always
	// UPDATE: columns set and their values; INSERT: target columns and
	// their values (nil value = DEFAULT).
	cols  []int
	exprs []*cexpr
}

type mergePlan struct {
	src       plan // source LEFT JOIN target: the source's columns first
	srcWidth  int
	sp        *scanPlan // the target, for row locks
	tbl       *catalog.Table
	on        *cexpr // the join condition over a joined row
	matched   []*mergeAction
	unmatched []*mergeAction
	defs      []*cexpr
	mode      lock.Mode
}

func (b *builder) buildMerge(ms *pg_query.MergeStmt) (runner, []colInfo, error) {
	if ms.WithClause != nil {
		return nil, nil, pgerror.New(pgerror.FeatureNotSupported, "WITH in MERGE is not supported")
	}
	if len(ms.ReturningList) > 0 {
		return nil, nil, pgerror.New(pgerror.SyntaxError, `syntax error at or near "RETURNING"`)
	}
	t, err := b.buildRangeVar(ms.Relation)
	if err != nil {
		return nil, nil, err
	}
	sp, ok := t.(*scanPlan)
	if !ok {
		return nil, nil, pgerror.Newf(pgerror.WrongObjectType, "cannot execute MERGE on relation %q", ms.Relation.Relname)
	}
	tbl := sp.tbl
	if name, dup := duplicateFromName([]*pg_query.Node{ms.SourceRelation, {Node: &pg_query.Node_RangeVar{RangeVar: ms.Relation}}}, true); dup {
		return nil, nil, pgerror.Newf(pgerror.DuplicateAlias, "name %q specified more than once", name).
			WithDetail("The name is used both as MERGE target table and data source.")
	}
	join := &pg_query.Node{Node: &pg_query.Node_JoinExpr{JoinExpr: &pg_query.JoinExpr{
		Jointype: pg_query.JoinType_JOIN_LEFT,
		Larg:     ms.SourceRelation,
		Rarg:     &pg_query.Node{Node: &pg_query.Node_RangeVar{RangeVar: ms.Relation}},
		Quals:    ms.JoinCondition,
	}}}
	src, s, err := b.buildFromWhere([]*pg_query.Node{join}, nil, nil)
	if err != nil {
		return nil, nil, err
	}
	p := &mergePlan{src: src, srcWidth: len(src.cols()) - len(sp.columns), sp: sp, tbl: tbl}
	if p.on, err = b.compile(s, ms.JoinCondition, types.Bool); err != nil {
		return nil, nil, err
	}
	if p.defs, err = b.defaults(tbl); err != nil {
		return nil, nil, err
	}
	p.mode = lock.ForNoKeyUpdate
	for _, n := range ms.MergeWhenClauses {
		wc := n.GetMergeWhenClause()
		a := &mergeAction{kind: wc.CommandType}
		if wc.Condition != nil {
			if a.cond, err = b.compile(s, wc.Condition, types.Bool); err != nil {
				return nil, nil, err
			}
		}
		switch wc.CommandType {
		case pg_query.CmdType_CMD_UPDATE:
			for _, tn := range wc.TargetList {
				rt := tn.GetResTarget()
				i := tbl.ColumnIndex(rt.Name)
				if i < 0 || tbl.Columns[i].Hidden {
					return nil, nil, b.errAt(pgerror.Newf(pgerror.UndefinedColumn, "column %q of relation %q does not exist", rt.Name, tbl.Name), rt.Location)
				}
				if len(rt.Indirection) > 0 {
					return nil, nil, pgerror.New(pgerror.FeatureNotSupported, "MERGE UPDATE SET of a subscript or field is not supported")
				}
				var x *cexpr
				if rt.Val.GetSetToDefault() != nil {
					x = p.defs[i]
				} else if x, err = b.compile(s, rt.Val, tbl.Columns[i].Type); err != nil {
					return nil, nil, err
				}
				a.cols, a.exprs = append(a.cols, i), append(a.exprs, x)
			}
			if updateMode(tbl, a.cols) == lock.ForUpdate {
				p.mode = lock.ForUpdate
			}
		case pg_query.CmdType_CMD_DELETE:
			p.mode = lock.ForUpdate
		case pg_query.CmdType_CMD_INSERT:
			if a.cols, err = b.insertTargets(tbl, wc.TargetList); err != nil {
				return nil, nil, err
			}
			if len(wc.TargetList) == 0 && len(wc.Values) == 0 {
				a.cols = nil // INSERT DEFAULT VALUES
			}
			if len(wc.Values) > len(a.cols) {
				return nil, nil, pgerror.New(pgerror.SyntaxError, "INSERT has more expressions than target columns")
			}
			if len(wc.TargetList) > 0 && len(wc.Values) < len(a.cols) {
				return nil, nil, pgerror.New(pgerror.SyntaxError, "INSERT has more target columns than expressions")
			}
			a.cols = a.cols[:len(wc.Values)]
			for i, v := range wc.Values {
				if v.GetSetToDefault() != nil {
					a.exprs = append(a.exprs, nil)
					continue
				}
				c := &tbl.Columns[a.cols[i]]
				if c.Identity == "a" && wc.Override != pg_query.OverridingKind_OVERRIDING_SYSTEM_VALUE {
					return nil, nil, pgerror.Newf(pgerror.GeneratedAlways, "cannot insert a non-DEFAULT value into column %q", c.Name).
						WithDetail("Column %q is an identity column defined as GENERATED ALWAYS.", c.Name).
						WithHint("Use OVERRIDING SYSTEM VALUE to override.")
				}
				x, err := b.compile(s, v, c.Type)
				if err != nil {
					return nil, nil, err
				}
				a.exprs = append(a.exprs, x)
			}
		case pg_query.CmdType_CMD_NOTHING:
		default:
			return nil, nil, pgerror.Newf(pgerror.FeatureNotSupported, "MERGE action %s is not supported", wc.CommandType)
		}
		switch wc.MatchKind {
		case pg_query.MergeMatchKind_MERGE_WHEN_MATCHED:
			p.matched = append(p.matched, a)
		case pg_query.MergeMatchKind_MERGE_WHEN_NOT_MATCHED_BY_TARGET:
			p.unmatched = append(p.unmatched, a)
		default:
			return nil, nil, pgerror.New(pgerror.SyntaxError, `syntax error at or near "BY"`)
		}
	}
	return fnRunner(p.run), nil, nil
}

func (p *mergePlan) run(e *env) (Cursor, error) {
	rows, err := drain(e, p.src)
	if err != nil {
		return nil, err
	}
	tbl := p.tbl
	pkCol := tbl.PrimaryKey[0] // never NULL in a target row (a hidden row id without a primary key)
	changed := map[string]bool{}
	n := 0
	for _, row := range rows {
		if err := e.checkCancel(); err != nil {
			return nil, err
		}
		target := row[p.srcWidth:]
		if target[pkCol] == nil {
			did, err := p.insert(e, row)
			if err != nil {
				return nil, err
			}
			if did {
				n++
			}
			continue
		}
		did, err := p.matchedRow(e, row, changed)
		if err != nil {
			return nil, err
		}
		if did {
			n++
		}
	}
	return tagCursor(fmt.Sprintf("MERGE %d", n), nil), nil
}

// pick is the first action whose condition holds on row.
func pick(e *env, actions []*mergeAction, row []Datum) (*mergeAction, error) {
	for _, a := range actions {
		if a.cond == nil {
			return a, nil
		}
		ok, err := a.cond.fn(e, row)
		if err != nil {
			return nil, err
		}
		if ok == true {
			return a, nil
		}
	}
	return nil, nil
}

// matchedRow runs the MATCHED clauses for a joined row; it reports whether
// a row was changed.
func (p *mergePlan) matchedRow(e *env, row []Datum, changed map[string]bool) (bool, error) {
	tbl := p.tbl
	for {
		a, err := pick(e, p.matched, row)
		if err != nil || a == nil || a.kind == pg_query.CmdType_CMD_NOTHING {
			return false, err
		}
		old := row[p.srcWidth:]
		pk := pkKey(tbl, old)
		if changed[string(pk)] {
			return false, pgerror.New(pgerror.CardinalityViolation, "MERGE command cannot affect row a second time").
				WithHint("Ensure that not more than one source row matches any one target row.")
		}
		cur, err := lockForWrite(e, p.sp, old, p.mode, lock.Wait)
		if err != nil {
			return false, err
		}
		if cur == nil {
			return p.insert(e, p.unmatchedRow(row)) // deleted meanwhile
		}
		if !sameRow(cur, old) {
			// Changed meanwhile: recheck the join on its newest version and
			// choose again from the first clause.
			row = append(append(make([]Datum, 0, len(row)), row[:p.srcWidth]...), cur...)
			ok, err := p.on.fn(e, row)
			if err != nil {
				return false, err
			}
			if ok != true {
				return p.insert(e, p.unmatchedRow(row))
			}
			if a2, err := pick(e, p.matched, row); err != nil || a2 != a {
				if err != nil {
					return false, err
				}
				continue
			}
		}
		changed[string(pk)] = true
		if a.kind == pg_query.CmdType_CMD_DELETE {
			if err := deleteRow(e, tbl, cur, pk); err != nil {
				return false, err
			}
			return true, e.queueParent(tbl, cur, nil)
		}
		nr := append([]Datum(nil), cur...)
		for i, o := range a.cols {
			v, err := a.exprs[i].fn(e, row)
			if err != nil {
				return false, err
			}
			if nr[o], err = assign(v, a.exprs[i].t, &tbl.Columns[o]); err != nil {
				return false, err
			}
		}
		return true, writeRow(e, tbl, nr, cur, pk)
	}
}

// unmatchedRow is row with its target part NULL.
func (p *mergePlan) unmatchedRow(row []Datum) []Datum {
	out := make([]Datum, len(row))
	copy(out, row[:p.srcWidth])
	return out
}

// insert runs the NOT MATCHED clauses for a source row without a target
// row; it reports whether a row was inserted.
func (p *mergePlan) insert(e *env, row []Datum) (bool, error) {
	a, err := pick(e, p.unmatched, row)
	if err != nil || a == nil || a.kind == pg_query.CmdType_CMD_NOTHING {
		return false, err
	}
	tbl := p.tbl
	nr := make([]Datum, len(tbl.Columns))
	set := make([]bool, len(tbl.Columns))
	for i, o := range a.cols {
		if a.exprs[i] == nil {
			continue
		}
		v, err := a.exprs[i].fn(e, row)
		if err != nil {
			return false, err
		}
		if nr[o], err = assign(v, a.exprs[i].t, &tbl.Columns[o]); err != nil {
			return false, err
		}
		set[o] = true
	}
	for i := range nr {
		if set[i] {
			continue
		}
		v, err := p.defs[i].fn(e, nil)
		if err != nil {
			return false, err
		}
		if nr[i], err = assign(v, p.defs[i].t, &tbl.Columns[i]); err != nil {
			return false, err
		}
	}
	return true, writeRow(e, tbl, nr, nil, nil)
}
