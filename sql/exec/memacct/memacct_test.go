package memacct_test

import (
	"testing"

	"github.com/heliosdb/nano/sql/exec/memacct"
	"github.com/heliosdb/nano/sql/pgerror"
)

func TestAccountAndBudget(t *testing.T) {
	a := memacct.NewAccount(100)
	steps := []struct {
		name string
		do   func() error
		used int64
		code pgerror.Code
	}{
		{"grow 60", func() error { return a.Grow(60) }, 60, ""},
		{"grow 41 fails", func() error { return a.Grow(41) }, 60, pgerror.OutOfMemory},
		{"value of 40 fits, not kept", func() error { return a.CheckValue(40) }, 60, ""},
		{"value of 41 does not", func() error { return a.CheckValue(41) }, 60, pgerror.OutOfMemory},
		{"shrink 100 floors at 0", func() error { a.Shrink(100); return nil }, 0, ""},
		{"grow 100", func() error { return a.Grow(100) }, 100, ""},
		{"shrink 100", func() error { a.Shrink(100); return nil }, 0, ""},
	}
	for _, s := range steps {
		err := s.do()
		if pgerror.CodeOf(err) != s.code && !(s.code == "" && err == nil) {
			t.Fatalf("%s: err %v, want %s", s.name, err, s.code)
		}
		if a.Used() != s.used {
			t.Fatalf("%s: used %d, want %d", s.name, a.Used(), s.used)
		}
	}
	if a.Peak() != 100 {
		t.Fatalf("peak %d", a.Peak())
	}

	// A budget says no past work_mem or past the account's limit; Grow
	// ignores work_mem but not the account.
	a = memacct.NewAccount(1000)
	b := memacct.NewBudget(a, 100)
	if !b.TryGrow(100) || b.TryGrow(1) {
		t.Fatal("work_mem of 100 not enforced")
	}
	if err := b.Grow(800); err != nil || a.Used() != 900 {
		t.Fatalf("forced grow: %v, account %d", err, a.Used())
	}
	if err := b.Grow(101); pgerror.CodeOf(err) != pgerror.OutOfMemory {
		t.Fatalf("grow past the statement limit: %v", err)
	}
	b2 := memacct.NewBudget(a, 1<<30)
	if b2.TryGrow(101) {
		t.Fatal("TryGrow passed the statement limit")
	}
	b.Release()
	if a.Used() != 0 || b.Used() != 0 {
		t.Fatalf("after release: account %d budget %d", a.Used(), b.Used())
	}

	// nil accounts and budgets are unlimited.
	var na *memacct.Account
	var nb *memacct.Budget
	if na.Grow(1<<40) != nil || !nb.TryGrow(1<<40) || na.CheckValue(1<<40) != nil {
		t.Fatal("nil is not unlimited")
	}
}

func TestRowSize(t *testing.T) {
	small := memacct.RowSize([]any{int64(1), nil})
	big := memacct.RowSize([]any{int64(1), string(make([]byte, 1000))})
	if small <= 0 || big-small < 1000 {
		t.Fatalf("sizes %d %d", small, big)
	}
}
