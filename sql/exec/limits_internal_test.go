package exec

import (
	"strings"
	"testing"

	"github.com/heliosdb/nano/sql/pgerror"
)

// The size checks reproduce PostgreSQL 15's answers (see docs/memory.md)
// without building the values.
func TestValueSizeChecks(t *testing.T) {
	msg := func(err error) string {
		if pe := pgerror.As(err); pe != nil {
			return string(pe.Code) + " " + pe.Message + " " + pe.Detail
		}
		return ""
	}
	for _, tc := range []struct {
		name string
		n    int64
		err  error
		want string
	}{
		{"repeat 1073741819", must(repeatLen(1, 1073741819)), nil, ""},
		{"repeat 1073741820", 0, second(repeatLen(1, 1073741820)), "54000 requested length too large "},
		{"repeat 2 x 536870910", 0, second(repeatLen(2, 536870910)), "54000 requested length too large "},
		{"repeat overflow", 0, second(repeatLen(1<<40, 1<<40)), "54000 requested length too large "},
		{"repeat 0", must(repeatLen(5, 0)), nil, ""},
		{"repeat negative", must(repeatLen(5, -3)), nil, ""},
		{"replace fits", must(replaceLen("abcabc", "b", "xyz")), nil, ""},
		{"replace empty from", must(replaceLen("abc", "", "xyz")), nil, ""},
	} {
		if got := msg(tc.err); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
		_ = tc.n
	}
	if n, _ := replaceLen("abcabc", "b", "xyz"); n != 10 {
		t.Errorf("replace length %d", n)
	}
	// replace(repeat('x', 600000000), 'x', 'xx') as PostgreSQL reports
	// it ("containing 1073741822 bytes by 2 more bytes"), scaled down to a
	// limit of 1000: the same arithmetic, a 600-byte input.
	if _, err := replaceLenWithin(strings.Repeat("x", 600), "x", "xx", 1000); msg(err) != "54000 out of memory Cannot enlarge string buffer containing 998 bytes by 2 more bytes." {
		t.Errorf("replace: %s", msg(err))
	}
	// The one-byte fast path and the general loop agree with a literal
	// simulation of PostgreSQL's appends.
	for _, tc := range []struct{ s, from, to string }{
		{strings.Repeat("ab", 300), "a", "xyz"}, {strings.Repeat("ab", 300), "ab", "xyzw"},
		{strings.Repeat("a", 500) + strings.Repeat("b", 500), "b", "bb"}, {"aaaa", "aa", "b"},
	} {
		got, gerr := replaceLenWithin(tc.s, tc.from, tc.to, 1000)
		want, werr := simulateReplace(tc.s, tc.from, tc.to, 1000)
		if got != want || msg(gerr) != msg(werr) {
			t.Errorf("replace(%.10q…, %q, %q): %d %s, want %d %s", tc.s, tc.from, tc.to, got, msg(gerr), want, msg(werr))
		}
	}
	var b strBuf
	if err := b.add(600000000); err != nil {
		t.Fatal(err)
	}
	if err := b.add(600000000); msg(err) != "54000 out of memory Cannot enlarge string buffer containing 600000000 bytes by 600000000 more bytes." {
		t.Errorf("concat: %s", msg(err))
	}
	b = strBuf{n: 1073741820}
	if err := b.done(); msg(err) != "54000 invalid memory alloc request size 1073741824 " {
		t.Errorf("final value: %s", msg(err))
	}
}

func must(n int64, _ error) int64     { return n }
func second(_ int64, err error) error { return err }

func TestParseMemSetting(t *testing.T) {
	for in, want := range map[string]int64{"4MB": 4 << 20, "64kB": 64 << 10, "1GB": 1 << 30, "1024": 1 << 20, " 2 MB ": 2 << 20, "x": 7, "": 7} {
		if got := parseMemSetting(in, 7); got != want {
			t.Errorf("%q: %d, want %d", in, got, want)
		}
	}
}

// simulateReplace is PostgreSQL's replace_text, append by append.
func simulateReplace(s, from, to string, limit int64) (int64, error) {
	b := strBuf{limit: limit}
	for {
		i := strings.Index(s, from)
		if i < 0 {
			break
		}
		if err := b.add(int64(i)); err != nil {
			return 0, err
		}
		if err := b.add(int64(len(to))); err != nil {
			return 0, err
		}
		s = s[i+len(from):]
	}
	if err := b.add(int64(len(s))); err != nil {
		return 0, err
	}
	return b.n, b.done()
}
