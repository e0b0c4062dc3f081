package exec

import (
	"context"
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/parser"
	"github.com/heliosdb/nano/sql/pgcatalog"
	"github.com/heliosdb/nano/sql/pgerror"
	planner "github.com/heliosdb/nano/sql/plan"
	"github.com/heliosdb/nano/sql/result"
	"github.com/heliosdb/nano/sql/types"
)

// Vars gives access to session settings.
type Vars interface {
	Get(name string) (string, bool)
}

// runner executes a planned statement.
type runner interface {
	run(e *env) (Cursor, error)
}

// Prepared is a planned statement. Safe for use by one session.
type Prepared struct {
	eng      *Engine
	stmt     parser.Statement
	given    []types.Oid
	cat      *catalog.Catalog
	params   []types.T
	columns  []result.Column
	readOnly bool
	word     string // CommandWord
	tempOnly bool   // writes temporary tables only (writesOnlyTemp)
	// notInRecovery: refused on a read-only node though it writes
	// nothing (RefusedInRecovery).
	notInRecovery bool
	run           runner
	needs         []privNeed      // privileges.go
	tlocks        []tableLockNeed // tablelock.go
	// foldErr: planning folded a constant expression that fails (1/0):
	// raised by Open, before the statement reads anything, as PostgreSQL
	// raises it while planning (PREPARE succeeds, EXECUTE fails).
	foldErr error
}

// Cursor yields the rows of an executing statement.
type Cursor interface {
	Next(ctx context.Context) ([]types.Datum, error)
	Tag() string
	Close()
}

// Prepare plans stmt in t.
func (e *Engine) Prepare(ctx context.Context, t *Txn, stmt parser.Statement, paramTypes []types.Oid) (p *Prepared, err error) {
	defer e.recoverPanic(&err)
	cat, err := t.catalog()
	if err != nil {
		return nil, err
	}
	b := &builder{eng: e, txn: t, cat: cat, stmt: stmt, readOnly: true}
	for _, o := range paramTypes {
		tt := types.Unknown
		if o != 0 {
			tt = types.T{Oid: o, Mod: -1}
		}
		b.params = append(b.params, tt)
	}
	if err := b.resolveSchemas(stmt.Node); err != nil {
		return nil, err
	}
	run, cols, err := b.buildStatement(stmt.Node)
	if err != nil {
		return nil, err
	}
	for i := range b.params {
		if b.params[i].Oid == types.OidUnknown {
			b.params[i] = types.Text
		}
	}
	word := parser.CommandWord(stmt)
	if b.seqWrite != "" && len(b.dmlCTEs) == 0 && plainQuery(stmt.Node) {
		word = b.seqWrite
	}
	p = &Prepared{eng: e, stmt: stmt, given: paramTypes, cat: cat, params: b.params, readOnly: b.readOnly, word: word, run: run, needs: b.needs,
		tlocks: b.tlocks, tempOnly: !b.readOnly && planner.IsDML(stmt.Node) && b.writesOnlyTemp(), notInRecovery: b.notInRecovery,
		foldErr: b.foldErr}
	if cols != nil {
		// A row-returning statement with no columns (a bare SELECT) still
		// has a RowDescription, with zero fields, as in PostgreSQL.
		p.columns = make([]result.Column, 0, len(cols))
	}
	for _, c := range cols {
		if c.hidden {
			continue
		}
		p.columns = append(p.columns, result.Column{Name: c.name, Type: c.typ.Described(), TableOID: c.tableOID, AttrNum: c.attNum})
	}
	return p, nil
}

