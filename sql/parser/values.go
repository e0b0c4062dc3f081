package parser

import (
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// Bulk INSERT … VALUES: a 1000-row statement spends most of its parse in
// pg_query's protobuf round trip (a node per value, encoded in C and
// decoded in Go), not in the grammar. When a long statement is
//
//	INSERT INTO name [(col, …)] VALUES (first row), (row), …
//
// and every row after the first is a list of plain literals — unsigned
// integers within int4, '…' strings without quotes or backslashes
// inside (ASCII only), NULL — pg_query parses only the text up to the end of the first
// row (itself a valid statement, whose locations are the full text's)
// and the other rows' constants are built here with their byte
// locations. Anything else, including a tail after the rows (ON CONFLICT,
// RETURNING), goes through pg_query whole. TestValuesMatchPgQuery checks
// the trees are equal.

// valuesMin is the length below which the shortcut is not tried.
const valuesMin = 2048

// parseValues parses src through the shortcut above; ok is false when src
// does not qualify (nothing was appended).
func parseValues(out []Statement, src string, start, chars int) (_ []Statement, ok bool) {
	if len(src) < valuesMin || !strings.EqualFold(src[:6], "INSERT") {
		return out, false
	}
	first, ok := valuesFirstRowEnd(src)
	if !ok {
		return out, false
	}
	var rows []*pg_query.Node
	var a litArena
	for i := first; ; {
		i = skipBlanks(src, i)
		if i == len(src) || src[i] == ';' && skipBlanks(src, i+1) == len(src) {
			break
		}
		if src[i] != ',' {
			return out, false
		}
		row, next, ok := a.literalRow(src, skipBlanks(src, i+1))
		if !ok {
			return out, false
		}
		rows = append(rows, row)
		i = next
	}
	n := len(out)
	got, err := parsePgQuery(out, src[:first], start, chars)
	if err != nil || len(got) != n+1 {
		return out[:n], false
	}
	sel := got[n].Node.GetInsertStmt().GetSelectStmt().GetSelectStmt()
	if sel == nil || len(sel.ValuesLists) != 1 {
		return out[:n], false
	}
	sel.ValuesLists = append(sel.ValuesLists, rows...)
	b := got[n].Offset - start
	got[n].SQL = strings.TrimRight(src[b:], " \t\r\n;")
	got[n].src = src // the later rows' locations are offsets into it
	return got, true
}

func skipBlanks(s string, i int) int {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}

// valuesFirstRowEnd checks the head "INSERT INTO name [(cols)] VALUES ("
// and returns the offset just past the first row's closing parenthesis.
func valuesFirstRowEnd(s string) (int, bool) {
	i := skipBlanks(s, len("INSERT"))
	if i == len("INSERT") || !hasWordAt(s, i, "INTO") {
		return 0, false
	}
	i = skipBlanks(s, i+len("INTO"))
	for part := 0; ; part++ {
		j := i
		for j < len(s) && (s[j] >= 'a' && s[j] <= 'z' || s[j] == '_' || j > i && isDigit(s[j])) {
			j++
		}
		if j == i || part > 1 {
			return 0, false
		}
		i = j
		if i < len(s) && s[i] == '.' {
			i++
			continue
		}
		break
	}
	i = skipBlanks(s, i)
	if i < len(s) && s[i] == '(' { // column list: simple lower-case names
		for {
			i = skipBlanks(s, i+1)
			j := i
			for j < len(s) && (s[j] >= 'a' && s[j] <= 'z' || s[j] == '_' || j > i && isDigit(s[j])) {
				j++
			}
			if j == i {
				return 0, false
			}
			i = skipBlanks(s, j)
			if i < len(s) && s[i] == ',' {
				continue
			}
			if i < len(s) && s[i] == ')' {
				i = skipBlanks(s, i+1)
				break
			}
			return 0, false
		}
	}
	if !hasWordAt(s, i, "VALUES") {
		return 0, false
	}
	i = skipBlanks(s, i+len("VALUES"))
	var a litArena
	_, end, ok := a.literalRow(s, i)
	return end, ok
}

// hasWordAt reports whether s has the keyword w (any case) at i, followed
// by a blank or a parenthesis.
func hasWordAt(s string, i int, w string) bool {
	e := i + len(w)
	return e < len(s) && strings.EqualFold(s[i:e], w) && (isSpace(s[e]) || s[e] == '(')
}

// litArena hands out the nodes of the rows' constants from slabs: a
// constant is five small objects (Node, its oneof wrapper, A_Const, the
// value's wrapper and Integer or String) and a row three more, and allocating them one by one
// was most of a bulk INSERT's parse. The nodes are the same as
// pg_query.MakeAConstIntNode's and MakeAConstStrNode's; they live as long
// as any of their slab is referenced (the statement's tree).
type litArena struct {
	nodes  slab[pg_query.Node]
	aconst slab[pg_query.Node_AConst]
	consts slab[pg_query.A_Const]
	ivals  slab[pg_query.A_Const_Ival]
	ints   slab[pg_query.Integer]
	svals  slab[pg_query.A_Const_Sval]
	strs   slab[pg_query.String]
	lists  slab[pg_query.List]
	nlists slab[pg_query.Node_List]
	items  []*pg_query.Node // the rows' item slices are carved from it
}

// slab allocates T in chunks.
type slab[T any] struct{ free []T }

// slabSize is the chunk size of a slab: 256 values (a 1000-row, 3-column
// INSERT takes a dozen chunks per kind).
const slabSize = 256

func (s *slab[T]) new() *T {
	if len(s.free) == 0 {
		s.free = make([]T, slabSize)
	}
	p := &s.free[0]
	s.free = s.free[1:]
	return p
}

// literalRow reads "(lit, lit, …)" at i: the row's List node and the
// offset past its ')'.
func (a *litArena) literalRow(s string, i int) (*pg_query.Node, int, bool) {
	if i >= len(s) || s[i] != '(' {
		return nil, 0, false
	}
	if cap(a.items)-len(a.items) < 16 {
		a.items = make([]*pg_query.Node, 0, 4*slabSize)
	}
	start := len(a.items)
	for {
		i = skipBlanks(s, i+1)
		c, next, ok := a.literalAt(s, i)
		if !ok {
			return nil, 0, false
		}
		a.items = append(a.items, c)
		i = skipBlanks(s, next)
		if i < len(s) && s[i] == ',' {
			continue
		}
		if i < len(s) && s[i] == ')' {
			l := a.lists.new()
			l.Items = a.items[start:len(a.items):len(a.items)]
			w := a.nlists.new()
			w.List = l
			n := a.nodes.new()
			n.Node = w
			return n, i + 1, true
		}
		return nil, 0, false
	}
}

// literalAt reads one plain literal at i (see above) as pg_query's A_Const.
func (a *litArena) literalAt(s string, i int) (*pg_query.Node, int, bool) {
	loc := int32(i)
	switch {
	case i >= len(s):
		return nil, 0, false
	case isDigit(s[i]):
		j := i
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		if j < len(s) && (isIdentByte(s[j]) || s[j] == '.') {
			return nil, 0, false
		}
		v, err := strconv.ParseInt(s[i:j], 10, 32)
		if err != nil {
			return nil, 0, false
		}
		iv := a.ivals.new()
		iv.Ival = a.ints.new()
		iv.Ival.Ival = int32(v)
		c := a.consts.new()
		c.Val = iv
		return a.constNode(c, loc), j, true
	case s[i] == '\'':
		j := i + 1
		for j < len(s) && s[j] != '\'' && s[j] != '\\' && s[j] < 0x80 {
			j++
		}
		if j >= len(s) || s[j] != '\'' || j+1 < len(s) && s[j+1] == '\'' {
			return nil, 0, false
		}
		sv := a.svals.new()
		sv.Sval = a.strs.new()
		sv.Sval.Sval = s[i+1 : j]
		c := a.consts.new()
		c.Val = sv
		return a.constNode(c, loc), j + 1, true
	case len(s) >= i+4 && strings.EqualFold(s[i:i+4], "NULL") && (i+4 == len(s) || !isIdentByte(s[i+4])):
		c := a.consts.new()
		c.Isnull = true
		return a.constNode(c, loc), i + 4, true
	}
	return nil, 0, false
}

// constNode is the Node of c (its value set) at loc.
func (a *litArena) constNode(c *pg_query.A_Const, loc int32) *pg_query.Node {
	c.Location = loc
	w := a.aconst.new()
	w.AConst = c
	n := a.nodes.new()
	n.Node = w
	return n
}
