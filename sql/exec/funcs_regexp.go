package exec

import (
	"regexp"
	"strings"
	"sync"

	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

// regexp_matches(string, pattern [, flags]) yields a text[] of the
// capture groups (the whole match when the pattern has none; NULL for a
// group that did not take part) for the first match, or for every match
// with the g flag; no match, no row. regexp_split_to_table and
// regexp_split_to_array split at every match, ignoring PostgreSQL's
// "degenerate" ones (an empty match at the start or end of the string or
// right after the previous match); the g flag is refused (22023). The q
// flag makes the pattern a literal string. The
// matches are PostgreSQL's: after an empty match the search goes on one
// character later; an empty match right after a non-empty one counts
// (emptyAfterMatches).

func init() {
	textArr, _ := types.ArrayOf(types.Text)
	textOnly := func(name string, res types.T) func([]*cexpr) (types.T, error) {
		// no check of a constant pattern while planning: PostgreSQL does
		// not fold set-returning calls
		return func(args []*cexpr) (types.T, error) {
			if !allText(args) {
				return types.T{}, argErr(name, args)
			}
			return res, nil // a bad pattern fails when a row reaches it
		}
	}
	textT := []types.T{types.Text}
	srfTable["regexp_matches"] = srfDef{minArg: 2, maxArg: 3, hints: textT, result: textOnly("regexp_matches", textArr),
		gen: func(a []Datum, _ []types.T) ([]Datum, error) {
			re, global, err := regexArgs(a, true, "regexp_matches")
			if err != nil {
				return nil, err
			}
			s := str(a[0])
			var out []Datum
			for _, m := range pgMatches(re, s, global) {
				out = append(out, matchArray(re, s, m))
			}
			return out, nil
		}}
	srfTable["regexp_split_to_table"] = srfDef{minArg: 2, maxArg: 3, hints: textT, result: textOnly("regexp_split_to_table", types.Text),
		gen: func(a []Datum, _ []types.T) ([]Datum, error) {
			return regexpSplit(a, "regexp_split_to_table")
		}}
	funcTable["regexp_split_to_array"] = funcDef{result: fixed(textArr), hints: textT, strict: true, minArg: 2, maxArg: 3,
		prep: func(args []*cexpr) ([]*cexpr, types.T, scalarFn, error) {
			if !allText(args) {
				return nil, types.T{}, nil, errNoVariant
			}
			if err := precompileSet(args, true, "regexp_split_to_array"); err != nil {
				return nil, types.T{}, nil, err
			}
			return args, textArr, func(_ *env, a []Datum) (Datum, error) {
				parts, err := regexpSplit(a, "regexp_split_to_array")
				if err != nil {
					return nil, err
				}
				return types.NewArray1(types.Text, parts), nil
			}, nil
		}}
}

// srfRegexes holds compiled patterns for the set-returning forms (a
// generator has no per-call state); it is emptied when it grows large.
var srfRegexes struct {
	sync.Mutex
	m map[[2]string]*regexp.Regexp
}

// regexArgs compiles the pattern and flags of a[1] and a[2].
func regexArgs(a []Datum, allowG bool, name string) (*regexp.Regexp, bool, error) {
	f := ""
	if len(a) > 2 {
		f = str(a[2])
	}
	if !allowG && strings.ContainsRune(f, 'g') {
		return nil, false, pgerror.Newf(pgerror.InvalidParameterValue, "%s() does not support the \"global\" option", name)
	}
	pat := str(a[1])
	if strings.ContainsRune(f, 'q') {
		pat, f = regexp.QuoteMeta(pat), strings.ReplaceAll(f, "q", "")
	}
	global, o, err := regexFlags(f, true)
	if err != nil {
		return nil, false, err
	}
	key := [2]string{pat, f}
	srfRegexes.Lock()
	re := srfRegexes.m[key]
	srfRegexes.Unlock()
	if re != nil {
		return re, global, nil
	}
	if re, err = compileRegexOpts(key[0], o); err != nil {
		return nil, false, err
	}
	srfRegexes.Lock()
	if srfRegexes.m == nil || len(srfRegexes.m) > 256 {
		srfRegexes.m = map[[2]string]*regexp.Regexp{}
	}
	srfRegexes.m[key] = re
	srfRegexes.Unlock()
	return re, global, nil
}

// precompileSet checks constant pattern and flag arguments while planning.
func precompileSet(args []*cexpr, split bool, name string) error {
	a := make([]Datum, len(args))
	for i, e := range args {
		v, ok := constStr(e)
		if !ok || i == 0 {
			if i == 0 {
				continue
			}
			return nil
		}
		a[i] = v
	}
	_, _, err := regexArgs(a, !split, name)
	return err
}

// pgMatches lists the matches PostgreSQL's regexp functions find: the
// first, or all of them.
func pgMatches(re *regexp.Regexp, s string, global bool) [][]int {
	if !global {
		m := re.FindStringSubmatchIndex(s)
		if m == nil {
			return nil
		}
		return [][]int{m}
	}
	ms := re.FindAllStringSubmatchIndex(s, -1)
	if len(ms) == 0 {
		return nil
	}
	return emptyAfterMatches(re, s, ms)
}

// matchArray is regexp_matches' row for match m.
func matchArray(re *regexp.Regexp, s string, m []int) Datum {
	n := re.NumSubexp()
	if n == 0 {
		return types.NewArray1(types.Text, []Datum{s[m[0]:m[1]]})
	}
	el := make([]Datum, n)
	for g := 1; g <= n; g++ {
		if m[2*g] >= 0 {
			el[g-1] = s[m[2*g]:m[2*g+1]]
		}
	}
	return types.NewArray1(types.Text, el)
}

// regexpSplit splits a[0] at the matches of a[1] (flags a[2]).
func regexpSplit(a []Datum, name string) ([]Datum, error) {
	re, _, err := regexArgs(a, false, name)
	if err != nil {
		return nil, err
	}
	s := str(a[0])
	var out []Datum
	start, prevEnd := 0, 0
	for _, m := range pgMatches(re, s, true) {
		if m[0] < len(s) && m[1] > prevEnd {
			out = append(out, s[start:m[0]])
			start = m[1]
		}
		prevEnd = m[1]
	}
	return append(out, s[start:]), nil
}
