package exec

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/parser"
	"github.com/heliosdb/nano/sql/pgerror"
	planner "github.com/heliosdb/nano/sql/plan"
)

// Automatically updatable views (PostgreSQL's rules): a view whose query
// reads one table or updatable view, with no DISTINCT, GROUP BY, HAVING,
// LIMIT/OFFSET, WITH, set operation, aggregate or window function, takes
// INSERT, UPDATE and DELETE. The statement is rewritten into one on the
// view's relation: view columns become the expressions the view selects
// (a plain column is writable, any other expression only readable), and
// UPDATE/DELETE also keep only the rows the view's WHERE shows. WITH CHECK
// OPTION is refused at CREATE VIEW, so INSERT does not check the WHERE.

// viewDML describes an updatable view's query.
type viewDML struct {
	view  *catalog.View
	base  *pg_query.RangeVar // the relation it reads, with the view's alias for it
	where *pg_query.Node
	exprs []*pg_query.Node // per view column: the expression it selects
	cols  []string         // per view column: the base column it is, or ""
}

// dmlVerb names the statement in PostgreSQL's messages.
type dmlVerb int

const (
	dmlInsert dmlVerb = iota
	dmlUpdate
	dmlDelete
)

func (v dmlVerb) refusal(name string) *pgerror.Error {
	switch v {
	case dmlInsert:
		return pgerror.Newf(pgerror.ObjectNotInPrereqState, "cannot insert into view %q", name).
			WithHint("To enable inserting into the view, provide an INSTEAD OF INSERT trigger or an unconditional ON INSERT DO INSTEAD rule.")
	case dmlUpdate:
		return pgerror.Newf(pgerror.ObjectNotInPrereqState, "cannot update view %q", name).
			WithHint("To enable updating the view, provide an INSTEAD OF UPDATE trigger or an unconditional ON UPDATE DO INSTEAD rule.")
	}
	return pgerror.Newf(pgerror.ObjectNotInPrereqState, "cannot delete from view %q", name).
		WithHint("To enable deleting from the view, provide an INSTEAD OF DELETE trigger or an unconditional ON DELETE DO INSTEAD rule.")
}

// updatableView analyses the view named by rv for verb (nil, nil when rv
// is not a view).
func (b *builder) updatableView(rv *pg_query.RangeVar, verb dmlVerb) (*viewDML, error) {
	if rv == nil || rv.Schemaname != "" {
		return nil, nil
	}
	v := b.cat.Views[rv.Relname]
	if v == nil {
		return nil, nil
	}
	if b.viewDepth > 64 {
		return nil, pgerror.Newf(pgerror.InvalidRecursion, "infinite recursion detected in rules for relation %q", v.Name)
	}
	st, err := parser.ParseOne(v.Query)
	if err != nil {
		return nil, pgerror.Wrapf(err, pgerror.DataCorrupted, "view %q", v.Name)
	}
	sel := st.Node.GetSelectStmt()
	why := ""
	switch {
	case sel == nil || len(sel.ValuesLists) > 0:
		why = "Views that do not select from a single table or view are not automatically updatable."
	case sel.Op != pg_query.SetOperation_SETOP_NONE:
		why = "Views containing UNION, INTERSECT, or EXCEPT are not automatically updatable."
	case len(sel.DistinctClause) > 0:
		why = "Views containing DISTINCT are not automatically updatable."
	case len(sel.GroupClause) > 0:
		why = "Views containing GROUP BY are not automatically updatable."
	case sel.HavingClause != nil:
		why = "Views containing HAVING are not automatically updatable."
	case sel.WithClause != nil:
		why = "Views containing WITH are not automatically updatable."
	case sel.LimitCount != nil || sel.LimitOffset != nil:
		why = "Views containing LIMIT or OFFSET are not automatically updatable."
	case len(sel.FromClause) != 1 || sel.FromClause[0].GetRangeVar() == nil:
		why = "Views that do not select from a single table or view are not automatically updatable."
	case b.needsAgg(sel):
		why = "Views that return aggregate functions are not automatically updatable."
	}
	if why == "" {
		for _, t := range sel.TargetList {
			if hasWindowCall(t) {
				why = "Views that return window functions are not automatically updatable."
			}
		}
	}
	if why != "" {
		return nil, verb.refusal(v.Name).WithDetail("%s", why)
	}
	d := &viewDML{view: v, base: sel.FromClause[0].GetRangeVar(), where: sel.WhereClause}
	alias := d.base.Relname
	if d.base.Alias != nil {
		alias = d.base.Alias.Aliasname
	}
	for _, tn := range sel.TargetList {
		rt := tn.GetResTarget()
		if _, _, ok := starRef(rt); ok {
			names, err := b.relationColumns(d.base)
			if err != nil {
				return nil, err
			}
			for _, n := range names {
				d.exprs = append(d.exprs, colRefNode(alias, n))
				d.cols = append(d.cols, n)
			}
			continue
		}
		col := ""
		if cr := rt.Val.GetColumnRef(); cr != nil && (len(cr.Fields) == 1 || len(cr.Fields) == 2 && strVal(cr.Fields[0]) == alias) {
			col = strVal(cr.Fields[len(cr.Fields)-1])
		}
		d.exprs = append(d.exprs, rt.Val)
		d.cols = append(d.cols, col)
	}
	if len(d.exprs) < len(v.Columns) {
		return nil, pgerror.Newf(pgerror.DataCorrupted, "view %q: its query has %d columns, the view %d", v.Name, len(d.exprs), len(v.Columns))
	}
	d.exprs, d.cols = d.exprs[:len(v.Columns)], d.cols[:len(v.Columns)]
	return d, nil
}

