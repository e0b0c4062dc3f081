package spill_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/heliosdb/nano/sql/exec/memacct"
	"github.com/heliosdb/nano/sql/exec/spill"
	"github.com/heliosdb/nano/sql/types"
)

func dec(s string) *apd.Decimal {
	d, _, err := apd.NewFromString(s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestCodecRoundTrip(t *testing.T) {
	ts := time.Date(2024, 2, 29, 13, 14, 15, 123456000, time.UTC)
	rows := [][]types.Datum{
		{},
		{nil, true, false, int64(0), int64(math.MinInt64), int64(math.MaxInt64)},
		{1.5, math.Inf(-1), math.NaN(), math.Copysign(0, -1), "", "héllo\x00world", []byte{}, []byte{0, 1, 255}},
		{dec("1.50"), dec("-0.000"), dec("1E+3"), dec("NaN"), dec("Infinity"), dec("-Infinity"), dec("123456789012345678901234567890.123")},
		{ts, time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC)},
		{types.IntervalValue{Months: -14, Days: 3, Micros: -1}, types.IntervalValue{}},
	}
	for _, row := range rows {
		b, err := spill.EncodeRow(nil, row)
		if err != nil {
			t.Fatal(err)
		}
		got, err := spill.DecodeRow(b)
		if err != nil {
			t.Fatalf("%v: %v", row, err)
		}
		if len(got) != len(row) {
			t.Fatalf("%v: got %v", row, got)
		}
		for i := range row {
			want, g := row[i], got[i]
			switch w := want.(type) {
			case float64:
				if math.IsNaN(w) {
					if f, ok := g.(float64); !ok || !math.IsNaN(f) {
						t.Errorf("NaN -> %v", g)
					}
					continue
				}
				if math.Float64bits(w) != math.Float64bits(g.(float64)) {
					t.Errorf("%v -> %v", w, g)
				}
			case *apd.Decimal:
				gd := g.(*apd.Decimal)
				if w.String() != gd.String() || w.Exponent != gd.Exponent || w.Negative != gd.Negative || w.Form != gd.Form {
					t.Errorf("%s -> %s", w, gd)
				}
			default:
				if !reflect.DeepEqual(want, g) || fmt.Sprintf("%T", want) != fmt.Sprintf("%T", g) {
					t.Errorf("%#v -> %#v", want, g)
				}
			}
		}
		if len(row) == 0 {
			continue
		}
		if tt, ok := row[0].(time.Time); ok && got[0].(time.Time) != tt {
			t.Errorf("time %v decoded as %v (not ==)", tt, got[0])
		}
	}
	if _, err := spill.EncodeRow(nil, []types.Datum{struct{}{}}); err == nil {
		t.Error("encoding a non-datum succeeded")
	}
	for _, bad := range [][]byte{nil, {5}, {1, 9}, {1, 5, 10, 'a'}, {2, 0}} {
		if _, err := spill.DecodeRow(bad); err == nil {
			t.Errorf("decoding %v succeeded", bad)
		}
	}
}

// cmpRows orders by column 0 (NULL last), then column 1 descending.
func cmpRows(a, b []types.Datum) int {
	switch {
	case a[0] == nil && b[0] == nil:
	case a[0] == nil:
		return 1
	case b[0] == nil:
		return -1
	default:
		if c := types.Compare(a[0], b[0]); c != 0 {
			return c
		}
	}
	return -types.Compare(a[1], b[1])
}

func randRows(n int, seed uint64) [][]types.Datum {
	r := rand.New(rand.NewPCG(seed, 1))
	rows := make([][]types.Datum, n)
	for i := range rows {
		var k types.Datum = fmt.Sprintf("k%03d", r.IntN(50)) // many ties
		if r.IntN(10) == 0 {
			k = nil
		}
		rows[i] = []types.Datum{k, int64(r.IntN(3)), int64(i)} // column 2: input order
	}
	return rows
}

func drainIt(t *testing.T, it spill.Iterator) [][]types.Datum {
	t.Helper()
	var out [][]types.Datum
	for {
		row, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if row == nil {
			return out
		}
		out = append(out, row)
	}
}

// The sorter's output equals a stable in-memory sort, whatever the budget
// (no spill, a few runs, more runs than MaxFanIn: multi-pass merge).
func TestSorterMatchesStableSort(t *testing.T) {
	for _, tc := range []struct {
		rows    int
		budget  int64
		spilled bool
	}{{0, 1 << 30, false}, {1, 1, false}, {3000, 1 << 30, false}, {3000, 16 << 10, true}, {20000, 2 << 10, true}} {
		t.Run(fmt.Sprintf("%d rows in %d bytes", tc.rows, tc.budget), func(t *testing.T) {
			rows := randRows(tc.rows, uint64(tc.rows))
			want := slices.Clone(rows)
			slices.SortStableFunc(want, cmpRows)
			acct := memacct.NewAccount(0)
			sp := spill.NewSpace(t.TempDir())
			defer sp.Close()
			s := spill.NewSorter(cmpRows, memacct.NewBudget(acct, tc.budget), sp)
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
			s.Close()
			if !reflect.DeepEqual(got, want) && len(want) > 0 {
				t.Fatalf("sorted rows differ (spilled runs %d)", s.Spilled())
			}
			if (s.Spilled() > 0) != tc.spilled {
				t.Fatalf("spilled %d runs, want spill=%v", s.Spilled(), tc.spilled)
			}
			if tc.rows == 20000 && s.Spilled() <= spill.MaxFanIn {
				t.Fatalf("only %d runs: the multi-pass merge was not exercised", s.Spilled())
			}
			if acct.Used() != 0 {
				t.Fatalf("account holds %d bytes after Close", acct.Used())
			}
		})
	}
}

// A statement at its memory limit makes the sorter spill rather than fail;
// a single row beyond the limit fails with 53200.
func TestSorterUnderStatementLimit(t *testing.T) {
	acct := memacct.NewAccount(8 << 10)
	sp := spill.NewSpace(t.TempDir())
	defer sp.Close()
	s := spill.NewSorter(cmpRows, memacct.NewBudget(acct, 1<<30), sp)
	for _, r := range randRows(2000, 7) {
		if err := s.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	if s.Spilled() == 0 {
		t.Fatal("no spill at the statement limit")
	}
	err := s.Add([]types.Datum{string(make([]byte, 16<<10)), int64(0), int64(0)})
	if err == nil {
		t.Fatal("a row beyond the statement limit was accepted")
	}
	s.Close()
}

func TestRowsRereadAndPartitions(t *testing.T) {
	sp := spill.NewSpace(t.TempDir())
	defer sp.Close()
	rows := randRows(1000, 3)
	for _, budget := range []int64{1 << 30, 4 << 10, 1} {
		c := spill.NewRows(memacct.NewBudget(nil, budget), sp)
		for _, r := range rows {
			if err := c.Add(r); err != nil {
				t.Fatal(err)
			}
		}
		if c.Len() != len(rows) || c.Spilled() != (budget < 1<<20) {
			t.Fatalf("budget %d: len %d spilled %v", budget, c.Len(), c.Spilled())
		}
		for pass := 0; pass < 3; pass++ {
			it, err := c.Iter()
			if err != nil {
				t.Fatal(err)
			}
			if got := drainIt(t, it); !reflect.DeepEqual(got, rows) {
				t.Fatalf("budget %d pass %d: rows differ", budget, pass)
			}
		}
		c.Close()
	}
	p, err := spill.NewPartitions(sp, 4)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		if err := p.Add(i%4, r); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 4; i++ {
		it, n, err := p.Iter(i)
		if err != nil || n != 250 {
			t.Fatalf("partition %d: %d rows, %v", i, n, err)
		}
		got := drainIt(t, it)
		if len(got) != 250 || !reflect.DeepEqual(got[1], rows[4+i]) {
			t.Fatalf("partition %d content", i)
		}
	}
	if sp.Written() == 0 || sp.Files() == 0 {
		t.Fatal("nothing written")
	}
}

// Files are unlinked at creation: nothing is left in the directory, even
// before Close; CleanDir removes leftovers of other processes only.
func TestSpaceLeavesNoFiles(t *testing.T) {
	dir := t.TempDir()
	sp := spill.NewSpace(dir)
	s := spill.NewSorter(cmpRows, memacct.NewBudget(nil, 1<<10), sp)
	for _, r := range randRows(500, 1) {
		if err := s.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Finish(); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("files left in the temp dir: %v", ents)
	}
	if err := sp.Close(); err != nil {
		t.Fatal(err)
	}
	_ = os.WriteFile(filepath.Join(dir, "spill-leftover"), []byte("x"), 0o600)
	_ = os.WriteFile(filepath.Join(dir, "keep"), []byte("x"), 0o600)
	if err := spill.CleanDir(dir); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 || ents[0].Name() != "keep" {
		t.Fatalf("after CleanDir: %v", ents)
	}
	if err := spill.CleanDir(filepath.Join(dir, "missing")); err != nil {
		t.Fatal(err)
	}
}
