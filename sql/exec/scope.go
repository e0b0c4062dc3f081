package exec

import (
	"context"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/parser"
	"github.com/heliosdb/nano/sql/pgerror"
	planner "github.com/heliosdb/nano/sql/plan"
	"github.com/heliosdb/nano/sql/types"
)

// Datum is a SQL value (see package types).
type Datum = types.Datum

// colInfo describes one column of a plan's output rows.
type colInfo struct {
	table    string // alias or table name qualifying the column
	name     string
	typ      types.T
	tableOID uint32
	attNum   int16
	hidden   bool // rowid, not expanded by *
	// lit: an untyped literal or NULL of a select list, typed text for
	// output; a set operation resolves it like an unknown (SELECT NULL
	// UNION SELECT 1 is integer).
	lit bool
	// usingDup: a side's copy of a JOIN … USING column, reachable only by
	// qualified name (the merged column answers to the bare name and *).
	usingDup bool
	// origName is a table column's own name when a FROM alias's column
	// list renamed it (the table's row type keeps it: row_to_json).
	origName string
	// For whole-row references (jsonrow.go): nullable marks the columns of
	// the NULL-extended side of an outer join; notNull a stored table's
	// column read by this FROM item that no real row has NULL (its row id
	// or a NOT NULL column), which tells a NULL-extended row from a row of
	// NULLs; funcScalar the value column of a function returning a scalar
	// (whose whole row is that scalar).
	nullable, notNull, funcScalar bool
}

// scope resolves names against the columns of the current row; parent is
// the enclosing query's scope (for correlated subqueries).
type scope struct {
	cols       []colInfo
	parent     *scope
	agg        *aggCtx // set when compiling post-aggregation expressions
	win        *winCtx // set where window function calls may appear
	srf        *srfCtx // set where set-returning calls may appear
	correlated bool    // something inside referenced a parent scope
	// outerRefs counts the references to this scope's columns from the
	// subqueries inside it (compileSubLink: a subquery that adds none is
	// not correlated and runs once).
	outerRefs int
	excluded  int // >=0: ON CONFLICT's EXCLUDED columns start here
	// lateral, when not nil, makes the scope's columns visible only
	// while *lateral > 0, that is from inside a LATERAL item
	// (builder.lateral): the FROM items before a join that holds one
	// (buildFrom), as PostgreSQL's p_lateral_only namespace entries.
	lateral *int
	// reads, when not nil, records the columns of this scope that the
	// expressions compiled so far read (compileScoped marks them; a scan
	// decodes only these before its filter rejects a row).
	reads []bool
}

// trackReads starts recording the columns of s that compiled expressions
// read (readCols).
func (s *scope) trackReads() *scope {
	if s.reads == nil {
		s.reads = make([]bool, len(s.cols))
	}
	return s
}

// env is the run-time context of one execution.
type env struct {
	ctx    context.Context
	txn    *Txn
	params []Datum
	outer  [][]Datum
	vars   Vars
	cache  map[any]any
	ticks  int
	mem    *stmtMem // nil when folding constants at plan time
	// fkq holds the foreign key checks queued by the statement (fkey.go).
	fkq []fkEvent
	// stats collects what each operator did under EXPLAIN ANALYZE
	// (startPlan); nil otherwise.
	stats map[plan]*opStats
	// sole is the OID of a table the statement holds in a mode that
	// excludes every other writer (COPY FROM: SHARE ROW EXCLUSIVE), so
	// the keys it writes there need no row locks (lockKey); 0 = none.
	sole uint32
	// bulk: the COPY FROM load whose keys are claimed rather than locked
	// (copylocks.go); nil = none.
	bulk *bulkLoad
	// tbucket is the bucket name of table tbucketID (tableBucket).
	tbucket   []byte
	tbucketID uint32
}

// tableBucket is catalog.TableBucket(id), made once for the rows a
// statement writes to one table (writeRow) rather than once per row. The
// name is shared: callers do not modify it, and its capacity is its
// length, so that appending to it copies.
func (e *env) tableBucket(id uint32) []byte {
	if e.tbucket == nil || e.tbucketID != id {
		b := catalog.TableBucket(id)
		e.tbucket, e.tbucketID = b[:len(b):len(b)], id // an append copies
	}
	return e.tbucket
}

func (e *env) checkCancel() error {
	e.ticks++
	if e.ticks&255 == 0 {
		if err := e.ctx.Err(); err != nil {
			return errCanceled
		}
	}
	return nil
}

var errCanceled = pgerror.New(pgerror.QueryCanceled, "canceling statement due to user request")

type evalFn func(e *env, row []Datum) (Datum, error)

// cexpr is a compiled expression.
type cexpr struct {
	t       types.T
	fn      evalFn
	s       string // display text for EXPLAIN
	unknown bool   // untyped literal or parameter: may adopt a context type
	isConst bool
	val     Datum     // when isConst
	param   int       // >0: $n
	colIdx  int       // >=0 when this is a plain column of the current row
	foldErr error     // constant inputs whose evaluation failed (see foldConst)
	rec     *recShape // a record argument's fields (jsonrow.go); its value is a []Datum
}

func constExpr(d Datum, t types.T, s string) *cexpr {
	return &cexpr{t: t, s: s, isConst: true, val: d, colIdx: -1,
		fn: func(*env, []Datum) (Datum, error) { return d, nil }}
}

