package parser

import (
	"slices"
	"testing"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
)

func TestWalk(t *testing.T) {
	st, err := ParseOne("SELECT a + f(b), (SELECT c FROM t WHERE d = 1) FROM u")
	if err != nil {
		t.Fatal(err)
	}
	cols := func(skipSubLinks bool) []string {
		var out []string
		Walk(st.Node, func(m proto.Message) bool {
			switch v := m.(type) {
			case *pg_query.ColumnRef:
				out = append(out, v.Fields[len(v.Fields)-1].GetString_().Sval)
				return false
			case *pg_query.SubLink:
				return !skipSubLinks
			}
			return true
		})
		return out
	}
	if got, want := cols(false), []string{"a", "b", "c", "d"}; !slices.Equal(got, want) {
		t.Errorf("all column refs = %v, want %v", got, want)
	}
	if got, want := cols(true), []string{"a", "b"}; !slices.Equal(got, want) {
		t.Errorf("column refs outside subqueries = %v, want %v", got, want)
	}
	Walk(nil, func(proto.Message) bool { t.Fatal("visited under nil"); return true })
	var nilNode *pg_query.Node
	Walk(nilNode, func(proto.Message) bool { t.Fatal("visited a nil node"); return true })

	visits := 0
	relation := func(name string) bool {
		visits = 0
		return Contains(st.Node, func(m proto.Message) (bool, bool) {
			visits++
			rv, ok := m.(*pg_query.RangeVar)
			return ok && rv.Relname == name, true
		})
	}
	if !relation("t") || !relation("u") || relation("v") {
		t.Error("Contains: want t and u found, v not")
	}
	relation("t")
	stopAt := visits
	relation("v")
	if stopAt >= visits {
		t.Errorf("Contains did not stop at the first hit: %d visits, %d for the whole tree", stopAt, visits)
	}
}
