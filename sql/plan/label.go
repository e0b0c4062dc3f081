package plan

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// ColumnLabel is PostgreSQL's name for the output column of an
// expression written without AS (FigureColname in its parser): the
// column's or function's name, a cast's type, "?column?" for none.
func ColumnLabel(n *pg_query.Node) string {
	name, _ := figureName(n)
	return name
}

// figureName returns a name and its strength: 2 for a real name (a column,
// a function), 1 for a type name from a cast, 0 for none ("?column?"). A cast
// names its column by its argument only when that has a real name, and a
// CASE by its ELSE result likewise.
func figureName(n *pg_query.Node) (string, int) {
	switch v := n.Node.(type) {
	case *pg_query.Node_ColumnRef:
		if f := v.ColumnRef.Fields[len(v.ColumnRef.Fields)-1]; f.GetAStar() == nil {
			return fieldName(f), 2
		}
	case *pg_query.Node_FuncCall:
		return LastName(v.FuncCall.Funcname), 2
	case *pg_query.Node_AExpr:
		if v.AExpr.Kind == pg_query.A_Expr_Kind_AEXPR_NULLIF {
			return "nullif", 2
		}
	case *pg_query.Node_TypeCast:
		if name, st := figureName(v.TypeCast.Arg); st == 2 {
			return name, st
		}
		return LastName(v.TypeCast.TypeName.Names), 1
	case *pg_query.Node_CollateClause:
		return figureName(v.CollateClause.Arg)
	case *pg_query.Node_CaseExpr:
		if d := v.CaseExpr.Defresult; d != nil {
			if name, st := figureName(d); st == 2 {
				return name, st
			}
		}
		return "case", 1
	case *pg_query.Node_CoalesceExpr:
		return "coalesce", 2
	case *pg_query.Node_MinMaxExpr:
		if v.MinMaxExpr.Op == pg_query.MinMaxOp_IS_LEAST {
			return "least", 2
		}
		return "greatest", 2
	case *pg_query.Node_AArrayExpr:
		return "array", 2
	case *pg_query.Node_AIndirection:
		// (rec).field is named by its last field name, a[i] by a.
		ind := v.AIndirection.Indirection
		for i := len(ind) - 1; i >= 0; i-- {
			if f := ind[i].GetString_(); f != nil {
				return f.Sval, 2
			}
		}
		return figureName(v.AIndirection.Arg)
	case *pg_query.Node_GroupingFunc:
		return "grouping", 2
	case *pg_query.Node_RowExpr:
		return "row", 2
	case *pg_query.Node_SqlvalueFunction:
		switch v.SqlvalueFunction.Op {
		case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP, pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP_N:
			return "current_timestamp", 2
		case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_DATE:
			return "current_date", 2
		case pg_query.SQLValueFunctionOp_SVFOP_LOCALTIME, pg_query.SQLValueFunctionOp_SVFOP_LOCALTIME_N:
			return "localtime", 2
		case pg_query.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP, pg_query.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP_N:
			return "localtimestamp", 2
		case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_USER:
			return "current_user", 2
		case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_SCHEMA:
			return "current_schema", 2
		}
	case *pg_query.Node_SubLink:
		switch v.SubLink.SubLinkType {
		case pg_query.SubLinkType_EXISTS_SUBLINK:
			return "exists", 2
		case pg_query.SubLinkType_ARRAY_SUBLINK:
			return "array", 2
		case pg_query.SubLinkType_EXPR_SUBLINK:
			// the subquery's own output column name
			if sel := v.SubLink.Subselect.GetSelectStmt(); sel != nil && len(sel.TargetList) > 0 {
				if rt := sel.TargetList[0].GetResTarget(); rt != nil {
					if rt.Name != "" {
						return rt.Name, 2
					}
					return ColumnLabel(rt.Val), 2
				}
			}
		}
	}
	return "?column?", 0
}

// LastName is the last part of a qualified name (pg_catalog.int4 is
// int4), lower-cased: how functions and types are looked up.
func LastName(nodes []*pg_query.Node) string {
	if len(nodes) == 0 {
		return ""
	}
	return strings.ToLower(fieldName(nodes[len(nodes)-1]))
}
