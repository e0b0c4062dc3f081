package exec

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/types"
)

// compilePgTypeof is pg_typeof(any): the argument's type as regtype
// (printed without its modifier, as regtype's output does). The argument
// is compiled for its type; a constant that fails to fold fails here as
// PostgreSQL's planner does.
func (b *builder) compilePgTypeof(s *scope, n *pg_query.Node) (*cexpr, error) {
	x, err := b.compile(s, n, types.Unknown)
	if err != nil {
		return nil, err
	}
	if x.foldErr != nil {
		return nil, x.foldErr
	}
	name := "unknown"
	if !x.unknown {
		name = types.T{Oid: x.t.Oid, Mod: -1}.String()
	}
	return constExpr(name, types.Regtype, "pg_typeof("+x.s+")"), nil
}
