package txn

import (
	"testing"

	"github.com/heliosdb/nano/lsn"
)

// collapseFates turns a transaction's deletions and moves into the fate of
// each row version that existed before it.
func TestCollapseFates(t *testing.T) {
	del := func(k string) fateOp { return fateOp{bucket: "t/1", key: k} }
	mv := func(from, to string) fateOp { return fateOp{bucket: "t/1", key: from, to: []byte(to)} }
	k := func(s string) string { return RowLockKey([]byte("t/1"), []byte(s)) }
	for _, tc := range []struct {
		name string
		ops  []fateOp
		want map[string]string // by key; "-" = deleted
	}{
		{"delete", []fateOp{del("a")}, map[string]string{"a": "-"}},
		{"move", []fateOp{mv("a", "b")}, map[string]string{"a": "b"}},
		{"move twice", []fateOp{mv("a", "b"), mv("b", "c")}, map[string]string{"a": "c"}},
		{"move then delete", []fateOp{mv("a", "b"), del("b")}, map[string]string{"a": "-"}},
		// the row inserted after the delete is the transaction's own
		{"delete, insert, delete", []fateOp{del("a"), del("a")}, map[string]string{"a": "-"}},
		{"delete, insert, move", []fateOp{del("a"), mv("a", "b")}, map[string]string{"a": "-"}},
		// b's own row deleted first, then a's row moved into b and on to c
		{"move into a deleted key", []fateOp{del("b"), mv("a", "b"), mv("b", "c")}, map[string]string{"a": "c", "b": "-"}},
		{"swap through a third key", []fateOp{mv("a", "x"), mv("b", "a"), mv("x", "b")}, map[string]string{"a": "b", "b": "a"}},
	} {
		got := collapseFates(tc.ops)
		if len(got) != len(tc.want) {
			t.Errorf("%s: %d fates, want %d", tc.name, len(got), len(tc.want))
		}
		for key, w := range tc.want {
			to, ok := got[k(key)]
			switch {
			case !ok:
				t.Errorf("%s: no fate for %s", tc.name, key)
			case w == "-" && to != nil:
				t.Errorf("%s: %s moved to %s, want deleted", tc.name, key, to)
			case w != "-" && string(to) != w:
				t.Errorf("%s: %s moved to %q, want %s", tc.name, key, to, w)
			}
		}
	}
}

// Fates are found after a commit and kept while a transaction that
// started before the commit is open.
func TestFateRegistryKeepsFatesForOlderTransactions(t *testing.T) {
	var r Fates
	old, newer := new(int), new(int) // two transactions
	r.Begin(old, 10)
	r.Publish(&FateLog{ops: []fateOp{{bucket: "t/1", key: "a", to: []byte("b")}}}, 20)
	key := RowLockKey([]byte("t/1"), []byte("a"))
	if f, ok := r.Next(key, 10); !ok || string(f.To) != "b" || f.At != 20 {
		t.Fatalf("next after 10 = %v %v", f, ok)
	}
	if _, ok := r.Next(key, 20); ok {
		t.Fatal("a snapshot at the commit sees the move: no fate")
	}
	r.Begin(newer, 30)
	for i := range 5000 { // forces prunes: the fate at 20 must stay for old
		r.Publish(&FateLog{ops: []fateOp{{bucket: "t/2", key: string(rune(i))}}}, lsn.LSN(40+i))
	}
	if _, ok := r.Next(key, 10); !ok {
		t.Fatal("fate dropped while a transaction older than it is open")
	}
	r.End(old)
	r.Publish(&FateLog{ops: []fateOp{{bucket: "t/2", key: "z"}}}, 10000) // prune now drops what only old needed
	r.mu.Lock()
	r.prune()
	r.mu.Unlock()
	if _, ok := r.Next(key, 10); ok {
		t.Fatal("fate kept after every older transaction ended")
	}
	r.End(newer)
	if r.n != 0 {
		t.Fatalf("%d fates kept with no open transaction", r.n)
	}
}

// A FateLog notes deletions, turns the last one into a move, and forgets
// what a ROLLBACK TO undid.
func TestFateLog(t *testing.T) {
	var l FateLog
	l.Delete([]byte("t/1"), []byte("a"))
	l.Move([]byte("t/1"), []byte("a"), []byte("b"))
	l.Move([]byte("t/1"), []byte("x"), []byte("y")) // no deletion of x just noted: ignored
	mark := l.Len()
	l.Delete([]byte("t/1"), []byte("c"))
	l.Truncate(mark)
	got := collapseFates(l.ops)
	if len(got) != 1 || string(got[RowLockKey([]byte("t/1"), []byte("a"))]) != "b" {
		t.Fatalf("fates %q, want a moved to b only", got)
	}
}
