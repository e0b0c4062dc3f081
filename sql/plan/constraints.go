package plan

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/pgerror"
)

// Constraint attributes and SET CONSTRAINTS: the checks PostgreSQL's
// parse analysis makes on DEFERRABLE / INITIALLY clauses
// (transformConstraintAttrs), and the description of SET CONSTRAINTS that
// sql/exec (deferred.go) resolves against the catalog and runs.

// ApplyConstraintAttrs applies the DEFERRABLE / NOT DEFERRABLE /
// INITIALLY DEFERRED / INITIALLY IMMEDIATE items of a column's constraint
// list to the constraint before them (setting its Deferrable and
// Initdeferred), as PostgreSQL's transformConstraintAttrs: a clause after
// a constraint that cannot be deferred, a repeated clause, or INITIALLY
// DEFERRED with NOT DEFERRABLE is a 42601.
func ApplyConstraintAttrs(list []*pg_query.Node) error {
	var last *pg_query.Constraint
	sawDef, sawInit := false, false
	misplaced := func(what string) error {
		return pgerror.Newf(pgerror.SyntaxError, "misplaced %s clause", what)
	}
	supports := func() bool {
		if last == nil {
			return false
		}
		switch last.Contype {
		case pg_query.ConstrType_CONSTR_FOREIGN, pg_query.ConstrType_CONSTR_PRIMARY,
			pg_query.ConstrType_CONSTR_UNIQUE, pg_query.ConstrType_CONSTR_EXCLUSION:
			return true
		}
		return false
	}
	for _, n := range list {
		c := n.GetConstraint()
		if c == nil {
			continue
		}
		switch c.Contype {
		case pg_query.ConstrType_CONSTR_ATTR_DEFERRABLE, pg_query.ConstrType_CONSTR_ATTR_NOT_DEFERRABLE:
			what := "DEFERRABLE"
			if c.Contype == pg_query.ConstrType_CONSTR_ATTR_NOT_DEFERRABLE {
				what = "NOT DEFERRABLE"
			}
			if !supports() {
				return misplaced(what)
			}
			if sawDef {
				return pgerror.New(pgerror.SyntaxError, "multiple DEFERRABLE/NOT DEFERRABLE clauses not allowed")
			}
			sawDef = true
			last.Deferrable = c.Contype == pg_query.ConstrType_CONSTR_ATTR_DEFERRABLE
			if !last.Deferrable && sawInit && last.Initdeferred {
				return pgerror.New(pgerror.SyntaxError, "constraint declared INITIALLY DEFERRED must be DEFERRABLE")
			}
		case pg_query.ConstrType_CONSTR_ATTR_DEFERRED, pg_query.ConstrType_CONSTR_ATTR_IMMEDIATE:
			what := "INITIALLY DEFERRED"
			if c.Contype == pg_query.ConstrType_CONSTR_ATTR_IMMEDIATE {
				what = "INITIALLY IMMEDIATE"
			}
			if !supports() {
				return misplaced(what)
			}
			if sawInit {
				return pgerror.New(pgerror.SyntaxError, "multiple INITIALLY IMMEDIATE/DEFERRED clauses not allowed")
			}
			sawInit = true
			last.Initdeferred = c.Contype == pg_query.ConstrType_CONSTR_ATTR_DEFERRED
			if last.Initdeferred {
				if !sawDef {
					last.Deferrable = true
				} else if !last.Deferrable {
					return pgerror.New(pgerror.SyntaxError, "constraint declared INITIALLY DEFERRED must be DEFERRABLE")
				}
			}
		default:
			last, sawDef, sawInit = c, false, false
		}
	}
	return nil
}

// RefuseDeferrableKey is the 0A000 of a DEFERRABLE UNIQUE or PRIMARY KEY
// constraint: those are checked as each row is written; only foreign keys
// can be deferred.
func RefuseDeferrableKey(c *pg_query.Constraint) error {
	if c == nil || !(c.Deferrable || c.Initdeferred) {
		return nil
	}
	switch c.Contype {
	case pg_query.ConstrType_CONSTR_PRIMARY, pg_query.ConstrType_CONSTR_UNIQUE:
		return pgerror.Newf(pgerror.FeatureNotSupported, "DEFERRABLE %s constraints are not supported", strings.TrimPrefix(c.Contype.String(), "CONSTR_")).
			WithDetail("Unique and primary key constraints are checked as each row is written; only foreign keys can be deferred.")
	}
	return nil
}

// SetConstraints is SET CONSTRAINTS {ALL | name [, …]} {DEFERRED |
// IMMEDIATE}.
type SetConstraints struct {
	All      bool            // ALL: no names
	Names    []QualifiedName // the constraints named, in order
	Deferred bool
}

// QualifiedName is a [schema.]name as written ("" schema: unqualified,
// looked up along search_path).
type QualifiedName struct {
	Schema, Name string
}

// SetConstraintsOf describes a SET CONSTRAINTS statement.
func SetConstraintsOf(cs *pg_query.ConstraintsSetStmt) SetConstraints {
	sc := SetConstraints{All: len(cs.Constraints) == 0, Deferred: cs.Deferred}
	for _, n := range cs.Constraints {
		if rv := n.GetRangeVar(); rv != nil {
			sc.Names = append(sc.Names, QualifiedName{Schema: rv.Schemaname, Name: rv.Relname})
		}
	}
	return sc
}