// relationColumns lists the visible columns of a table or view.
func (b *builder) relationColumns(rv *pg_query.RangeVar) ([]string, error) {
	var out []string
	if v := b.cat.Views[rv.Relname]; v != nil {
		for _, c := range v.Columns {
			out = append(out, c.Name)
		}
		return out, nil
	}
	t, err := b.lookupTable(rv)
	if err != nil {
		return nil, err
	}
	for _, c := range t.Columns {
		if !c.Hidden {
			out = append(out, c.Name)
		}
	}
	return out, nil
}

// column maps a view column written in the statement to its base column.
func (d *viewDML) column(name string, verb dmlVerb) (string, error) {
	i := d.view.ColumnIndex(name)
	if i < 0 {
		return "", pgerror.Newf(pgerror.UndefinedColumn, "column %q of relation %q does not exist", name, d.view.Name)
	}
	if d.cols[i] == "" {
		what := "insert into"
		if verb == dmlUpdate {
			what = "update"
		}
		return "", pgerror.Newf(pgerror.FeatureNotSupported, "cannot %s column %q of view %q", what, name, d.view.Name).
			WithDetail("View columns that are not columns of their base relation are not updatable.")
	}
	return d.cols[i], nil
}

// target is the statement's relation after the rewrite.
func (d *viewDML) target() *pg_query.RangeVar { return proto.Clone(d.base).(*pg_query.RangeVar) }

// subst replaces the view's column names in n (outside subqueries) by the
// expressions they stand for. qual is the name the statement calls the
// view by.
func (d *viewDML) subst(n *pg_query.Node, qual string) *pg_query.Node {
	if n == nil {
		return nil
	}
	n = proto.Clone(n).(*pg_query.Node)
	d.substIn(n, qual)
	return n
}

func (d *viewDML) substIn(n *pg_query.Node, qual string) {
	parser.Walk(n, func(m proto.Message) bool {
		nd, ok := m.(*pg_query.Node)
		if !ok {
			return true
		}
		if cr := nd.GetColumnRef(); cr != nil {
			if r := d.replacement(cr, qual); r != nil {
				nd.Node = proto.Clone(r).(*pg_query.Node).Node
			}
			return false
		}
		return nd.GetSubLink() == nil
	})
}

func (d *viewDML) replacement(cr *pg_query.ColumnRef, qual string) *pg_query.Node {
	f := cr.Fields
	if f[len(f)-1].GetAStar() != nil || len(f) > 2 || len(f) == 2 && strVal(f[0]) != qual {
		return nil
	}
	if i := d.view.ColumnIndex(strVal(f[len(f)-1])); i >= 0 {
		return d.exprs[i]
	}
	return nil
}

// returning rewrites a RETURNING list: * is every view column, by name.
func (d *viewDML) returning(list []*pg_query.Node, qual string) []*pg_query.Node {
	var out []*pg_query.Node
	for _, n := range list {
		rt := n.GetResTarget()
		if _, _, ok := starRef(rt); ok {
			for i, c := range d.view.Columns {
				out = append(out, &pg_query.Node{Node: &pg_query.Node_ResTarget{ResTarget: &pg_query.ResTarget{
					Name: c.Name, Val: proto.Clone(d.exprs[i]).(*pg_query.Node)}}})
			}
			continue
		}
		nrt := proto.Clone(rt).(*pg_query.ResTarget)
		if nrt.Name == "" {
			nrt.Name = planner.ColumnLabel(rt.Val)
		}
		nrt.Val = d.subst(rt.Val, qual)
		out = append(out, &pg_query.Node{Node: &pg_query.Node_ResTarget{ResTarget: nrt}})
	}
	return out
}