func (e *Engine) recoverPanic(err *error) {
	if r := recover(); r != nil {
		if f, ok := r.(stageFailed); ok { // a staged chunk failed to commit (stage.go)
			*err = f.err
			return
		}
		e.log.Error("panic in SQL engine", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		*err = pgerror.Newf(pgerror.InternalError, "internal error: %v", r)
	}
}

// ParamTypes returns the parameter types ($1..$n).
func (p *Prepared) ParamTypes() []types.T { return p.params }

// Columns describes the result rows; nil when none are returned.
func (p *Prepared) Columns() []result.Column { return p.columns }

// ReadOnly reports whether the statement writes nothing.
func (p *Prepared) ReadOnly() bool { return p.readOnly }

// CommandWord names the statement in a read-only transaction's refusal,
// 25006 "cannot execute %s in a read-only transaction": its command word
// (parser.CommandWord), or, for a query whose only writes are sequence
// functions (SELECT, or EXPLAIN / COPY … TO of one, without INTO, FOR
// UPDATE or data-modifying WITH), the first of them, as PostgreSQL's
// nextval()/setval() refuse themselves: "cannot execute nextval() …".
func (p *Prepared) CommandWord() string { return p.word }

// plainQuery reports whether n is a SELECT without INTO or a locking
// clause, or EXPLAIN / COPY … TO of one.
func plainQuery(n *pg_query.Node) bool {
	switch v := n.GetNode().(type) {
	case *pg_query.Node_SelectStmt:
		return v.SelectStmt.IntoClause == nil && len(v.SelectStmt.LockingClause) == 0
	case *pg_query.Node_ExplainStmt:
		return plainQuery(v.ExplainStmt.Query)
	case *pg_query.Node_CopyStmt:
		return v.CopyStmt.Query != nil && plainQuery(v.CopyStmt.Query)
	}
	return false
}

// WritesOnlyTemp reports whether a writing statement is DML that changes
// (or locks FOR UPDATE) only the session's temporary tables. PostgreSQL
// runs such a statement in a READ ONLY transaction (ExecCheckXactReadOnly
// exempts temporary relations); a sequence it advances is checked when it
// runs (nextval() of a permanent sequence is refused then).
func (p *Prepared) WritesOnlyTemp() bool { return p.tempOnly }

// RefusedInRecovery reports whether the statement, though it writes
// nothing, is refused on a standby: LOCK TABLE in a mode above ROW
// EXCLUSIVE (PostgreSQL's PreventCommandDuringRecovery, 25006 "cannot
// execute LOCK TABLE during recovery"). A READ ONLY transaction on a
// primary runs it, as PostgreSQL 15's does.
func (p *Prepared) RefusedInRecovery() bool { return p.notInRecovery }

// Refresh re-plans p, as Open would, when the catalog t sees at the start
// of its next statement is not the one p was planned on, so that Columns
// describes what Open will return. A caller that sends the columns before
// it opens the statement (a simple query run from a plan cache) calls it
// first; a planning error is returned as Prepare returns it.
func (p *Prepared) Refresh(ctx context.Context, t *Txn) (err error) {
	defer p.eng.recoverPanic(&err)
	if err := t.stmtStart(); err != nil {
		return err
	}
	cat, err := t.catalog()
	if err != nil || cat == p.cat {
		return err
	}
	np, err := p.eng.Prepare(ctx, t, p.stmt, p.given)
	if err != nil {
		return err
	}
	*p = *np
	return nil
}

// Open executes the statement. DML runs completely here. The catalog is
// re-checked and the statement re-planned if it changed.
func (p *Prepared) Open(ctx context.Context, t *Txn, params []types.Datum, vars Vars) (c Cursor, err error) {
	var mem *stmtMem
	defer func() { // after recoverPanic: a failed Open leaves no temporary files
		if err != nil {
			p.eng.endStmt(mem)
		}
	}()
	defer p.eng.recoverPanic(&err)
	if err := t.stmtStart(); err != nil {
		return nil, err
	}
	cat, err := t.catalog()
	if err != nil {
		return nil, err
	}
	if cat != p.cat {
		np, err := p.eng.Prepare(ctx, t, p.stmt, p.given)
		if err != nil {
			return nil, err
		}
		*p = *np
	}
	if p.foldErr != nil {
		return nil, p.foldErr
	}
	if !p.readOnly && !p.tempOnly {
		if err := t.checkWritable(p.word); err != nil {
			return nil, err
		}
	}
	if err := checkPrivileges(t, cat, p.needs); err != nil {
		return nil, err
	}
	if err := p.eng.checkTableReads(p.needs); err != nil {
		return nil, err
	}
	en := &env{ctx: ctx, txn: t, params: params, vars: vars}
	for attempt := 0; ; attempt++ {
		waited := false
		if p.writesCatalog() {
			w, err := en.lockCatalog()
			if err != nil {
				return nil, err
			}
			waited = w
		}
		if len(p.tlocks) > 0 {
			w, err := en.lockTables(cat, p.tlocks)
			if err != nil {
				return nil, err
			}
			waited = waited || w
		}
		// READ COMMITTED: run on what committed before the locks were
		// granted when a DDL may have changed the tables meanwhile, and
		// always for a DDL, which may copy rows (catlock.go).
		if t.iso != ReadCommitted || attempt > 8 ||
			!waited && t.eng.ddlSeq.Load() == t.ddlSeen && !(p.writesCatalog() && t.view.NewerCommitted(t.view.Snapshot())) {
			break
		}
		if err := t.stmtStart(); err != nil {
			return nil, err
		}
		if cat, err = t.catalog(); err != nil {
			return nil, err
		}
		if cat == p.cat {
			break
		}
		np, err := p.eng.Prepare(ctx, t, p.stmt, p.given)
		if err != nil {
			return nil, err
		}
		*p = *np
		if err := checkPrivileges(t, cat, p.needs); err != nil {
			return nil, err
		}
	}
	mem = p.eng.newStmtMem(vars)
	en.mem = mem
	sp := t.ov.Savepoint()
	deferred := t.deferred
	c, err = p.run.run(en)
	if err == nil && len(en.fkq) > 0 {
		if err = en.flushFK(); err != nil {
			c.Close()
		}
	}
	if err != nil {
		t.ov.RollbackTo(sp)
		t.deferred = deferred
		if p.stmtIsDDL() {
			t.ddlWrote()
		}
		return nil, err
	}
	t.openCursors++
	if rc := p.regOutput(c, cat, en.vars); rc != nil {
		c = rc
	}
	return &stmtCursor{Cursor: c, eng: p.eng, mem: en.mem, txn: t}, nil
}

// regCursor renders result columns of the OID-valued reg* types
// (regclass, regnamespace, regrole) as names in text format (OIDs in
// binary: types.RegName), as their output functions do (psql's \d prints conrelid::regclass); a regclass is qualified when
// its schema is not on the session's search_path.
type regCursor struct {
	Cursor
	cols []int
	oids []types.Oid
	sys  *pgcatalog.System
	penv *pgcatalog.Env
}

func (p *Prepared) regOutput(c Cursor, cat *catalog.Catalog, vars pgcatalog.Vars) Cursor {
	var cols []int
	var oids []types.Oid
	for i, col := range p.columns {
		switch col.Type.Oid {
		case types.OidRegclass, types.OidRegnamespace, types.OidRegrole, types.OidRegproc, types.OidRegprocedure:
			cols = append(cols, i)
			oids = append(oids, col.Type.Oid)
		}
	}
	if len(cols) == 0 {
		return nil
	}
	return &regCursor{Cursor: c, cols: cols, oids: oids, sys: p.eng.system(), penv: &pgcatalog.Env{Cat: cat, Vars: vars}}
}

func (c *regCursor) Next(ctx context.Context) ([]Datum, error) {
	row, err := c.Cursor.Next(ctx)
	if err != nil || row == nil {
		return row, err
	}
	for k, i := range c.cols {
		if i >= len(row) {
			break
		}
		if o, ok := row[i].(int64); ok {
			row[i] = types.RegName{OID: o, Name: regOut(c.sys, c.penv, c.oids[k], o)}
		}
	}
	return row, nil
}

func (p *Prepared) stmtIsDDL() bool {
	switch p.stmt.Node.Node.(type) {
	case *pg_query.Node_CreateStmt, *pg_query.Node_DropStmt, *pg_query.Node_IndexStmt, *pg_query.Node_TruncateStmt, *pg_query.Node_AlterTableStmt, *pg_query.Node_RenameStmt,
		*pg_query.Node_AlterObjectSchemaStmt, *pg_query.Node_CreateSeqStmt, *pg_query.Node_AlterSeqStmt,
		*pg_query.Node_ViewStmt, *pg_query.Node_CreateSchemaStmt:
		return true
	case *pg_query.Node_CreateRoleStmt, *pg_query.Node_AlterRoleStmt, *pg_query.Node_DropRoleStmt,
		*pg_query.Node_GrantStmt, *pg_query.Node_GrantRoleStmt:
		return true
	}
	return false
}

// rowCursor streams rows from an iterator.
type rowCursor struct {
	it    iter
	n     int
	tag   string
	count bool
}

func (c *rowCursor) Next(ctx context.Context) ([]types.Datum, error) {
	if c.it == nil {
		return nil, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, errCanceled
	}
	row, err := c.it.next()
	if err != nil || row == nil {
		c.Close()
		return nil, err
	}
	c.n++
	return row, nil
}

func (c *rowCursor) Tag() string {
	if c.count {
		if c.tag == "SELECT" && c.n == 1 {
			return "SELECT 1" // a point select: no allocation
		}
		return c.tag + " " + strconv.FormatInt(int64(c.n), 10)
	}
	return c.tag
}

func (c *rowCursor) Close() {
	if c.it != nil {
		c.it.close()
		c.it = nil
	}
}

// queryRunner runs a row-returning plan.
type queryRunner struct {
	p   plan
	tag string
}

func (q *queryRunner) run(e *env) (Cursor, error) {
	it, err := startPlan(e, q.p)
	if err != nil {
		return nil, err
	}
	return &rowCursor{it: it, tag: q.tag, count: true}, nil
}

// tagRunner returns a fixed tag and optional buffered rows.
type fnRunner func(e *env) (Cursor, error)

func (f fnRunner) run(e *env) (Cursor, error) { return f(e) }

func tagCursor(tag string, rows [][]Datum) Cursor {
	return &rowCursor{it: sliceIter(rows), tag: tag}
}

// buildStatement plans any supported statement.
func (b *builder) buildStatement(n *pg_query.Node) (runner, []colInfo, error) {
	if st, ok, err := planner.AuthStatementOf(n); ok {
		if err != nil {
			return nil, nil, b.locate(err)
		}
		r, err := b.buildAuthStatement(st)
		return r, nil, err
	}
	b.collectPrivileges(planner.TargetPrivilegesOf(n))
	b.collectTableLocks(planner.TargetLocks(n))
	switch v := n.Node.(type) {
	case *pg_query.Node_SelectStmt:
		if into := v.SelectStmt.IntoClause; into != nil {
			// SELECT … INTO t is CREATE TABLE t AS SELECT …
			sel := proto.Clone(v.SelectStmt).(*pg_query.SelectStmt)
			sel.IntoClause = nil
			b.readOnly = false
			b.needs = append(b.needs, privNeed{priv: privCreateSchema})
			r, err := b.buildCreateTableAs(&pg_query.CreateTableAsStmt{
				Query: &pg_query.Node{Node: &pg_query.Node_SelectStmt{SelectStmt: sel}},
				Into:  into, Objtype: pg_query.ObjectType_OBJECT_TABLE, IsSelectInto: true,
			})
			return r, nil, err
		}
		b.topWith = v.SelectStmt.WithClause
		p, err := b.buildSelect(v.SelectStmt, nil)
		if err != nil {
			return nil, nil, err
		}
		cols := p.cols()
		if cols == nil {
			cols = []colInfo{} // SELECT with no target list returns rows of no columns
		}
		r, err := b.finishDMLWith(n, v.SelectStmt.WithClause, &queryRunner{p: p, tag: "SELECT"})
		return r, cols, err
	case *pg_query.Node_ExplainStmt:
		return b.buildExplain(v.ExplainStmt)
	case *pg_query.Node_InsertStmt:
		b.readOnly = false
		b.topWith = v.InsertStmt.WithClause
		is, restore, err := withDML(b, v.InsertStmt, v.InsertStmt.WithClause)
		if err != nil {
			return nil, nil, err
		}
		defer restore()
		is.WithClause = nil
		if len(b.dmlCTEs) > 0 {
			if err := b.noViewTarget(is.Relation); err != nil {
				return nil, nil, err
			}
		}
		if d, err := b.updatableView(is.Relation, dmlInsert); d != nil || err != nil {
			return b.viewDML(err, func() (*pg_query.Node, error) { return b.rewriteViewInsert(is, d) })
		}
		r, cols, err := b.buildInsert(is)
		if err != nil {
			return nil, nil, err
		}
		r, err = b.finishDMLWith(n, v.InsertStmt.WithClause, r)
		return r, cols, err
	case *pg_query.Node_UpdateStmt:
		b.readOnly = false
		b.topWith = v.UpdateStmt.WithClause
		us, restore, err := withDML(b, v.UpdateStmt, v.UpdateStmt.WithClause)
		if err != nil {
			return nil, nil, err
		}
		defer restore()
		us.WithClause = nil
		if len(b.dmlCTEs) > 0 {
			if err := b.noViewTarget(us.Relation); err != nil {
				return nil, nil, err
			}
		}
		if d, err := b.updatableView(us.Relation, dmlUpdate); d != nil || err != nil {
			return b.viewDML(err, func() (*pg_query.Node, error) { return b.rewriteViewUpdate(us, d) })
		}
		r, cols, err := b.buildUpdate(us)
		if err != nil {
			return nil, nil, err
		}
		r, err = b.finishDMLWith(n, v.UpdateStmt.WithClause, r)
		return r, cols, err
	case *pg_query.Node_DeleteStmt:
		b.readOnly = false
		b.topWith = v.DeleteStmt.WithClause
		ds, restore, err := withDML(b, v.DeleteStmt, v.DeleteStmt.WithClause)
		if err != nil {
			return nil, nil, err
		}
		defer restore()
		ds.WithClause = nil
		if len(b.dmlCTEs) > 0 {
			if err := b.noViewTarget(ds.Relation); err != nil {
				return nil, nil, err
			}
		}
		if d, err := b.updatableView(ds.Relation, dmlDelete); d != nil || err != nil {
			return b.viewDML(err, func() (*pg_query.Node, error) { return b.rewriteViewDelete(ds, d) })
		}
		r, cols, err := b.buildDelete(ds)
		if err != nil {
			return nil, nil, err
		}
		r, err = b.finishDMLWith(n, v.DeleteStmt.WithClause, r)
		return r, cols, err
	case *pg_query.Node_MergeStmt:
		b.readOnly = false
		return b.buildMerge(v.MergeStmt)
	case *pg_query.Node_CreateStmt:
		b.readOnly = false
		r, err := b.buildCreateTable(v.CreateStmt)
		return r, nil, err
	case *pg_query.Node_CreateTableAsStmt:
		b.readOnly = false
		r, err := b.buildCreateTableAs(v.CreateTableAsStmt)
		return r, nil, err
	case *pg_query.Node_CreateSchemaStmt:
		b.readOnly = false
		r, err := b.buildCreateSchema(v.CreateSchemaStmt)
		return r, nil, err
	case *pg_query.Node_DropStmt:
		b.readOnly = false
		if v.DropStmt.RemoveType == pg_query.ObjectType_OBJECT_SCHEMA {
			r, err := b.buildDropSchema(v.DropStmt)
			return r, nil, err
		}
		if v.DropStmt.RemoveType == pg_query.ObjectType_OBJECT_VIEW {
			r, err := b.buildDropView(v.DropStmt)
			return r, nil, err
		}
		if v.DropStmt.RemoveType == pg_query.ObjectType_OBJECT_SEQUENCE {
			r, err := b.buildDropSequence(v.DropStmt)
			return r, nil, err
		}
		r, err := b.buildDrop(v.DropStmt)
		return r, nil, err
	case *pg_query.Node_ViewStmt:
		b.readOnly = false
		r, err := b.buildCreateView(v.ViewStmt)
		return r, nil, err
	case *pg_query.Node_TruncateStmt:
		b.readOnly = false
		r, err := b.buildTruncate(v.TruncateStmt)
		return r, nil, err
	case *pg_query.Node_IndexStmt:
		b.readOnly = false
		r, err := b.buildCreateIndex(v.IndexStmt)
		return r, nil, err
	case *pg_query.Node_CreateSeqStmt:
		b.readOnly = false
		r, err := b.buildCreateSequence(v.CreateSeqStmt)
		return r, nil, err
	case *pg_query.Node_AlterSeqStmt:
		b.readOnly = false
		r, err := b.buildAlterSequence(v.AlterSeqStmt)
		return r, nil, err
	case *pg_query.Node_AlterTableStmt:
		b.readOnly = false
		r, err := b.buildAlterTable(v.AlterTableStmt)
		return r, nil, err
	case *pg_query.Node_RenameStmt:
		b.readOnly = false
		r, err := b.buildRename(v.RenameStmt)
		return r, nil, err
	case *pg_query.Node_AlterObjectSchemaStmt:
		b.readOnly = false
		r, err := b.buildSetSchema(v.AlterObjectSchemaStmt)
		return r, nil, err
	case *pg_query.Node_LockStmt:
		lt, perr := planner.LockTableOf(v.LockStmt)
		if perr != nil {
			return nil, nil, perr
		}
		r, err := b.buildLock(lt)
		return r, nil, err
	case *pg_query.Node_ConstraintsSetStmt:
		r, err := b.buildSetConstraints(planner.SetConstraintsOf(v.ConstraintsSetStmt))
		return r, nil, err
	case *pg_query.Node_CreatedbStmt, *pg_query.Node_DropdbStmt, *pg_query.Node_AlterDatabaseStmt:
		return nil, nil, pgerror.Newf(pgerror.FeatureNotSupported, "%s is not supported: a HeliosDB Nano cluster holds one database", parser.CommandWord(b.stmt)).
			WithHint("%s", "Clients connect to it as heliosdb or postgres; use schemas (CREATE SCHEMA) to keep applications apart.")
	case *pg_query.Node_VacuumStmt:
		tag := "VACUUM"
		if !v.VacuumStmt.IsVacuumcmd {
			tag = "ANALYZE"
		}
		return fnRunner(func(*env) (Cursor, error) { return tagCursor(tag, nil), nil }), nil, nil
	}
	return nil, nil, pgerror.Newf(pgerror.FeatureNotSupported, "%s is not supported", featureName(n))
}

func featureName(n *pg_query.Node) string {
	s := nodeName(n)
	s = strings.TrimSuffix(s, "Stmt")
	var out []string
	start := 0
	for i := 1; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'Z' && s[i-1] >= 'a' && s[i-1] <= 'z' {
			out = append(out, s[start:i])
			start = i
		}
	}
	out = append(out, s[start:])
	return strings.ToUpper(strings.Join(out, " "))
}

