package history

import (
	"math"
	"strings"
	"testing"
	"time"
)

// op builds an operation for the table tests.
func op(id, p int, call, ret int64, st Status, f string, v any) Op {
	if st == Unknown {
		ret = math.MaxInt64
	}
	return Op{ID: id, Process: p, Call: call, Return: ret, Status: st, F: f, Value: v}
}

func TestRegister(t *testing.T) {
	for _, tc := range []struct {
		name      string
		ops       []Op
		anomalies int
	}{
		{"sequential write then read", []Op{
			op(0, 0, 0, 10, OK, "write", RegOp{Key: 1, V: 5}),
			op(1, 1, 20, 30, OK, "read", RegOp{Key: 1, V: 5}),
		}, 0},
		{"stale read after an acknowledged write", []Op{
			op(0, 0, 0, 10, OK, "write", RegOp{Key: 1, V: 5}),
			op(1, 1, 20, 30, OK, "read", RegOp{Key: 1, V: 0}),
		}, 1},
		{"concurrent read may see either", []Op{
			op(0, 0, 0, 10, OK, "write", RegOp{Key: 1, V: 5}),
			op(1, 1, 5, 8, OK, "read", RegOp{Key: 1, V: 0}),
		}, 0},
		{"an unknown write may have happened", []Op{
			op(0, 0, 0, 0, Unknown, "write", RegOp{Key: 1, V: 7}),
			op(1, 1, 20, 30, OK, "read", RegOp{Key: 1, V: 7}),
			op(2, 1, 40, 50, OK, "read", RegOp{Key: 1, V: 7}),
		}, 0},
		{"an unknown write may not have happened", []Op{
			op(0, 0, 0, 0, Unknown, "write", RegOp{Key: 1, V: 7}),
			op(1, 1, 20, 30, OK, "read", RegOp{Key: 1, V: 0}),
		}, 0},
		{"a failed write is never seen", []Op{
			op(0, 0, 0, 10, Fail, "write", RegOp{Key: 1, V: 7}),
			op(1, 1, 20, 30, OK, "read", RegOp{Key: 1, V: 7}),
		}, 1},
		{"value flips back", []Op{
			op(0, 0, 0, 10, OK, "write", RegOp{Key: 1, V: 1}),
			op(1, 0, 11, 20, OK, "write", RegOp{Key: 1, V: 2}),
			op(2, 1, 30, 40, OK, "read", RegOp{Key: 1, V: 2}),
			op(3, 1, 50, 60, OK, "read", RegOp{Key: 1, V: 1}),
		}, 1},
		{"cas applied and not applied", []Op{
			op(0, 0, 0, 10, OK, "cas", RegOp{Key: 1, From: 0, V: 3, Applied: true}),
			op(1, 1, 20, 30, OK, "cas", RegOp{Key: 1, From: 0, V: 4, Applied: false}),
			op(2, 1, 40, 50, OK, "read", RegOp{Key: 1, V: 3}),
		}, 0},
		{"two cas from the same value both applied", []Op{
			op(0, 0, 0, 10, OK, "cas", RegOp{Key: 1, From: 0, V: 3, Applied: true}),
			op(1, 1, 20, 30, OK, "cas", RegOp{Key: 1, From: 0, V: 4, Applied: true}),
		}, 1},
		{"keys are independent", []Op{
			op(0, 0, 0, 10, OK, "write", RegOp{Key: 1, V: 5}),
			op(1, 1, 20, 30, OK, "read", RegOp{Key: 2, V: 0}),
		}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := CheckRegister(tc.ops, 10*time.Second)
			if r.Anomalies != tc.anomalies {
				t.Fatalf("anomalies = %d, want %d: %v", r.Anomalies, tc.anomalies, r.Details)
			}
		})
	}
}

func TestSet(t *testing.T) {
	ops := []Op{
		op(0, 0, 0, 1, OK, "add", int64(1)),
		op(1, 0, 2, 3, OK, "add", int64(2)),
		op(2, 0, 4, 5, Unknown, "add", int64(3)),
		op(3, 0, 6, 7, Fail, "add", int64(4)),
		op(4, 0, 8, 9, Unknown, "add", int64(5)),
	}
	if r := CheckSet(ops, []int64{1, 2, 3}); r.Lost+r.Duplicated+r.Anomalies != 0 {
		t.Fatalf("clean: %+v", r)
	}
	r := CheckSet(ops, []int64{2, 2, 4, 9})
	if r.Lost != 1 || r.Duplicated != 1 || r.Anomalies != 2 {
		t.Fatalf("lost 1 (1), duplicated 1 (2), anomalies 2 (4 failed, 9 invented); got %+v", r)
	}
}