// builder carries planning state for one statement.
type builder struct {
	privState // privileges.go
	dmlWith   // cte_dml.go: data-modifying statements in WITH
	eng       *Engine
	txn       *Txn
	cat       *catalog.Catalog
	stmt      parser.Statement
	params    []types.T
	readOnly  bool
	// castArray is the ARRAY[…] under the explicit cast being compiled:
	// the only one typed from its context (compileArrayExpr).
	castArray *pg_query.A_ArrayExpr
	// lateral counts the LATERAL items being planned (scope.lateral).
	lateral int
	// seqWrite is the first nextval()/setval() compiled: what a read-only
	// transaction refuses in a statement that writes nothing else
	// (Prepared.CommandWord).
	seqWrite string
	// notInRecovery: the statement must be refused on a standby even
	// though it writes nothing (LOCK TABLE above ROW EXCLUSIVE).
	notInRecovery bool
	// deps collects the relations read while planning a view's query
	// (nil otherwise); viewDepth counts views being expanded.
	deps      map[string]bool
	viewDepth int
	// viewSchemaGiven: the CREATE VIEW being planned named its schema (a
	// view reading a temporary relation cannot then become temporary).
	viewSchemaGiven bool
	aggArgs         int             // > 0 while an aggregate's arguments are compiled
	ctes            []*cteDef       // WITH queries visible here, innermost last
	lockRows        *lockSpec       // FOR UPDATE/SHARE of the SELECT being built, for buildOutput
	tlocks          []tableLockNeed // tablelock.go
	// fromLeaves and fromConj: the relations of the FROM list
	// buildFromWhere planned last, with their place in its row, and the
	// conditions of a join over that row (for SELECT … FOR UPDATE).
	fromLeaves []fromLeaf
	fromConj   []*pg_query.Node
	// pushLeft: WHERE conjuncts buildFromWhere hands to the left-most
	// table of a chain of LEFT joins (buildJoin, pushDown).
	pushLeft []*pg_query.Node
	// rowCounts caches the join planner's table sizes (tableRows).
	rowCounts map[uint32]float64
	// foldFrames has one entry per compile call in progress within the
	// current query level (buildSelect starts a level with none): the
	// first fold error of its operands. foldErr is the first error a
	// whole expression's constant folding raised, which the statement
	// raises before it runs (see compile).
	foldFrames []error
	foldErr    error
	// existsQuery: the next buildSelect plans the query of an EXISTS
	// (see existsDropsTargets).
	existsQuery bool
}

func (b *builder) errAt(err *pgerror.Error, loc int32) *pgerror.Error {
	if b.viewDepth > 0 { // the location is in a view's query, not the statement
		return err
	}
	if p := b.stmt.Position(loc); p > 0 {
		return err.WithPosition(p)
	}
	return err
}

// locate positions a binding error of the plan that PostgreSQL reports
// at a position of the statement (planner.LocatedError).
func (b *builder) locate(err error) error {
	if le, ok := err.(*planner.LocatedError); ok {
		return b.errAt(le.Err, le.Location)
	}
	return err
}

// inStar reports whether * (table "") or table.* expands to c: not a
// hidden column, nor a side's copy of a JOIN … USING column under a bare *
// (the merged column stands for both).
func (c colInfo) inStar(table string) bool {
	return !c.hidden && (table == "" && !c.usingDup || table != "" && c.table == table)
}

// QualName makes colInfo a planner.NamedColumn.
func (c colInfo) QualName() (table, name string, bare bool) { return c.table, c.name, !c.usingDup }

// ColumnType implements planner.TypedColumn.
func (c colInfo) ColumnType() types.T { return c.typ }

// levels is s and its enclosing scopes as planner.ResolveColumn reads
// them.
func (s *scope) levels() planner.Levels[colInfo] {
	return func(d int) (planner.Level[colInfo], bool) {
		sc := s.up(d)
		if sc == nil {
			return planner.Level[colInfo]{}, false
		}
		if sc.lateral != nil && *sc.lateral == 0 {
			return planner.Level[colInfo]{Excluded: -1}, true
		}
		return planner.Level[colInfo]{Cols: sc.cols, Excluded: sc.excluded}, true
	}
}

// up returns the scope d levels out from s (nil past the outermost).
func (s *scope) up(d int) *scope {
	sc := s
	for ; sc != nil && d > 0; d-- {
		sc = sc.parent
	}
	return sc
}

func (s *scope) hasTable(t string) bool { return planner.HasTable(s.levels(), t) }

// colRefName splits a column reference into table and column names
// (planner.ColumnNameOf).
func colRefName(cr *pg_query.ColumnRef) (table, name string, ok bool) {
	ref, ok := planner.ColumnNameOf(cr)
	return ref.Table, ref.Name, ok
}

// strVal returns the string of a String node.
func strVal(n *pg_query.Node) string {
	if s := n.GetString_(); s != nil {
		return s.Sval
	}
	return ""
}

// lastName is the lower-cased last part of a qualified name
// (planner.LastName).
func lastName(nodes []*pg_query.Node) string { return planner.LastName(nodes) }

// starRef reports whether select-list item rt is * or t.*, with the
// column reference and the qualifier ("" for a bare *).
func starRef(rt *pg_query.ResTarget) (cr *pg_query.ColumnRef, table string, ok bool) {
	cr = rt.Val.GetColumnRef()
	if cr == nil || cr.Fields[len(cr.Fields)-1].GetAStar() == nil {
		return nil, "", false
	}
	if len(cr.Fields) > 1 {
		table = strVal(cr.Fields[len(cr.Fields)-2])
	}
	return cr, table, true
}
