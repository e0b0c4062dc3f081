package pgdiff

import (
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
)

var (
	quoted = regexp.MustCompile(`"[^"]*"`)
	undef  = regexp.MustCompile(`^(function|operator) .*does not exist.*$`)
)

// normalize drops the names from an error message so that mismatches of
// one kind count together ("column \"x\" does not exist").
func normalize(msg string) string {
	msg = quoted.ReplaceAllString(msg, `"…"`)
	return undef.ReplaceAllString(msg, "$1 does not exist")
}

// Report prints every mismatch (statement, then each difference) grouped by
// file, then the summary: per-file and total pass/fail counts and the
// mismatches by category.
func Report(w io.Writer, outcomes []Outcome, known Known) {
	file := ""
	for _, o := range outcomes {
		if len(o.Diffs) == 0 {
			continue
		}
		name, _, _ := strings.Cut(o.Statement.ID, ":")
		if name != file {
			fmt.Fprintf(w, "=== %s\n", name)
			file = name
		}
		mark := ""
		if _, ok := known[o.Statement.ID]; ok {
			mark = " (known)"
		}
		fmt.Fprintf(w, "--- %s%s: %s\n", o.Statement.ID, mark, clip(o.Statement.SQL, 200))
		for _, d := range o.Diffs {
			fmt.Fprintf(w, "    %s: %s\n", d.Aspect, clip(d.Detail, 300))
		}
	}
	Summary(w, outcomes)
}

// Summary prints per-file and total counts and the top mismatch categories.
func Summary(w io.Writer, outcomes []Outcome) {
	type counts struct{ pass, fail int }
	perFile := map[string]*counts{}
	var files []string
	cats := map[string]int{}
	total := counts{}
	for _, o := range outcomes {
		name, _, _ := strings.Cut(o.Statement.ID, ":")
		c := perFile[name]
		if c == nil {
			c = &counts{}
			perFile[name] = c
			files = append(files, name)
		}
		if len(o.Diffs) == 0 {
			c.pass++
			total.pass++
			continue
		}
		c.fail++
		total.fail++
		cats[Category(o)]++
	}
	fmt.Fprintln(w, "compat summary (PostgreSQL 15 is the oracle):")
	for _, f := range files {
		c := perFile[f]
		fmt.Fprintf(w, "  %-24s %4d passed %4d failed\n", f, c.pass, c.fail)
	}
	fmt.Fprintf(w, "  %-24s %4d passed %4d failed (%.1f%%)\n", "total", total.pass, total.fail,
		100*float64(total.pass)/float64(max(1, total.pass+total.fail)))
	type cat struct {
		name string
		n    int
	}
	var cs []cat
	for k, n := range cats {
		cs = append(cs, cat{k, n})
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].n > cs[j].n || cs[i].n == cs[j].n && cs[i].name < cs[j].name })
	if len(cs) > 0 {
		fmt.Fprintln(w, "mismatches by category:")
	}
	for _, c := range cs {
		fmt.Fprintf(w, "  %4d  %s\n", c.n, c.name)
	}
}

// Category groups a mismatch for the summary: our error code and message
// when we fail where PostgreSQL does not, else the aspect that differs.
func Category(o Outcome) string {
	d := o.Diffs[0]
	switch d.Aspect {
	case AspectError:
		if o.Ours.Code != "" {
			return fmt.Sprintf("we fail %s: %s", o.Ours.Code, clip(normalize(o.Ours.Message), 70))
		}
		return "we succeed, PostgreSQL fails " + o.PG.Code
	case AspectCode:
		return fmt.Sprintf("sqlstate %s where PostgreSQL %s", o.Ours.Code, o.PG.Code)
	}
	var as []string
	for _, x := range o.Diffs {
		as = append(as, string(x.Aspect))
	}
	return "differ in " + strings.Join(as, "+")
}