// filtered adds the view's WHERE to a statement's.
func (d *viewDML) filtered(where *pg_query.Node, qual string) *pg_query.Node {
	w := d.subst(where, qual)
	switch {
	case d.where == nil:
		return w
	case w == nil:
		return proto.Clone(d.where).(*pg_query.Node)
	}
	return &pg_query.Node{Node: &pg_query.Node_BoolExpr{BoolExpr: &pg_query.BoolExpr{
		Boolop: pg_query.BoolExprType_AND_EXPR, Args: []*pg_query.Node{proto.Clone(d.where).(*pg_query.Node), w}}}}
}

func viewQual(rv *pg_query.RangeVar) string {
	if rv.Alias != nil {
		return rv.Alias.Aliasname
	}
	return rv.Relname
}

// rewriteViewInsert turns INSERT INTO view into INSERT INTO its relation.
func (b *builder) rewriteViewInsert(is *pg_query.InsertStmt, d *viewDML) (*pg_query.Node, error) {
	if is.OnConflictClause != nil {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "ON CONFLICT on a view is not supported")
	}
	out := proto.Clone(is).(*pg_query.InsertStmt)
	out.Relation = d.target()
	names := make([]string, 0, len(is.Cols))
	for _, c := range is.Cols {
		names = append(names, c.GetResTarget().Name)
	}
	if len(names) == 0 {
		n := len(d.view.Columns)
		if sel := is.SelectStmt.GetSelectStmt(); sel != nil && len(sel.ValuesLists) > 0 {
			n = min(n, len(sel.ValuesLists[0].GetList().Items))
		}
		for _, c := range d.view.Columns[:n] {
			names = append(names, c.Name)
		}
	}
	out.Cols = nil
	for _, n := range names {
		col, err := d.column(n, dmlInsert)
		if err != nil {
			return nil, err
		}
		out.Cols = append(out.Cols, &pg_query.Node{Node: &pg_query.Node_ResTarget{ResTarget: &pg_query.ResTarget{Name: col}}})
	}
	out.ReturningList = d.returning(is.ReturningList, viewQual(is.Relation))
	return &pg_query.Node{Node: &pg_query.Node_InsertStmt{InsertStmt: out}}, nil
}

// rewriteViewUpdate turns UPDATE view into UPDATE its relation.
func (b *builder) rewriteViewUpdate(us *pg_query.UpdateStmt, d *viewDML) (*pg_query.Node, error) {
	if len(us.FromClause) > 0 {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "UPDATE ... FROM on a view is not supported")
	}
	qual := viewQual(us.Relation)
	out := proto.Clone(us).(*pg_query.UpdateStmt)
	out.Relation = d.target()
	out.TargetList = nil
	for _, tn := range us.TargetList {
		rt := tn.GetResTarget()
		col, err := d.column(rt.Name, dmlUpdate)
		if err != nil {
			return nil, err
		}
		out.TargetList = append(out.TargetList, &pg_query.Node{Node: &pg_query.Node_ResTarget{ResTarget: &pg_query.ResTarget{
			Name: col, Indirection: rt.Indirection, Val: d.subst(rt.Val, qual), Location: rt.Location}}})
	}
	out.WhereClause = d.filtered(us.WhereClause, qual)
	out.ReturningList = d.returning(us.ReturningList, qual)
	return &pg_query.Node{Node: &pg_query.Node_UpdateStmt{UpdateStmt: out}}, nil
}

// rewriteViewDelete turns DELETE FROM view into DELETE FROM its relation.
func (b *builder) rewriteViewDelete(ds *pg_query.DeleteStmt, d *viewDML) (*pg_query.Node, error) {
	if len(ds.UsingClause) > 0 {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "DELETE ... USING on a view is not supported")
	}
	qual := viewQual(ds.Relation)
	out := proto.Clone(ds).(*pg_query.DeleteStmt)
	out.Relation = d.target()
	out.WhereClause = d.filtered(ds.WhereClause, qual)
	out.ReturningList = d.returning(ds.ReturningList, qual)
	return &pg_query.Node{Node: &pg_query.Node_DeleteStmt{DeleteStmt: out}}, nil
}

// buildViewDML plans a rewritten statement (the view may itself read a
// view: the rewrite repeats).
func (b *builder) buildViewDML(n *pg_query.Node) (runner, []colInfo, error) {
	saved := b.stmt
	b.stmt = parser.Statement{}
	b.viewDepth++
	defer func() { b.viewDepth--; b.stmt = saved }()
	return b.buildStatement(n)
}

// viewDML plans the rewrite of a statement on a view, or fails with err.
func (b *builder) viewDML(err error, rewrite func() (*pg_query.Node, error)) (runner, []colInfo, error) {
	if err != nil {
		return nil, nil, err
	}
	n, err := rewrite()
	if err != nil {
		return nil, nil, err
	}
	return b.buildViewDML(n)
}
