package spill_test

import (
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/heliosdb/nano/sql/exec/memacct"
	"github.com/heliosdb/nano/sql/exec/spill"
)

// TopN's rows are exactly a stable sort's first n — ties keep input order
// (column 2 is the input position) — in memory, and after outgrowing its
// budget into a Sorter (whose first n rows the caller's LIMIT takes).
func TestTopNMatchesStableSortPrefix(t *testing.T) {
	for _, tc := range []struct {
		rows, n int
		budget  int64
		spilled bool
	}{
		{0, 5, 1 << 30, false},
		{3000, 0, 1 << 30, false},
		{3000, 1, 1 << 30, false},
		{3000, 10, 1 << 30, false},
		{3000, 2999, 1 << 30, false},
		{3000, 3000, 1 << 30, false},
		{3000, 5000, 1 << 30, false},
		{3000, 1000, 16 << 10, true},
	} {
		t.Run(fmt.Sprintf("top %d of %d rows in %d bytes", tc.n, tc.rows, tc.budget), func(t *testing.T) {
			rows := randRows(tc.rows, uint64(tc.rows+tc.n))
			want := slices.Clone(rows)
			slices.SortStableFunc(want, cmpRows)
			want = want[:min(tc.n, len(want))]
			acct := memacct.NewAccount(0)
			sp := spill.NewSpace(t.TempDir())
			defer sp.Close()
			s := spill.NewTopN(cmpRows, tc.n, memacct.NewBudget(acct, tc.budget), sp)
			for _, r := range rows {
				if err := s.Add(r); err != nil {
					t.Fatal(err)
				}
			}
			it, err := s.Finish()
			if err != nil {
				t.Fatal(err)
			}
			got := drainIt(t, it)
			if s.Spilled() {
				got = got[:min(tc.n, len(got))]
			}
			if s.Spilled() != tc.spilled {
				t.Fatalf("spilled = %v, want %v", s.Spilled(), tc.spilled)
			}
			if !s.Spilled() && s.Held() > 0 && len(got) > tc.n {
				t.Fatalf("kept %d rows, bound %d", len(got), tc.n)
			}
			s.Close()
			if len(want) > 0 && !reflect.DeepEqual(got, want) {
				t.Fatalf("top rows differ:\n got %v\nwant %v", got[:min(5, len(got))], want[:min(5, len(want))])
			}
			if acct.Used() != 0 {
				t.Fatalf("account holds %d bytes after Close", acct.Used())
			}
		})
	}
}

// The heap holds n rows, not the input: its charge stays at n rows' size.
func TestTopNHoldsOnlyNRows(t *testing.T) {
	acct := memacct.NewAccount(0)
	sp := spill.NewSpace(t.TempDir())
	defer sp.Close()
	s := spill.NewTopN(cmpRows, 10, memacct.NewBudget(acct, 1<<30), sp)
	rows := randRows(50000, 3)
	var one int64
	for i, r := range rows {
		if err := s.Add(r); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			one = acct.Used()
		}
	}
	if used := acct.Used(); used > 12*one {
		t.Fatalf("holds %d bytes for 10 rows of ~%d bytes", used, one)
	}
	s.Close()
}