func TestBank(t *testing.T) {
	ops := []Op{
		op(0, 0, 0, 1, OK, "read", BankRead{map[int]int64{0: 50, 1: 50}}),
		op(1, 0, 0, 1, OK, "read", BankRead{map[int]int64{0: 60, 1: 50}}),
		op(2, 0, 0, 1, OK, "read", BankRead{map[int]int64{0: 110, 1: -10}}),
		op(3, 0, 0, 1, OK, "read", BankRead{map[int]int64{0: 100}}),
		op(4, 0, 0, 1, Unknown, "read", BankRead{}),
	}
	if r := CheckBank(ops, 2, 100); r.Anomalies != 3 {
		t.Fatalf("anomalies = %d, want 3: %v", r.Anomalies, r.Details)
	}
}

func txn(m ...Mop) Txn               { return m }
func a(k, v int) Mop                 { return Mop{F: 'a', Key: k, V: v} }
func rd(k int, l ...int) Mop         { return Mop{F: 'r', Key: k, Read: l} }
func tx(id int, st Status, t Txn) Op { return op(id, id, int64(id), int64(id)+1, st, "txn", t) }

func TestAppend(t *testing.T) {
	for _, tc := range []struct {
		name         string
		ops          []Op
		final        map[int][]int
		serializable bool
		kinds        []string // problem prefixes expected (in any order)
		lost         int
	}{
		{"serial history", []Op{
			tx(0, OK, txn(a(1, 1), a(2, 1))),
			tx(1, OK, txn(rd(1, 1), a(1, 2))),
			tx(2, OK, txn(rd(1, 1, 2), rd(2, 1))),
		}, map[int][]int{1: {1, 2}, 2: {1}}, true, nil, 0},
		{"own appends read back", []Op{
			tx(0, OK, txn(a(1, 1), rd(1, 1))),
			tx(1, OK, txn(a(1, 2), rd(1, 1, 2))),
		}, map[int][]int{1: {1, 2}}, true, nil, 0},
		{"G0: write cycle", []Op{
			tx(0, OK, txn(a(1, 1), a(2, 2))),
			tx(1, OK, txn(a(1, 2), a(2, 1))),
		}, map[int][]int{1: {1, 2}, 2: {1, 2}}, true, []string{"G0"}, 0},
		{"G1c: T0 reads T1's write, T1 overwrites after T0", []Op{
			tx(0, OK, txn(a(1, 1), rd(2, 1))),
			tx(1, OK, txn(a(2, 1), a(1, 2))),
		}, map[int][]int{1: {1, 2}, 2: {1}}, true, []string{"G1c"}, 0},
		{"G-single: read skew", []Op{
			tx(0, OK, txn(rd(1), rd(2, 1))),
			tx(1, OK, txn(a(1, 1), a(2, 1))),
		}, map[int][]int{1: {1}, 2: {1}}, true, []string{"G-single"}, 0},
		{"G2: write skew, serializable", []Op{
			tx(0, OK, txn(rd(1), a(2, 1))),
			tx(1, OK, txn(rd(2), a(1, 1))),
		}, map[int][]int{1: {1}, 2: {1}}, true, []string{"G2"}, 0},
		{"G2: write skew, repeatable read (allowed)", []Op{
			tx(0, OK, txn(rd(1), a(2, 1))),
			tx(1, OK, txn(rd(2), a(1, 1))),
		}, map[int][]int{1: {1}, 2: {1}}, false, nil, 0},
		{"G1a: read of a failed append", []Op{
			tx(0, Fail, txn(a(1, 1))),
			tx(1, OK, txn(rd(1, 1))),
		}, map[int][]int{1: {1}}, true, []string{"G1a"}, 0},
		{"G1b: intermediate read", []Op{
			tx(0, OK, txn(a(1, 1), a(1, 2))),
			tx(1, OK, txn(rd(1, 1))),
		}, map[int][]int{1: {1, 2}}, true, []string{"G1b"}, 0},
		{"lost append and incompatible orders", []Op{
			tx(0, OK, txn(a(1, 1))),
			tx(1, OK, txn(a(1, 2))),
			tx(2, OK, txn(rd(1, 2))),
		}, map[int][]int{1: {1}}, true, []string{"append: key 1", "append: acknowledged"}, 1},
		{"unknown appends may show", []Op{
			tx(0, Unknown, txn(a(1, 1))),
			tx(1, OK, txn(rd(1, 1))),
		}, map[int][]int{1: {1}}, true, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := CheckAppend(tc.ops, tc.final, tc.serializable)
			if r.Lost != tc.lost {
				t.Errorf("lost = %d, want %d", r.Lost, tc.lost)
			}
			want := len(tc.kinds)
			if r.Anomalies+r.Lost != want && !(want > 0 && r.Anomalies+r.Lost >= want) {
				t.Errorf("anomalies+lost = %d, want %d: %v", r.Anomalies+r.Lost, want, r.Details)
			}
			for _, k := range tc.kinds {
				found := false
				for _, d := range r.Details {
					found = found || strings.HasPrefix(d, k)
				}
				if !found {
					t.Errorf("no %s problem in %v", k, r.Details)
				}
			}
			if want == 0 && len(r.Details) > 0 {
				t.Errorf("problems in a clean history: %v", r.Details)
			}
		})
	}
}

