package exec_test

import (
	"bufio"
	"context"
	"crypto/md5"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/heliosdb/nano/sql/exec"
	"github.com/heliosdb/nano/sql/exec/exectest"
	"github.com/heliosdb/nano/sql/pgerror"
)

type record struct {
	line int
	kind string // statement / query
	arg  string // ok / error code / query types
	sort bool
	sql  string
	want []string
}

func parseFile(t *testing.T, path string) []record {
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("%s: %v", path, err)
	}
	defer f.Close()
	var recs []record
	var cur *record
	inResult := false
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case strings.TrimSpace(line) == "":
			if cur != nil {
				recs = append(recs, *cur)
			}
			cur, inResult = nil, false
		case cur == nil && strings.HasPrefix(line, "#"):
		case cur == nil:
			f := strings.Fields(line)
			if f[0] != "statement" && f[0] != "query" {
				continue
			}
			cur = &record{line: n, kind: f[0]}
			if len(f) > 1 {
				cur.arg = f[1]
			}
			if len(f) > 2 && f[0] == "statement" {
				cur.arg = f[2] // "statement error 23505"
			}
			cur.sort = len(f) > 2 && f[0] == "query" && f[2] == "rowsort"
		case line == "----":
			inResult = true
		case inResult:
			cur.want = append(cur.want, line)
		default:
			if cur.sql != "" {
				cur.sql += "\n"
			}
			cur.sql += line
		}
	}
	if cur != nil {
		recs = append(recs, *cur)
	}
	return recs
}

// runLogic runs one file; strict fails the test on any mismatch, else it
// returns the pass/fail counts.
func runLogic(t *testing.T, e *exec.Engine, path string, strict bool, slt bool) (pass, fail int) {
	ctx := context.Background()
	for _, r := range parseFile(t, path) {
		res, err := exectest.Run(ctx, e, r.sql)
		ok := true
		why := ""
		switch {
		case r.kind == "statement" && r.arg == "ok":
			ok, why = err == nil, "unexpected error"
		case r.kind == "statement":
			ok = err != nil && (slt || string(pgerror.CodeOf(err)) == r.arg)
			why = "expected error " + r.arg
		case err != nil:
			ok, why = false, "query error"
		default:
			got := render(res, r.arg, slt)
			if r.sort {
				sort.Strings(got)
			}
			want := r.want
			if len(want) == 1 && strings.Contains(want[0], "values hashing to") {
				var vals []string
				for _, row := range res.Rows {
					vals = append(vals, row...)
				}
				if r.sort {
					vals = vals[:0]
					for _, g := range got {
						vals = append(vals, strings.Fields(g)...)
					}
				}
				h := md5.New()
				for _, v := range vals {
					if v == "" {
						v = "(empty)"
					}
					h.Write([]byte(v + "\n"))
				}
				ok = fmt.Sprintf("%d values hashing to %x", len(vals), h.Sum(nil)) == strings.TrimSpace(want[0])
			} else {
				ok = strings.Join(got, "\n") == strings.Join(want, "\n")
			}
			why = "got:\n" + strings.Join(got, "\n")
		}
		if ok {
			pass++
			continue
		}
		fail++
		if strict {
			t.Errorf("%s:%d: %s\n%s\nerr=%v", filepath.Base(path), r.line, r.sql, why, err)
		}
	}
	return pass, fail
}

func render(res *exectest.Result, _ string, _ bool) []string {
	var out []string
	for _, row := range res.Rows {
		vals := make([]string, len(row))
		for i, v := range row {
			if v == "" {
				v = "(empty)"
			}
			vals[i] = v
		}
		out = append(out, strings.Join(vals, " "))
	}
	return out
}

func TestLogic(t *testing.T) {
	files, _ := filepath.Glob("testdata/logic/*.test")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			runLogic(t, exectest.New(t), f, true, false)
		})
	}
}

// The sqllogictest corpus of ../shared/conformance is scored by
// tests.TestConformanceSLT (slt.py against a built node, with a floor).
