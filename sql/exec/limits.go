package exec

import (
	"errors"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/heliosdb/nano/sql/exec/memacct"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

// Values are bounded as in PostgreSQL: a text or bytea value and its
// 4-byte header must fit in one allocation of at most MaxAllocSize
// (1 GB - 1). Every function or operator that can build a big value
// computes the result's size first and fails before allocating it, with
// the message PostgreSQL gives for that function:
//
//	||                  invalid memory alloc request size N
//	repeat              requested length too large
//	concat, concat_ws,  out of memory / Cannot enlarge string buffer
//	replace             containing N bytes by M more bytes.
//
// all with SQLSTATE 54000 program_limit_exceeded (PostgreSQL reports the
// first one as XX000 because palloc raises it; 54000 is the class the
// others use). A value that fits is then checked against what is left of
// the statement's memory limit (53200, memacct.Account.CheckValue).

// foldMaxValue bounds the values constant folding may build at plan time:
// a bigger one is left to run time, where the statement's memory account
// applies (and it is not kept in the plan).
const foldMaxValue = 1 << 20

// errNoFold tells foldConst to leave an expression to run time.
var errNoFold = errors.New("exec: value left to run time")

func errAllocRequest(n int64) error {
	return pgerror.Newf(pgerror.ProgramLimitExceeded, "invalid memory alloc request size %d", n)
}

func errRequestedLength() error {
	return pgerror.New(pgerror.ProgramLimitExceeded, "requested length too large")
}

func errStringBuffer(have, more int64) error {
	return pgerror.New(pgerror.ProgramLimitExceeded, "out of memory").
		WithDetail("Cannot enlarge string buffer containing %d bytes by %d more bytes.", have, more)
}

// allowValue reports whether a value of n bytes (within the per-value
// limit) may be built now: against the statement's memory limit at run
// time; at plan time (en == nil) only small values are folded. A big value
// also checks for cancellation first: checkCancel looks at the context
// every 256 rows only, and 256 rows each building a 300 MB value kept a
// statement running for a minute past its statement_timeout.
func (en *env) allowValue(n int64) error {
	if en == nil {
		if n > foldMaxValue {
			return errNoFold
		}
		return nil
	}
	if n >= cancelCheckValue && en.ctx != nil && en.ctx.Err() != nil {
		return errCanceled
	}
	return en.account().CheckValue(n)
}

// cancelCheckValue is the value size from which allowValue checks for
// cancellation (building it costs far more than the check).
const cancelCheckValue = 64 << 10

// strBuf mirrors PostgreSQL's StringInfo limit: an append of more bytes
// fails when the buffer would reach the limit (0 = MaxAllocSize; tests use
// small limits).
type strBuf struct{ n, limit int64 }

func (b *strBuf) max() int64 {
	if b.limit > 0 {
		return b.limit
	}
	return memacct.MaxAllocSize
}

func (b *strBuf) add(more int64) error {
	if more >= b.max()-b.n {
		return errStringBuffer(b.n, more)
	}
	b.n += more
	return nil
}

// done checks the final text value (with its header) of n bytes.
func (b *strBuf) done() error {
	if b.n+4 > b.max() {
		return errAllocRequest(b.n + 4)
	}
	return nil
}

// textLen is the length of d's text form without building it (bytea is
// rendered as hex: \x and two digits a byte).
func textLen(d Datum, t types.T) int64 {
	switch v := d.(type) {
	case string:
		return int64(len(v))
	case []byte:
		return 2 + 2*int64(len(v))
	}
	return int64(len(types.FormatText(d, t)))
}

// repeatLen checks repeat(s, n): PostgreSQL refuses a result (plus its
// header) beyond MaxAllocSize.
func repeatLen(slen, n int64) (int64, error) {
	if n <= 0 || slen == 0 {
		return 0, nil
	}
	if slen > (math.MaxInt32-4)/n || slen*n+4 > memacct.MaxAllocSize {
		return 0, errRequestedLength()
	}
	return slen * n, nil
}

// replaceLen returns the length of replace(s, from, to), or PostgreSQL's
// error at the append that would pass the limit.
func replaceLen(s, from, to string) (int64, error) { return replaceLenWithin(s, from, to, 0) }

func replaceLenWithin(s, from, to string, limit int64) (int64, error) {
	if len(s) == 0 || len(from) == 0 {
		return int64(len(s)), nil
	}
	b := strBuf{limit: limit}
	count := int64(strings.Count(s, from))
	total := int64(len(s)) + count*(int64(len(to))-int64(len(from)))
	if total+4 <= b.max() {
		return total, nil
	}
	if len(from) == 1 {
		return replaceLenByte(s, from[0], int64(len(to)), b.max())
	}
	rest := s
	for {
		i := strings.Index(rest, from)
		if i < 0 {
			break
		}
		if err := b.add(int64(i)); err != nil {
			return 0, err
		}
		if err := b.add(int64(len(to))); err != nil {
			return 0, err
		}
		rest = rest[i+len(from):]
	}
	if err := b.add(int64(len(rest))); err != nil {
		return 0, err
	}
	return b.n, b.done()
}

// replaceLenByte is replaceLen's slow path for a one-byte search string:
// one pass over s, no call per match.
func replaceLenByte(s string, from byte, to, limit int64) (int64, error) {
	var n, start int64
	for i := 0; i < len(s); i++ {
		if s[i] != from {
			continue
		}
		chunk := int64(i) - start
		if chunk >= limit-n {
			return 0, errStringBuffer(n, chunk)
		}
		n += chunk
		if to >= limit-n {
			return 0, errStringBuffer(n, to)
		}
		n += to
		start = int64(i) + 1
	}
	b := strBuf{n: n, limit: limit}
	if err := b.add(int64(len(s)) - start); err != nil {
		return 0, err
	}
	return b.n, b.done()
}

// mappedLen is the UTF-8 length of s with every rune mapped by f.
func mappedLen(s string, f func(rune) rune) int64 {
	n := int64(0)
	for _, r := range s {
		if r < utf8.RuneSelf {
			n++
			continue
		}
		n += int64(utf8.RuneLen(f(r)))
	}
	return n
}
