package memacct

import (
	"fmt"
	"time"

	"github.com/cockroachdb/apd/v3"

	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

// MaxAllocSize is PostgreSQL's limit on one allocation (1 GB - 1): no value
// (with its 4-byte header) may be larger.
const MaxAllocSize = 1<<30 - 1

// Account is one statement's memory: what it holds now, its peak and its
// limit (0 = unlimited).
type Account struct {
	limit int64
	used  int64
	peak  int64
}

// NewAccount returns an account limited to limit bytes (0 = unlimited).
func NewAccount(limit int64) *Account { return &Account{limit: limit} }

// Limit returns the account's limit (0 = unlimited).
func (a *Account) Limit() int64 {
	if a == nil {
		return 0
	}
	return a.limit
}

// Used returns the bytes held now.
func (a *Account) Used() int64 {
	if a == nil {
		return 0
	}
	return a.used
}

// Peak returns the most bytes held (or checked for a value) at any time.
func (a *Account) Peak() int64 {
	if a == nil {
		return 0
	}
	return a.peak
}

func (a *Account) fits(n int64) bool { return a.limit <= 0 || a.used+n <= a.limit }

func (a *Account) notePeak(n int64) {
	if a.used+n > a.peak {
		a.peak = a.used + n
	}
}

// Grow charges n bytes, or fails with 53200 when that would pass the limit.
func (a *Account) Grow(n int64) error {
	if a == nil || n <= 0 {
		return nil
	}
	if !a.fits(n) {
		return a.errOver(n)
	}
	a.notePeak(n)
	a.used += n
	return nil
}

// TryGrow charges n bytes if they fit and reports whether they did.
func (a *Account) TryGrow(n int64) bool {
	if a == nil || n <= 0 {
		return true
	}
	if !a.fits(n) {
		return false
	}
	a.notePeak(n)
	a.used += n
	return true
}

// Shrink gives n bytes back.
func (a *Account) Shrink(n int64) {
	if a == nil || n <= 0 {
		return
	}
	a.used -= n
	if a.used < 0 {
		a.used = 0
	}
}

// CheckValue reports whether a value of n bytes may be built now: it must
// fit in what the statement has left (53200). It is not retained; the
// caller enforces the per-value limit (MaxAllocSize) with the function's
// own PostgreSQL message.
func (a *Account) CheckValue(n int64) error {
	if a == nil || n <= 0 {
		return nil
	}
	if !a.fits(n) {
		return a.errOver(n)
	}
	a.notePeak(n)
	return nil
}

func (a *Account) errOver(n int64) error {
	return pgerror.New(pgerror.OutOfMemory, "out of memory").
		WithDetail("Failed on request of size %d: the statement holds %d bytes and its limit is %d bytes.", n, a.used, a.limit).
		WithHint("The limit is the node's --statement-memory-limit. Sorts, hash aggregates, DISTINCT and joins spill to disk past work_mem; very large values, subquery results and set operations do not.")
}

// Budget is an operator's share of an Account: at most limit bytes of
// work memory (work_mem).
type Budget struct {
	acct  *Account
	limit int64
	used  int64
}

// NewBudget returns a budget of limit bytes charged to a (nil = unlimited
// statement). limit <= 0 means work memory is unlimited.
func NewBudget(a *Account, limit int64) *Budget { return &Budget{acct: a, limit: limit} }

// TryGrow charges n bytes if they fit both in the budget and in the
// statement's account. false means: spill.
func (b *Budget) TryGrow(n int64) bool {
	if b == nil {
		return true
	}
	if b.limit > 0 && b.used+n > b.limit {
		return false
	}
	if !b.acct.TryGrow(n) {
		return false
	}
	b.used += n
	return true
}

// Grow charges n bytes whatever work_mem says (an operator must hold at
// least one row); only the statement's limit applies.
func (b *Budget) Grow(n int64) error {
	if b == nil {
		return nil
	}
	if err := b.acct.Grow(n); err != nil {
		return err
	}
	b.used += n
	return nil
}

// Shrink gives n bytes back.
func (b *Budget) Shrink(n int64) {
	if b == nil {
		return
	}
	n = min(n, b.used)
	b.used -= n
	b.acct.Shrink(n)
}

// Release gives everything back.
func (b *Budget) Release() { b.Shrink(b.Used()) }

// Used returns the bytes charged to the budget.
func (b *Budget) Used() int64 {
	if b == nil {
		return 0
	}
	return b.used
}

// Limit returns the budget's work memory (0 = unlimited).
func (b *Budget) Limit() int64 {
	if b == nil {
		return 0
	}
	return b.limit
}

// Go heap sizes used by the estimates.
const (
	ifaceSize = 16 // an interface value (a Datum in a row)
	sliceSize = 24 // a slice header
	strSize   = 16 // a string header
	boxSize   = 8  // a boxed int64/float64/bool
)

// DatumSize estimates the heap a datum occupies beyond its interface slot.
func DatumSize(d types.Datum) int64 {
	switch v := d.(type) {
	case nil:
		return 0
	case bool, int64, float64:
		return boxSize
	case string:
		return strSize + int64(len(v))
	case []byte:
		return sliceSize + int64(cap(v))
	case *apd.Decimal:
		return 64 + int64(len(v.Coeff.Bits()))*8
	case time.Time:
		return 24
	case types.IntervalValue:
		return 24
	case []types.Datum: // a record (exec/jsonrow.go)
		return RowSize(v)
	}
	return 32
}

// RowSize estimates the heap a row (its slice and datums) occupies.
func RowSize(row []types.Datum) int64 {
	n := int64(sliceSize + ifaceSize*len(row))
	for _, d := range row {
		n += DatumSize(d)
	}
	return n
}

// FormatBytes renders n like PostgreSQL's memory units ("4096kB", "64MB").
func FormatBytes(n int64) string {
	switch {
	case n%(1<<30) == 0 && n > 0:
		return fmt.Sprintf("%dGB", n>>30)
	case n%(1<<20) == 0 && n > 0:
		return fmt.Sprintf("%dMB", n>>20)
	case n%(1<<10) == 0:
		return fmt.Sprintf("%dkB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}
