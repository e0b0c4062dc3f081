package parser

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
)

// TestTxWordsMatchPgQuery: a transaction-control statement parsed by the
// shortcut (txwords.go) is the Statement pg_query's path gives — same
// tree, text, offsets and error positions — alone, in any case, and
// inside a multi-statement string; texts outside the list still go to
// pg_query.
func TestTxWordsMatchPgQuery(t *testing.T) {
	var inputs []string
	for _, w := range txWords {
		inputs = append(inputs, w, strings.ToLower(w), w+";", "  "+strings.ToLower(w)+" ;\n")
	}
	inputs = append(inputs, "BEGIN; UPDATE t SET a = 1; END;", "select 1;commit", "Begin Isolation Level Serializable",
		"BEGIN  WORK", "BEGIN\tWORK", "-- c\nBEGIN", "COMMIT AND CHAIN", "ROLLBACK TO SAVEPOINT s", "SELECT 'éé'; BEGIN")
	shortcut := 0
	for _, in := range inputs {
		got, err := ParseContext(context.Background(), in)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		for i, st := range got {
			want, err := parsePgQuery(nil, st.src, st.Offset, st.srcChars)
			if err != nil || len(want) != 1 {
				t.Fatalf("%q statement %d: pg_query gives %d statements, err %v", in, i, len(want), err)
			}
			w := want[0]
			if !proto.Equal(st.Node, w.Node) || st.SQL != w.SQL || st.Offset != w.Offset || st.CharOffset != w.CharOffset ||
				st.src != w.src || st.srcChars != w.srcChars || st.Position(3) != w.Position(3) {
				t.Errorf("%q statement %d: shortcut %+v, pg_query %+v", in, i, st, w)
			}
			if _, ok := txStatement(st.src); ok {
				shortcut++
			}
		}
	}
	if shortcut < 4*len(txWords) {
		t.Errorf("the shortcut served %d statements, want at least %d", shortcut, 4*len(txWords))
	}
	for _, in := range []string{"BEGIN  WORK", "BEGIN\tWORK", "COMMIT AND CHAIN", "ROLLBACKS", "BEGINX"} {
		if _, ok := txStatement(in); ok {
			t.Errorf("%q took the shortcut", in)
		}
	}
}
