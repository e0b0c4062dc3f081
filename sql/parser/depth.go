package parser

// estimator bounds a statement's parse-tree depth from its tokens, in one
// pass. The tree deepens only through tokens: an operator (+, ||, ::,
// unary minus, …) or a word (NOT, IS, COLLATE, AT, a function name …)
// adds at most one level over its operands, and a group — ( … ), [ … ] or
// CASE … END — adds its own node and the AND/OR nodes inside it. So
// within a group, the depth of one list item (between commas, or between
// AND/OR, which the grammar flattens into one node, or between CASE's
// WHEN/THEN/ELSE) is at most its tokens plus the deepest group inside it;
// the items of a list are siblings, so the group's depth is its deepest
// item. Set operations chain their operands: UNION, INTERSECT and EXCEPT
// add one level each for the whole group. Literals, parameters and the
// type name after :: are leaves and add nothing.
//
// Every word counts, keyword or not: an over-estimate only costs the
// longest accepted expression a little (MaxDepth), an under-estimate
// could crash the process.
type estimator struct {
	stack     []group // stack[0] is the statement itself
	afterCast bool    // the previous token was ::
	// over counts groups opened beyond MaxDepth levels, which are not
	// stacked (the estimate is over the limit anyway); deep records that
	// it happened.
	over int
	deep bool
}

type groupKind uint8

const (
	groupTop groupKind = iota
	groupParen
	groupCase
)

type group struct {
	kind  groupKind
	chain int // set operations so far
	item  int // tokens of the current item
	child int // deepest group closed inside the current item
	best  int // deepest item so far
}

func (g *group) endItem() {
	g.best = max(g.best, g.item+g.child)
	g.item, g.child = 0, 0
}

func (g *group) depth() int { return groupWeight + g.chain + g.best }

func (e *estimator) reset() {
	e.stack = append(e.stack[:0], group{kind: groupTop})
	e.afterCast, e.over, e.deep = false, 0, false
}

func (e *estimator) top() *group { return &e.stack[len(e.stack)-1] }

// unit counts one token that may add a level.
func (e *estimator) unit() {
	e.afterCast = false
	e.top().item++
}

func (e *estimator) op(text string) {
	e.unit()
	e.afterCast = text == "::"
}

func (e *estimator) word(k kw) {
	cast := e.afterCast
	e.afterCast = false
	switch k {
	case kwAnd, kwOr, kwWhen, kwThen, kwElse:
		e.separator()
	case kwCase:
		e.unit()
		e.open(groupCase)
	case kwEnd:
		e.close(groupCase)
	case kwUnion, kwIntersect, kwExcept:
		g := e.top()
		g.chain++
		g.endItem()
	default:
		if !cast {
			e.top().item++
		}
	}
}

// separator ends a list item: a comma, AND, OR, WHEN, THEN, ELSE, or a
// semicolon inside parentheses (CREATE RULE … DO (…; …)).
func (e *estimator) separator() {
	e.afterCast = false
	e.top().endItem()
}

func (e *estimator) open(k groupKind) {
	e.afterCast = false
	if len(e.stack) > MaxDepth {
		e.over++
		e.deep = true
		return
	}
	e.stack = append(e.stack, group{kind: k})
}

// close ends the innermost group of kind k and any unclosed group inside
// it; without an open group of that kind it does nothing (the grammar
// will reject the text, or END ends something else).
func (e *estimator) close(k groupKind) {
	e.afterCast = false
	if e.over > 0 {
		e.over--
		return
	}
	i := len(e.stack) - 1
	for i > 0 && e.stack[i].kind != k {
		i--
	}
	if i == 0 {
		return
	}
	for len(e.stack)-1 >= i {
		e.pop()
	}
}

func (e *estimator) pop() {
	g := e.top()
	g.endItem()
	d := g.depth()
	e.stack = e.stack[:len(e.stack)-1]
	p := e.top()
	p.child = max(p.child, d)
}

// finish closes what is open and returns the statement's estimate.
func (e *estimator) finish() int {
	if len(e.stack) == 0 {
		return 0
	}
	for len(e.stack) > 1 {
		e.pop()
	}
	g := e.top()
	g.endItem()
	if e.deep {
		return max(g.depth(), MaxDepth+1)
	}
	return g.depth()
}
