package exec

import (
	"github.com/heliosdb/nano/sql/types"
)

// pgTypeof is pg_typeof(any) over its compiled argument x: x's type as
// regtype (printed without its modifier, as regtype's output does). The
// argument is compiled for its type; a constant that fails to fold fails
// here as PostgreSQL's planner does.
func pgTypeof(x *cexpr) (*cexpr, error) {
	if x.foldErr != nil {
		return nil, x.foldErr
	}
	name := "unknown"
	if !x.unknown {
		name = types.T{Oid: x.t.Oid, Mod: -1}.String()
	}
	return constExpr(name, types.Regtype, "pg_typeof("+x.s+")"), nil
}
