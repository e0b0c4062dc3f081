package pgdiff

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Statement is one SQL statement of a corpus file.
type Statement struct {
	ID        string // "file.sql:line"
	Line      int
	SQL       string
	Messages  bool // compare error messages too
	Unordered bool // compare rows as a multiset even under ORDER BY
}

// File is a parsed corpus file.
type File struct {
	Name       string
	Statements []Statement
}

// LoadDir parses every *.sql file of dir, in name order.
func LoadDir(dir string) ([]File, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.sql"))
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("pgdiff: no *.sql files in %s", dir)
	}
	var files []File
	for _, n := range names {
		f, err := os.Open(n)
		if err != nil {
			return nil, err
		}
		pf, err := Parse(filepath.Base(n), f)
		f.Close()
		if err != nil {
			return nil, err
		}
		files = append(files, pf)
	}
	return files, nil
}

// Parse splits a corpus file into statements: a statement ends at a line
// whose last non-blank character is ';'. Directive comments apply to the
// statement that follows them.
func Parse(name string, r io.Reader) (File, error) {
	f := File{Name: name}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var cur *Statement
	var pending Statement
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trim := strings.TrimSpace(line)
		if cur == nil {
			if trim == "" {
				continue
			}
			if strings.HasPrefix(trim, "--") {
				if err := directive(&pending, strings.TrimSpace(strings.TrimPrefix(trim, "--"))); err != nil {
					return f, fmt.Errorf("%s:%d: %w", name, n, err)
				}
				continue
			}
			st := pending
			st.Line, st.ID = n, fmt.Sprintf("%s:%d", name, n)
			cur, pending = &st, Statement{}
		} else {
			cur.SQL += "\n"
		}
		cur.SQL += line
		if strings.HasSuffix(trim, ";") {
			cur.SQL = strings.TrimSuffix(strings.TrimSpace(cur.SQL), ";")
			f.Statements = append(f.Statements, *cur)
			cur = nil
		}
	}
	if err := sc.Err(); err != nil {
		return f, err
	}
	if cur != nil {
		return f, fmt.Errorf("%s:%d: statement not terminated by ';'", name, cur.Line)
	}
	return f, nil
}

// directive applies "compare: messages|unordered" to st; other comments are
// ignored.
func directive(st *Statement, c string) error {
	key, val, ok := strings.Cut(c, ":")
	if !ok || strings.TrimSpace(key) != "compare" {
		return nil
	}
	for _, v := range strings.Split(val, ",") {
		switch strings.TrimSpace(v) {
		case "messages":
			st.Messages = true
		case "unordered":
			st.Unordered = true
		default:
			return fmt.Errorf("unknown compare directive %q", strings.TrimSpace(v))
		}
	}
	return nil
}
