package exec

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/heliosdb/nano/sql/parser"
	"github.com/heliosdb/nano/sql/pgerror"
	planner "github.com/heliosdb/nano/sql/plan"
	"github.com/heliosdb/nano/sql/types"
)

// groupExpr resolves one GROUP BY item to the expression it groups by
// (planner.ResolveGroupItem: a select-list position, an input column, an
// output column name, or the item itself as an expression over the input).
func groupExpr(b *builder, s *scope, g *pg_query.Node, targets []*pg_query.Node) (*pg_query.Node, error) {
	it := planner.ItemOf(g)
	if it.Kind == planner.ItemExpr {
		return g, nil
	}
	names, nodes := groupTargets(s, targets)
	inputHas := func(string) (bool, error) {
		var err error
		if cr := g.GetColumnRef(); cr != nil {
			_, err = b.compileColumnRefOnly(s, cr) // an input column, not a whole row
		} else {
			_, err = b.compile(s, g, types.Unknown)
		}
		if pe := pgerror.As(err); err != nil && (pe == nil || pe.Code != pgerror.UndefinedColumn) {
			return false, err
		}
		return err == nil, nil
	}
	same := func(i, j int) bool {
		c := inputColumn(s, nodes[i])
		return sameExpr(nodes[i], nodes[j]) || c >= 0 && c == inputColumn(s, nodes[j])
	}
	idx, err := planner.ResolveGroupItem(it, names, inputHas, same)
	switch {
	case err != nil && it.Kind == planner.ItemPosition:
		return nil, b.errAt(pgerror.As(err), it.Loc)
	case err != nil:
		return nil, err
	case idx >= 0:
		return nodes[idx], nil
	}
	return g, nil
}

// inputColumn returns the column of s's own row that n names when n is a
// column reference (b and t.b name the same one), or -1.
func inputColumn(s *scope, n *pg_query.Node) int {
	cr := n.GetColumnRef()
	if cr == nil {
		return -1
	}
	ref, ok := planner.ColumnNameOf(cr)
	if !ok {
		return -1
	}
	r, err := planner.ResolveColumn(s.levels(), ref)
	if err != nil || r.Depth > 0 {
		return -1
	}
	return r.Ordinal
}

// groupTargets describes the select list to planner.ResolveGroupItem: the
// name and the expression of each output column, * expanded over the
// input scope s as starOverGroups expands it in the output.
func groupTargets(s *scope, targets []*pg_query.Node) (names []string, nodes []*pg_query.Node) {
	for _, tn := range targets {
		rt := tn.GetResTarget()
		if _, table, ok := starRef(rt); ok {
			for _, c := range s.cols {
				if !c.inStar(table) {
					continue
				}
				names, nodes = append(names, c.name), append(nodes, colRefNode(c.table, c.name))
			}
			continue
		}
		name := rt.Name
		if name == "" {
			name = planner.ColumnLabel(rt.Val)
		}
		names, nodes = append(names, name), append(nodes, rt.Val)
	}
	return names, nodes
}

// sameExpr reports whether two expressions are written the same, ignoring
// where they are in the statement: a select-list expression equal to a
// GROUP BY expression is that group's value.
func sameExpr(a, b *pg_query.Node) bool {
	if a == nil || b == nil {
		return false
	}
	ca, cb := proto.Clone(a), proto.Clone(b)
	clearLocations(ca)
	clearLocations(cb)
	return proto.Equal(ca, cb)
}

func clearLocations(n proto.Message) {
	parser.Walk(n, func(m proto.Message) bool {
		r := m.ProtoReflect()
		if fd := r.Descriptor().Fields().ByName("location"); fd != nil {
			r.Clear(fd)
		}
		return true
	})
}

// starOverGroups expands * (or t.*) in the select list of a grouped query:
// each input column must be a grouped one (else 42803, as for a column
// written out).
func (b *builder) starOverGroups(s *scope, table string, loc int32) ([]*cexpr, []colInfo, error) {
	var exprs []*cexpr
	var cols []colInfo
	for _, c := range s.agg.in.cols {
		if !c.inStar(table) {
			continue
		}
		e, err := b.compile(s, colRefNode(c.table, c.name), types.Unknown)
		if err != nil {
			return nil, nil, err
		}
		exprs = append(exprs, e)
		cols = append(cols, colInfo{name: c.name, typ: e.t})
	}
	if len(exprs) == 0 && table != "" && !s.agg.in.hasTable(table) {
		return nil, nil, b.errAt(pgerror.Newf(pgerror.UndefinedTable, "missing FROM-clause entry for table %q", table), loc)
	}
	return exprs, cols, nil
}

// colRefNode is the syntax of a (qualified) column reference.
func colRefNode(table, name string) *pg_query.Node {
	str := func(v string) *pg_query.Node {
		return &pg_query.Node{Node: &pg_query.Node_String_{String_: &pg_query.String{Sval: v}}}
	}
	fields := []*pg_query.Node{str(name)}
	if table != "" {
		fields = []*pg_query.Node{str(table), str(name)}
	}
	return &pg_query.Node{Node: &pg_query.Node_ColumnRef{ColumnRef: &pg_query.ColumnRef{Fields: fields}}}
}
