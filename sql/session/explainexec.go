package session

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/heliosdb/nano/sql/parser"
	"github.com/heliosdb/nano/sql/pgerror"
)

// EXPLAIN [ANALYZE] EXECUTE name(args) explains the prepared statement
// with its arguments in place of its parameters, as PostgreSQL's custom
// plan of those values does: the statement is rewritten into EXPLAIN of
// the prepared statement's own tree, each $n replaced by CAST(arg n AS
// the parameter's type), and that runs as any EXPLAIN.

// rewriteExplainExecute returns ast unchanged unless it is EXPLAIN …
// EXECUTE, which it turns into EXPLAIN of the named statement. Errors:
// 26000 for an unknown name, 42601 for a wrong number of arguments,
// 0A000 when the named statement is not one the engine plans.
func (s *Session) rewriteExplainExecute(ast parser.Statement) (parser.Statement, error) {
	ex := ast.Node.GetExplainStmt()
	if ex == nil || ex.Query.GetExecuteStmt() == nil {
		return ast, nil
	}
	e := ex.Query.GetExecuteStmt()
	target, err := s.lookupStmt(e.Name)
	if err != nil {
		return ast, err
	}
	if len(e.Params) != len(target.params) {
		return ast, pgerror.Newf(pgerror.SyntaxError, "wrong number of parameters for prepared statement %q", e.Name).
			WithDetail("Expected %d parameters but got %d.", len(target.params), len(e.Params))
	}
	if target.kind != kindEngine || target.ast.Node.GetExplainStmt() != nil {
		return ast, pgerror.Newf(pgerror.FeatureNotSupported, "EXPLAIN EXECUTE of %s is not supported", parser.CommandWord(target.ast))
	}
	casts := make([]*pg_query.Node, len(e.Params))
	for i, arg := range e.Params {
		tn, err := parser.ParseOne("SELECT NULL::" + target.params[i].String())
		if err != nil {
			return ast, err
		}
		typ := tn.Node.GetSelectStmt().TargetList[0].GetResTarget().Val.GetTypeCast().TypeName
		casts[i] = &pg_query.Node{Node: &pg_query.Node_TypeCast{TypeCast: &pg_query.TypeCast{Arg: arg, TypeName: typ, Location: -1}}}
	}
	query := proto.Clone(target.ast.Node).(*pg_query.Node)
	replaceParams(query.ProtoReflect(), casts)
	out := proto.Clone(ast.Node).(*pg_query.Node)
	out.GetExplainStmt().Query = query
	sql, err := deparse(out)
	if err != nil {
		return ast, err
	}
	// Parsed again so that node locations are offsets into its own text.
	return parser.ParseOne(sql)
}

// replaceParams replaces, in the tree under m, every node that is $n by a
// copy of casts[n-1] (a $n beyond casts stays, and planning reports it).
func replaceParams(m protoreflect.Message, casts []*pg_query.Node) {
	if n, ok := m.Interface().(*pg_query.Node); ok {
		if p := n.GetParamRef(); p != nil {
			if k := int(p.Number) - 1; k >= 0 && k < len(casts) {
				n.Node = proto.Clone(casts[k]).(*pg_query.Node).Node
			}
			return
		}
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Message() == nil || fd.IsMap() {
			return true
		}
		if fd.IsList() {
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				replaceParams(l.Get(i).Message(), casts)
			}
		} else {
			replaceParams(v.Message(), casts)
		}
		return true
	})
}