func (b *builder) buildExplain(ex *pg_query.ExplainStmt) (runner, []colInfo, error) {
	analyze, timing, summary := false, true, true
	timingSet := false
	for _, o := range ex.Options {
		d := o.GetDefElem()
		if d == nil {
			continue
		}
		switch d.Defname {
		case "analyze", "timing", "summary":
			v, err := defBool(d)
			if err != nil {
				return nil, nil, err
			}
			switch d.Defname {
			case "analyze":
				analyze = v
			case "timing":
				timing, timingSet = v, true
			case "summary":
				summary = v
			}
		case "format":
			if f := strings.ToLower(defString(d)); f != "text" {
				return nil, nil, pgerror.Newf(pgerror.FeatureNotSupported, "EXPLAIN (FORMAT %s) is not supported", strings.ToUpper(f))
			}
		}
	}
	if timingSet && timing && !analyze {
		return nil, nil, pgerror.New(pgerror.InvalidParameterValue, "EXPLAIN option TIMING requires ANALYZE")
	}
	if analyze && (ex.Query.GetUpdateStmt() != nil || ex.Query.GetDeleteStmt() != nil) {
		return b.explainAnalyzeDML(ex.Query, timing, summary)
	}
	if analyze && ex.Query.GetSelectStmt() == nil {
		return nil, nil, pgerror.Newf(pgerror.FeatureNotSupported, "EXPLAIN ANALYZE of %s is not supported", featureName(ex.Query))
	}
	planStart := time.Now()
	sel := ex.Query.GetSelectStmt()
	var p plan
	var err error
	if sel != nil {
		p, err = b.buildSelect(sel, nil)
	} else if u := ex.Query.GetUpdateStmt(); u != nil {
		p, err = b.explainDML(u.Relation, u.FromClause, u.WhereClause)
	} else if d := ex.Query.GetDeleteStmt(); d != nil {
		p, err = b.explainDML(d.Relation, d.UsingClause, d.WhereClause)
	} else {
		return nil, nil, pgerror.New(pgerror.FeatureNotSupported, "EXPLAIN of this statement is not supported")
	}
	if err != nil {
		return nil, nil, err
	}
	planning := time.Since(planStart)
	if !analyze {
		x := &explainer{}
		p.explain(x, 0)
		return fnRunner(func(*env) (Cursor, error) { return explainCursor(x), nil }), explainCols, nil
	}
	return fnRunner(func(e *env) (Cursor, error) {
		ae := *e
		ae.stats = map[plan]*opStats{}
		start := time.Now()
		if err := runToEnd(&ae, p); err != nil {
			return nil, err
		}
		x := &explainer{stats: ae.stats, timing: timing}
		x.child(p, 0)
		x.summary(summary, planning, time.Since(start))
		return explainCursor(x), nil
	}), explainCols, nil
}

