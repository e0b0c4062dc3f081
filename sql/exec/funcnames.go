package exec

import (
	"github.com/heliosdb/nano/sql/pgcatalog"
	planner "github.com/heliosdb/nano/sql/plan"
)

// specialFunctions are the functions compileFunc and the FROM-clause
// planner recognise by name outside the tables below.
var specialFunctions = map[string]bool{
	"row_to_json": true, "to_json": true, "to_jsonb": true, "version": true, "pg_typeof": true,
	"generate_series": true, "like_escape": true,
}

// BuiltinFunction reports whether the engine implements a function named
// name (lower case, unqualified) in any of its tables: scalar, set-
// returning, aggregate, window and catalog functions. Node-level
// functions (Config.Functions) are not included. pg_proc lists the
// PostgreSQL 15 signatures of these names (sql/pgcatalog/proc_gen.go).
func BuiltinFunction(name string) bool {
	if _, ok := funcTable[name]; ok {
		return true
	}
	if _, ok := srfTable[name]; ok {
		return true
	}
	return planner.IsAggregate(name) || windowFuncs[name] || specialFunctions[name] || pgcatalog.HasFunction(name)
}

// BuiltinFunctionNames lists the names of the engine's function tables
// (not the aggregates recognised by switch): the names pg_proc must know.
func BuiltinFunctionNames() []string {
	var out []string
	for n := range funcTable {
		out = append(out, n)
	}
	for n := range srfTable {
		out = append(out, n)
	}
	for n := range windowFuncs {
		out = append(out, n)
	}
	for n := range specialFunctions {
		out = append(out, n)
	}
	return append(out, pgcatalog.FunctionNames()...)
}

// hasFunction is BuiltinFunction or a node-level function.
func (e *Engine) hasFunction(name string) bool {
	if _, ok := e.cfg.Functions[name]; ok {
		return true
	}
	return BuiltinFunction(name)
}
