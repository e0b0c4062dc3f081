package parser

import (
	"context"
	"strings"
)

// MaxDepth bounds Piece.Depth: a statement estimated deeper is refused
// with 54001 before pg_query sees it. pg_query's parser, its protobuf
// output and protobuf-c's packing recurse on the C stack once per tree
// level (a few hundred bytes each), and Go's protobuf unmarshal refuses
// more than 10000 nested messages (about two per tree level), so an
// unbounded expression crashes the process. 3000 keeps the deepest
// shapes under 1 MB of C stack (TestDepthLimitCStack runs them with a
// 1 MB stack) and under the unmarshal limit, and admits 1000-term sums,
// 1000-level CASE or parenthesis nesting and any length of list (VALUES
// rows, IN lists, columns). PostgreSQL 15 with its default 2 MB
// max_stack_depth stops near 4000 terms of a sum.
const MaxDepth = 3000

// groupWeight is what one level of ( [ or CASE adds to the estimate: the
// node it opens (a FuncCall, SubLink, CaseExpr …) and the AND/OR and
// statement nodes the group may hold without any token of their own.
const groupWeight = 3

// ctxCheckBytes: Split checks its context once per this much input.
const ctxCheckBytes = 64 << 10

// Piece is one statement's text as Split finds it.
type Piece struct {
	Start, End int // byte bounds in the input, without the ';'
	// Depth is a conservative estimate of the statement's parse-tree
	// depth (see estimator).
	Depth int
}

// Split cuts sql into statement texts at the semicolons that end a
// statement (not those in strings, comments, parentheses or the BEGIN …
// END body of a CREATE FUNCTION, as psql does), in time linear in
// len(sql), and estimates each one's depth. Blank pieces are dropped. It
// checks ctx as it goes and returns ctx's error when it ends.
func Split(ctx context.Context, sql string) ([]Piece, error) {
	out := make([]Piece, 0, strings.Count(sql, ";")+1) // at most this many
	sp := splitter{lx: lexer{s: sql}}
	nextCheck := ctxCheckBytes
	for {
		if sp.lx.i >= nextCheck {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			nextCheck = sp.lx.i + ctxCheckBytes
		}
		p, ok, more := sp.next()
		if ok {
			out = append(out, p)
		}
		if !more {
			return out, nil
		}
	}
}

type splitter struct {
	lx  lexer
	est estimator
	// psql's heuristic for CREATE [OR REPLACE] FUNCTION|PROCEDURE … BEGIN
	// ATOMIC … END: words seen, whether the statement is such a CREATE,
	// and the BEGIN/CASE … END nesting inside it.
	first  [4]kw
	words  int
	begin  int
	parens int
	start  int // first token of the current statement, -1 before it
}

// next scans to the end of one statement. ok is false for a blank piece;
// more is false at the end of the input.
func (sp *splitter) next() (p Piece, ok, more bool) {
	sp.est.reset()
	sp.first, sp.words, sp.begin, sp.parens, sp.start = [4]kw{}, 0, 0, 0, -1
	end := 0
	for {
		kind, s, e := sp.lx.next()
		if kind == tokEOF {
			return sp.piece(end), sp.start >= 0, false
		}
		if kind == tokPunct && sp.lx.s[s] == ';' && sp.parens == 0 && sp.begin == 0 {
			return sp.piece(end), sp.start >= 0, true
		}
		if sp.start < 0 {
			sp.start = s
		}
		end = e
		sp.token(kind, sp.lx.s[s:e])
	}
}

func (sp *splitter) piece(end int) Piece {
	return Piece{Start: max(sp.start, 0), End: max(end, sp.start, 0), Depth: sp.est.finish()}
}

func (sp *splitter) token(kind tokKind, text string) {
	switch kind {
	case tokWord:
		k := keyword(text)
		sp.routineWord(k)
		sp.est.word(k)
	case tokPunct:
		switch text[0] {
		case '(', '[':
			sp.parens++
			sp.est.open(groupParen)
		case ')', ']':
			if sp.parens > 0 {
				sp.parens--
			}
			sp.est.close(groupParen)
		case ',', ';':
			sp.est.separator()
		default: // '.'
			sp.est.unit()
		}
	case tokOp:
		sp.est.op(text)
	}
}

// routineWord follows psql's psqlscan.l: in a statement that starts
// CREATE [OR REPLACE] FUNCTION|PROCEDURE, BEGIN opens a block, CASE inside
// one nests, END closes; semicolons inside do not end the statement.
func (sp *splitter) routineWord(k kw) {
	if sp.words < len(sp.first) {
		sp.first[sp.words] = k
	}
	sp.words++
	f := sp.first
	routine := f[0] == kwCreate && (f[1] == kwFunction || f[1] == kwProcedure ||
		f[1] == kwOr && f[2] == kwReplace && (f[3] == kwFunction || f[3] == kwProcedure))
	if !routine {
		return
	}
	switch k {
	case kwBegin:
		sp.begin++
	case kwCase:
		if sp.begin > 0 {
			sp.begin++
		}
	case kwEnd:
		if sp.begin > 0 {
			sp.begin--
		}
	}
}

// kw names the keywords the splitter and the estimator look at.
type kw uint8

const (
	kwNone kw = iota
	kwAnd
	kwOr
	kwWhen
	kwThen
	kwElse
	kwCase
	kwEnd
	kwUnion
	kwIntersect
	kwExcept
	kwJoin
	kwCreate
	kwReplace
	kwFunction
	kwProcedure
	kwBegin
)

var keywords = map[string]kw{
	"and": kwAnd, "or": kwOr, "when": kwWhen, "then": kwThen, "else": kwElse,
	"case": kwCase, "end": kwEnd, "union": kwUnion, "intersect": kwIntersect,
	"except": kwExcept, "join": kwJoin, "create": kwCreate, "replace": kwReplace,
	"function": kwFunction, "procedure": kwProcedure, "begin": kwBegin,
}

// keyword returns w's kw (case-insensitively), kwNone for other words.
func keyword(w string) kw {
	var buf [9]byte
	if len(w) > len(buf) {
		return kwNone
	}
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return keywords[string(buf[:len(w)])]
}