var explainCols = []colInfo{{name: "QUERY PLAN", typ: types.Text}}

// explainCursor returns EXPLAIN's lines as its rows.
func explainCursor(x *explainer) Cursor {
	rows := make([][]Datum, len(x.lines))
	for i, l := range x.lines {
		rows[i] = []Datum{l}
	}
	return tagCursor("EXPLAIN", rows)
}

// summary ends an EXPLAIN ANALYZE with its planning and execution times
// (SUMMARY, on by default).
func (x *explainer) summary(on bool, planning, execution time.Duration) {
	if on {
		x.lines = append(x.lines, "Planning Time: "+millis(planning)+" ms", "Execution Time: "+millis(execution)+" ms")
	}
}

// explainAnalyzeDML runs an UPDATE or DELETE (it changes the rows, as in
// PostgreSQL: wrap it in a transaction to look without changing) and shows
// the rows it read under "Update on t" / "Delete on t", whose rows are the
// ones RETURNING gave.
func (b *builder) explainAnalyzeDML(n *pg_query.Node, timing, summary bool) (runner, []colInfo, error) {
	b.readOnly = false
	b.collectPrivileges(planner.TargetPrivilegesOf(n))
	b.collectTableLocks(planner.TargetLocks(n))
	planStart := time.Now()
	var r runner
	var d *dmlSource
	var err error
	var verb string
	if u := n.GetUpdateStmt(); u != nil {
		if u.WithClause != nil {
			return nil, nil, pgerror.New(pgerror.FeatureNotSupported, "EXPLAIN ANALYZE of UPDATE with WITH is not supported")
		}
		verb = "Update"
		r, _, d, err = b.buildUpdateFrom(u)
	} else {
		ds := n.GetDeleteStmt()
		if ds.WithClause != nil {
			return nil, nil, pgerror.New(pgerror.FeatureNotSupported, "EXPLAIN ANALYZE of DELETE with WITH is not supported")
		}
		verb = "Delete"
		r, _, d, err = b.buildDeleteUsing(ds)
	}
	if err != nil {
		return nil, nil, err
	}
	planning := time.Since(planStart)
	label := verb + " on " + d.sp.tbl.Name
	if d.sp.alias != d.sp.tbl.Name {
		label += " " + d.sp.alias
	}
	return fnRunner(func(e *env) (Cursor, error) {
		ae := *e
		ae.stats = map[plan]*opStats{}
		start := time.Now()
		top := &opStats{loops: 1}
		cur, err := r.run(&ae)
		if err != nil {
			return nil, err
		}
		first := time.Duration(-1)
		for {
			row, err := cur.Next(e.ctx)
			if err != nil {
				cur.Close()
				return nil, err
			}
			if first < 0 {
				first = time.Since(start)
			}
			if row == nil {
				break
			}
			top.rows++
		}
		cur.Close()
		execution := time.Since(start)
		top.startup, top.total = first, execution
		x := &explainer{stats: ae.stats, timing: timing}
		x.add(0, label+top.annotation(timing))
		x.child(d.src, 1)
		x.summary(summary, planning, execution)
		return explainCursor(x), nil
	}), explainCols, nil
}

// explainDML is the plan EXPLAIN shows for an UPDATE or DELETE: the rows it
// reads.
func (b *builder) explainDML(rv *pg_query.RangeVar, from []*pg_query.Node, where *pg_query.Node) (plan, error) {
	d, err := b.buildDMLSource(rv, from, where)
	if err != nil {
		return nil, err
	}
	return d.src, nil
}

// runToEnd runs p and discards its rows (EXPLAIN ANALYZE).
func runToEnd(e *env, p plan) error {
	it, err := startPlan(e, p)
	if err != nil {
		return err
	}
	defer it.close()
	for {
		row, err := it.next()
		if err != nil || row == nil {
			return err
		}
	}
}
