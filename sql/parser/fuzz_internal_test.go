package parser

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/heliosdb/nano/sql/pgerror"
)

// FuzzParseDepth checks the bound that keeps pg_query off the end of the C
// stack: it builds prefix + open×n + middle + close×n + suffix (n up to
// 20,000, so the fuzzer explores nesting shapes, not only flat text), and
// every statement Split estimates within MaxDepth must parse — with a
// result or a *pgerror.Error — without overflowing a stack (a SIGSEGV in
// cgo ends the worker, which the fuzzer reports as a crash; `make fuzz`
// runs this target under `ulimit -s 1536` like TestDepthLimitCStack).
// Statements estimated deeper must be refused with 54001.
func FuzzParseDepth(f *testing.F) {
	for _, sh := range deepShapes {
		f.Add(sh.gen(1), "", "", "", uint16(0))
	}
	f.Add("SELECT ", "(", "1", ")", uint16(2999))
	f.Add("SELECT ", "- ", "1", "", uint16(5000))
	f.Add("SELECT ", "ARRAY[", "1", "]", uint16(1500))
	f.Add("SELECT ", "(SELECT ", "1", ")", uint16(1000))
	f.Add("SELECT 1", "+1", "", "", uint16(20000))
	f.Add("SELECT ", "CASE WHEN true THEN ", "1", " END", uint16(800))
	f.Add("SELECT ", "ROW(", "1", ")", uint16(2000))
	f.Add("SELECT * FROM t0", " JOIN t ON true", "", "", uint16(1000))
	f.Add("CREATE TABLE x AS SELECT ", "jsonb_build_object('a', ", "1", ")", uint16(1000))
	f.Add("SELECT ", "'a' || ", "'b'", "", uint16(3000))
	f.Add("SELECT 1 WHERE ", "NOT ", "true", "", uint16(4000))
	f.Fuzz(func(t *testing.T, prefix, open, middle, close string, n uint16) {
		k := int(n) % 20001
		if len(open)+len(close) > 64 || len(prefix)+len(middle) > 4096 {
			return
		}
		sql := prefix + strings.Repeat(open, k) + middle + strings.Repeat(close, k)
		ctx := context.Background()
		pieces, err := Split(ctx, sql)
		if err != nil {
			return
		}
		// ParseContext refuses the first piece estimated deeper than
		// MaxDepth, unless an earlier statement already failed: its error
		// comes first, as PostgreSQL reports the first error in the string
		// (testdata/fuzz/FuzzParseDepth/5fbc8b810dbdcbcf: "000…0" then 2,985
		// "(" is 42601 at the number). The deep piece never reaches pg_query
		// either way.
		deep := false
		for _, p := range pieces {
			if p.Depth > MaxDepth {
				deep = true
				break
			}
			if _, err := parsePiece(nil, sql[p.Start:p.End], p.Start, 0); err != nil {
				break
			}
		}
		_, err = ParseContext(ctx, sql)
		if deep {
			if pgerror.CodeOf(err) != pgerror.StatementTooComplex {
				t.Fatalf("a statement estimated deeper than %d was not refused with 54001: %v", MaxDepth, err)
			}
			return
		}
		var pe *pgerror.Error
		if err != nil && !errors.As(err, &pe) {
			t.Fatalf("a statement within the depth bound failed outside PostgreSQL's errors: %v", err)
		}
	})
}