// A register anomaly lists the key's operations before the first one that
// could not be linearized, so the write that went back in time is seen.
func TestRegisterAnomalyListsWindow(t *testing.T) {
	r := CheckRegister([]Op{
		op(0, 0, 0, 10, OK, "write", RegOp{Key: 1, V: 1}),
		op(1, 0, 11, 20, OK, "write", RegOp{Key: 1, V: 2}),
		op(2, 1, 30, 40, OK, "read", RegOp{Key: 1, V: 2}),
		op(3, 1, 50, 60, OK, "read", RegOp{Key: 1, V: 1}),
	}, 10*time.Second)
	got := strings.Join(r.Details, "\n")
	for _, want := range []string{"write(0,2)", "read(0,2)", "read(0,1)"} {
		if r.Anomalies != 1 || !strings.Contains(got, want) {
			t.Fatalf("anomaly details lack %s: %s", want, got)
		}
	}
}

func TestTerms(t *testing.T) {
	acked := func(id, p int, call, ret int64, node string, term uint64) Op {
		o := op(id, p, call, ret, OK, "add", int64(id))
		o.Node, o.Term = node, term
		return o
	}
	for _, tc := range []struct {
		name      string
		ops       []Op
		anomalies int
	}{
		{"one term", []Op{acked(0, 0, 0, 10, "n1", 1), acked(1, 1, 20, 30, "n1", 1)}, 0},
		{"terms rise", []Op{acked(0, 0, 0, 10, "n1", 1), acked(1, 1, 20, 30, "n2", 2), acked(2, 0, 40, 50, "n2", 2)}, 0},
		{"old term invoked after the new term acknowledged", []Op{
			acked(0, 0, 0, 10, "n2", 2),
			acked(1, 1, 20, 30, "n1", 1),
		}, 1},
		{"old term acknowledged late but invoked before the new term answered", []Op{
			acked(0, 0, 0, 100, "n1", 1),
			acked(1, 1, 20, 30, "n2", 2),
		}, 0},
		{"old term concurrent with the first new-term acknowledgement", []Op{
			acked(0, 0, 0, 30, "n2", 2),
			acked(1, 1, 20, 40, "n1", 1),
		}, 0},
		{"the highest earlier term counts, not the last", []Op{
			acked(0, 0, 0, 10, "n3", 3),
			acked(1, 1, 12, 14, "n2", 2), // stale too
			acked(2, 2, 20, 30, "n2", 2),
		}, 2},
		{"unknown, failed and termless operations are not checked", []Op{
			acked(0, 0, 0, 10, "n2", 2),
			{ID: 1, Process: 1, Call: 20, Return: math.MaxInt64, Status: Unknown, F: "add", Value: int64(1), Node: "n1", Term: 1},
			{ID: 2, Process: 1, Call: 20, Return: 30, Status: Fail, F: "add", Value: int64(2), Node: "n1", Term: 1},
			op(3, 2, 40, 50, OK, "add", int64(3)),
		}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := CheckTerms(tc.ops)
			if r.Anomalies != tc.anomalies {
				t.Errorf("anomalies = %d, want %d: %v", r.Anomalies, tc.anomalies, r.Details)
			}
			if tc.anomalies > 0 && !strings.Contains(r.Details[0], "invoked") {
				t.Errorf("details do not say why: %v", r.Details)
			}
		})
	}
}
