package pgdiff

import (
	"fmt"
	"sort"
	"strings"

	"github.com/heliosdb/nano/sql/parser"
)

// Column is one column of a result: its name and type OID.
type Column struct {
	Name string
	OID  uint32
}

// Value is one field of a row; Null distinguishes SQL NULL from ”.
type Value struct {
	Text string
	Null bool
}

func (v Value) String() string {
	if v.Null {
		return "NULL"
	}
	return v.Text
}

// Result is what a server answered to one statement.
type Result struct {
	Columns []Column
	Rows    [][]Value
	Tag     string // command tag, e.g. "INSERT 0 3"
	Code    string // SQLSTATE when the statement failed, else ""
	Message string // error message when it failed
}

// Aspect names what differed; the report counts mismatches by aspect.
type Aspect string

// The aspects Diff compares.
const (
	AspectError   Aspect = "error" // one failed, the other did not
	AspectCode    Aspect = "sqlstate"
	AspectMessage Aspect = "message"
	AspectTag     Aspect = "tag"
	AspectColumns Aspect = "columns" // count
	AspectNames   Aspect = "names"
	AspectTypes   Aspect = "types"
	AspectRows    Aspect = "rows"
)

// Difference is one aspect in which ours differs from PostgreSQL's answer.
type Difference struct {
	Aspect Aspect
	Detail string
}

// Ordered reports whether sql orders its result at top level (a SELECT or
// VALUES with ORDER BY), so its rows compare in order.
func Ordered(sql string) bool {
	stmts, err := parser.Parse(sql)
	if err != nil || len(stmts) != 1 {
		return false
	}
	sel := stmts[0].Node.GetSelectStmt()
	return sel != nil && len(sel.SortClause) > 0
}

// Diff compares ours with PostgreSQL's answer (pg) to st; nil means they
// match.
func Diff(st Statement, ordered bool, pg, ours Result) []Difference {
	var d []Difference
	add := func(a Aspect, format string, args ...any) {
		d = append(d, Difference{a, fmt.Sprintf(format, args...)})
	}
	switch {
	case pg.Code != "" && ours.Code == "":
		add(AspectError, "PostgreSQL: ERROR %s %s; ours: %s", pg.Code, pg.Message, summary(ours))
		return d
	case pg.Code == "" && ours.Code != "":
		add(AspectError, "PostgreSQL: %s; ours: ERROR %s %s", summary(pg), ours.Code, ours.Message)
		return d
	case pg.Code != "":
		if pg.Code != ours.Code {
			add(AspectCode, "PostgreSQL: ERROR %s %s; ours: ERROR %s %s", pg.Code, pg.Message, ours.Code, ours.Message)
		} else if st.Messages && pg.Message != ours.Message {
			add(AspectMessage, "PostgreSQL: %q; ours: %q", pg.Message, ours.Message)
		}
		return d
	}
	if pg.Tag != ours.Tag {
		add(AspectTag, "PostgreSQL: %q; ours: %q", pg.Tag, ours.Tag)
	}
	if len(pg.Columns) != len(ours.Columns) {
		add(AspectColumns, "PostgreSQL: %d columns %s; ours: %d %s", len(pg.Columns), cols(pg.Columns), len(ours.Columns), cols(ours.Columns))
		return d
	}
	for i, c := range pg.Columns {
		o := ours.Columns[i]
		if c.Name != o.Name {
			add(AspectNames, "column %d: PostgreSQL %q; ours %q", i+1, c.Name, o.Name)
		}
		if c.OID != o.OID {
			add(AspectTypes, "column %d (%s): PostgreSQL %s; ours %s", i+1, c.Name, TypeName(c.OID), TypeName(o.OID))
		}
	}
	if rd := diffRows(pg.Rows, ours.Rows, ordered && !st.Unordered); rd != "" {
		add(AspectRows, "%s", rd)
	}
	return d
}

func summary(r Result) string {
	if len(r.Columns) == 0 {
		return r.Tag
	}
	return fmt.Sprintf("%s %s %s", r.Tag, cols(r.Columns), renderRows(r.Rows, 3))
}

func cols(cs []Column) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.Name + " " + TypeName(c.OID)
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// rowKey renders a row unambiguously (NULL apart from the text 'NULL').
func rowKey(r []Value) string {
	var b strings.Builder
	for _, v := range r {
		if v.Null {
			b.WriteString("N;")
		} else {
			fmt.Fprintf(&b, "%d:%s;", len(v.Text), v.Text)
		}
	}
	return b.String()
}

func rowText(r []Value) string {
	parts := make([]string, len(r))
	for i, v := range r {
		parts[i] = v.String()
	}
	return strings.Join(parts, " | ")
}

func renderRows(rows [][]Value, max int) string {
	var parts []string
	for i, r := range rows {
		if i == max {
			parts = append(parts, fmt.Sprintf("… %d more", len(rows)-max))
			break
		}
		parts = append(parts, "["+rowText(r)+"]")
	}
	return strings.Join(parts, " ")
}

// diffRows compares two row sets, in order or as multisets, and describes
// the first differences ("" when equal).
func diffRows(want, got [][]Value, ordered bool) string {
	if ordered {
		for i := 0; i < len(want) || i < len(got); i++ {
			switch {
			case i >= len(want):
				return fmt.Sprintf("%d rows, PostgreSQL %d; first extra row %d: [%s]", len(got), len(want), i+1, rowText(got[i]))
			case i >= len(got):
				return fmt.Sprintf("%d rows, PostgreSQL %d; first missing row %d: [%s]", len(got), len(want), i+1, rowText(want[i]))
			case rowKey(want[i]) != rowKey(got[i]):
				return fmt.Sprintf("row %d: PostgreSQL [%s]; ours [%s]", i+1, rowText(want[i]), rowText(got[i]))
			}
		}
		return ""
	}
	count := map[string]int{}
	text := map[string]string{}
	for _, r := range want {
		k := rowKey(r)
		count[k]++
		text[k] = rowText(r)
	}
	for _, r := range got {
		k := rowKey(r)
		count[k]--
		text[k] = rowText(r)
	}
	var missing, extra []string
	for k, n := range count {
		for ; n > 0; n-- {
			missing = append(missing, "["+text[k]+"]")
		}
		for ; n < 0; n++ {
			extra = append(extra, "["+text[k]+"]")
		}
	}
	if len(missing) == 0 && len(extra) == 0 {
		return ""
	}
	sort.Strings(missing)
	sort.Strings(extra)
	return fmt.Sprintf("%d rows, PostgreSQL %d (unordered); missing %s; extra %s", len(got), len(want), first(missing), first(extra))
}

func first(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	if len(s) > 3 {
		return strings.Join(s[:3], " ") + fmt.Sprintf(" … %d more", len(s)-3)
	}
	return strings.Join(s, " ")
}

// TypeName names the common type OIDs for reports.
func TypeName(oid uint32) string {
	if n, ok := typeNames[oid]; ok {
		return n
	}
	return fmt.Sprintf("oid %d", oid)
}

var typeNames = map[uint32]string{
	16: "bool", 17: "bytea", 18: "char", 19: "name", 20: "int8", 21: "int2", 23: "int4", 25: "text",
	26: "oid", 114: "json", 700: "float4", 701: "float8", 705: "unknown", 1042: "bpchar", 1043: "varchar",
	1082: "date", 1083: "time", 1114: "timestamp", 1184: "timestamptz", 1186: "interval", 1266: "timetz",
	1700: "numeric", 2950: "uuid", 3802: "jsonb", 1007: "int4[]", 1016: "int8[]", 1009: "text[]",
}
