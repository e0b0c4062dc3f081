package plan_test

import (
	"testing"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/plan"
)

// columnConstraints is the constraint list of the first column of a
// CREATE TABLE.
func columnConstraints(t *testing.T, sql string) []*pg_query.Node {
	t.Helper()
	return stmt(t, sql).GetCreateStmt().TableElts[0].GetColumnDef().Constraints
}

func TestApplyConstraintAttrs(t *testing.T) {
	for _, tc := range []struct {
		col                    string
		code                   pgerror.Code
		deferrable, initDeferr bool // of the constraint the clauses follow
		at                     int  // its position in the list
	}{
		{col: "a int REFERENCES p DEFERRABLE", deferrable: true},
		{col: "a int REFERENCES p INITIALLY DEFERRED", deferrable: true, initDeferr: true},
		{col: "a int REFERENCES p DEFERRABLE INITIALLY IMMEDIATE", deferrable: true},
		{col: "a int REFERENCES p NOT DEFERRABLE"},
		{col: "a int NOT NULL REFERENCES p DEFERRABLE", deferrable: true, at: 1},
		{col: "a int REFERENCES p NOT DEFERRABLE INITIALLY DEFERRED", code: pgerror.SyntaxError},
		{col: "a int REFERENCES p DEFERRABLE NOT DEFERRABLE", code: pgerror.SyntaxError},
		{col: "a int REFERENCES p INITIALLY DEFERRED INITIALLY IMMEDIATE", code: pgerror.SyntaxError},
		{col: "a int NOT NULL DEFERRABLE", code: pgerror.SyntaxError},
		{col: "a int CHECK (a > 0) INITIALLY DEFERRED", code: pgerror.SyntaxError},
	} {
		t.Run(tc.col, func(t *testing.T) {
			list := columnConstraints(t, "CREATE TABLE t ("+tc.col+")")
			err := plan.ApplyConstraintAttrs(list)
			if tc.code != "" {
				if pgerror.CodeOf(err) != tc.code {
					t.Fatalf("err = %v, want SQLSTATE %s", err, tc.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c := list[tc.at].GetConstraint()
			if c.Deferrable != tc.deferrable || c.Initdeferred != tc.initDeferr {
				t.Fatalf("constraint %d: deferrable %v, initially deferred %v", tc.at, c.Deferrable, c.Initdeferred)
			}
		})
	}
}

func TestRefuseDeferrableKey(t *testing.T) {
	for _, tc := range []struct {
		col  string
		code pgerror.Code
	}{
		{"a int PRIMARY KEY DEFERRABLE", pgerror.FeatureNotSupported},
		{"a int UNIQUE INITIALLY DEFERRED", pgerror.FeatureNotSupported},
		{"a int UNIQUE NOT DEFERRABLE", ""},
		{"a int REFERENCES p DEFERRABLE", ""},
	} {
		list := columnConstraints(t, "CREATE TABLE t ("+tc.col+")")
		if err := plan.ApplyConstraintAttrs(list); err != nil {
			t.Fatal(err)
		}
		err := plan.RefuseDeferrableKey(list[0].GetConstraint())
		if pgerror.CodeOf(err) != tc.code && !(tc.code == "" && err == nil) {
			t.Errorf("%s: err = %v, want %q", tc.col, err, tc.code)
		}
		if tc.code == "" && err != nil {
			t.Errorf("%s: err = %v", tc.col, err)
		}
	}
}

func TestSetConstraintsOf(t *testing.T) {
	sc := plan.SetConstraintsOf(stmt(t, "SET CONSTRAINTS ALL DEFERRED").GetConstraintsSetStmt())
	if !sc.All || !sc.Deferred || len(sc.Names) != 0 {
		t.Fatalf("ALL DEFERRED: %+v", sc)
	}
	sc = plan.SetConstraintsOf(stmt(t, "SET CONSTRAINTS s.fk1, fk2 IMMEDIATE").GetConstraintsSetStmt())
	want := []plan.QualifiedName{{Schema: "s", Name: "fk1"}, {Name: "fk2"}}
	if sc.All || sc.Deferred || len(sc.Names) != 2 || sc.Names[0] != want[0] || sc.Names[1] != want[1] {
		t.Fatalf("named IMMEDIATE: %+v", sc)
	}
}
