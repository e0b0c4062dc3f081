package exec

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/copyfmt"
	"github.com/heliosdb/nano/sql/lock"
	"github.com/heliosdb/nano/sql/parser"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

// CopyPlan is a planned COPY FROM STDIN or COPY TO STDOUT. COPY FROM adds
// its rows to the transaction's write set like INSERT, so the load is
// atomic; its memory stays bounded because it commits them in chunks as
// it goes: into a table created or truncated by the same transaction
// (stage.go), or else into shadow buckets that its COMMIT moves into the
// table at once (shadow.go). COPY TO streams the rows of a query.
type CopyPlan struct {
	eng   *Engine
	from  bool
	opts  copyfmt.Options
	table *catalog.Table // COPY FROM, or COPY table TO
	cols  []int          // target ordinals (COPY FROM)
	names []string       // column names, for HEADER and errors
	defs  []*cexpr       // defaults of every column (COPY FROM)
	query *Prepared      // COPY TO
	ctype []types.T      // types of the copied columns
}

// PrepareCopy plans a COPY statement in t.
func (e *Engine) PrepareCopy(ctx context.Context, t *Txn, stmt parser.Statement) (p *CopyPlan, err error) {
	defer e.recoverPanic(&err)
	cs := stmt.Node.GetCopyStmt()
	if cs == nil {
		return nil, pgerror.New(pgerror.InternalError, "PrepareCopy: not a COPY statement")
	}
	if cs.Filename != "" || cs.IsProgram {
		return nil, copyFileError(cs)
	}
	if cs.WhereClause != nil {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "COPY FROM ... WHERE is not supported")
	}
	cat, err := t.catalog()
	if err != nil {
		return nil, err
	}
	b := &builder{eng: e, txn: t, cat: cat, stmt: stmt}
	if err := b.resolveSchemas(stmt.Node); err != nil { // search_path, temporary tables first
		return nil, err
	}
	p = &CopyPlan{eng: e, from: cs.IsFrom}
	if cs.Relation != nil {
		if p.table, err = b.lookupTable(cs.Relation); err != nil {
			return nil, err
		}
		if p.cols, err = copyColumns(p.table, cs.Attlist); err != nil {
			return nil, err
		}
		for _, o := range p.cols {
			p.names = append(p.names, p.table.Columns[o].Name)
			p.ctype = append(p.ctype, p.table.Columns[o].Type)
		}
	}
	if err := p.parseOptions(cs.Options); err != nil {
		return nil, err
	}
	if p.from {
		if p.table == nil {
			return nil, pgerror.New(pgerror.SyntaxError, "COPY FROM requires a table")
		}
		if err := p.checkWritable(t); err != nil { // before lockFrom's lock
			return nil, err
		}
		b.readOnly = false
		if replan, err := p.lockFrom(ctx, t); err != nil || replan {
			if err != nil {
				return nil, err
			}
			return e.PrepareCopy(ctx, t, stmt)
		}
		if p.defs, err = b.defaults(p.table); err != nil {
			return nil, err
		}
		return p, nil
	}
	return p, p.prepareTo(ctx, t, stmt, cs)
}

// lockFrom takes COPY FROM's table lock: ROW EXCLUSIVE, as PostgreSQL's,
// so other writers of the table go on beside the load; its rows claim
// their keys instead of locking them (copylocks.go). A temporary table
// (no other session can write it) takes SHARE ROW EXCLUSIVE, so its rows
// need neither (env.sole). A table created or truncated by this
// transaction is private to it and needs no lock. replan: the lock had to
// wait under READ COMMITTED, the statement has a fresh snapshot and must
// be planned again on it (a DDL it waited for may have changed the table).
func (p *CopyPlan) lockFrom(ctx context.Context, t *Txn) (replan bool, err error) {
	mode := lock.RowExclusive
	if isTempName(p.table.Name) {
		mode = lock.ShareRowExclusive
	}
	if createdHere(t, p.table) || t.holdsTable(p.table.OID, mode) {
		return false, nil
	}
	en := &env{ctx: ctx, txn: t}
	waited, err := en.lockTable(p.table, mode, lock.Wait)
	if err != nil || !waited || t.iso != ReadCommitted {
		return false, err
	}
	return true, t.stmtStart()
}

func copyFileError(cs *pg_query.CopyStmt) error {
	what, role := "from a file", "pg_read_server_files"
	if cs.IsProgram {
		what, role = "to or from an external program", "pg_execute_server_program"
	} else if !cs.IsFrom {
		what, role = "to a file", "pg_write_server_files"
	}
	return pgerror.Newf(pgerror.InsufficientPrivilege, "must be superuser or have privileges of the %s role to COPY %s", role, what).
		WithHint("Anyone can COPY to stdout or from stdin. psql's \\copy command also works for anyone.")
}

// copyColumns resolves the column list (all visible columns when empty).
func copyColumns(tbl *catalog.Table, list []*pg_query.Node) ([]int, error) {
	var out []int
	if len(list) == 0 {
		for i, c := range tbl.Columns {
			if !c.Hidden {
				out = append(out, i)
			}
		}
		return out, nil
	}
	seen := map[int]bool{}
	for _, n := range list {
		name := strVal(n)
		i := tbl.ColumnIndex(name)
		if i < 0 || tbl.Columns[i].Hidden {
			return nil, pgerror.Newf(pgerror.UndefinedColumn, "column %q of relation %q does not exist", name, tbl.Name)
		}
		if seen[i] {
			return nil, pgerror.Newf(pgerror.DuplicateColumn, "column %q specified more than once", name)
		}
		seen[i] = true
		out = append(out, i)
	}
	return out, nil
}

// prepareTo plans the query of COPY TO: the statement's, or a SELECT of the
// table's columns.
func (p *CopyPlan) prepareTo(ctx context.Context, t *Txn, stmt parser.Statement, cs *pg_query.CopyStmt) error {
	qs := stmt
	if cs.Query != nil {
		qs.Node = cs.Query
		if qs.Node.GetSelectStmt() == nil {
			return pgerror.New(pgerror.FeatureNotSupported, "COPY (query) TO supports SELECT, VALUES and TABLE queries only")
		}
	} else {
		var sel strings.Builder
		sel.WriteString("SELECT ")
		for i, n := range p.names {
			if i > 0 {
				sel.WriteString(", ")
			}
			sel.WriteString(parser.QuoteIdent(n))
		}
		sel.WriteString(" FROM " + parser.QuoteIdent(p.table.Name))
		var err error
		if qs, err = parser.ParseOne(sel.String()); err != nil {
			return err
		}
	}
	q, err := p.eng.Prepare(ctx, t, qs, nil)
	if err != nil {
		return err
	}
	p.query = q
	if cs.Query != nil {
		p.names, p.ctype = nil, nil
		for _, c := range q.Columns() {
			p.names = append(p.names, c.Name)
			p.ctype = append(p.ctype, c.Type)
		}
		p.opts.ForceQuote = p.forceForQuery(p.opts.ForceQuote)
	}
	return nil
}

// IntoTemp reports whether the plan is COPY FROM into a temporary table,
// which PostgreSQL allows in a read-only transaction.
func (p *CopyPlan) IntoTemp() bool { return p.from && isTempName(p.table.Name) }

// checkWritable refuses COPY FROM in a read-only transaction, unless into
// a temporary table.
func (p *CopyPlan) checkWritable(t *Txn) error {
	if p.IntoTemp() {
		return nil
	}
	return t.checkWritable("COPY FROM")
}

// From reports whether the plan is COPY FROM.
func (p *CopyPlan) From() bool { return p.from }

// Binary reports whether the data is in binary format.
func (p *CopyPlan) Binary() bool { return p.opts.Format == copyfmt.Binary }

// NumColumns is the number of columns copied.
func (p *CopyPlan) NumColumns() int { return len(p.ctype) }

// CopyFrom reads rows from r and inserts them in t; it returns the row
// count. The rows are not undo-logged: on an error t can only roll back
// (its Commit fails), as the session does with a failed statement's
// transaction.
func (p *CopyPlan) CopyFrom(ctx context.Context, t *Txn, r io.Reader, vars Vars) (n int64, err error) {
	defer p.eng.recoverPanic(&err)
	if err := p.checkWritable(t); err != nil {
		return 0, err
	}
	cat, err := t.catalog()
	if err != nil {
		return 0, err
	}
	if cat.Tables[p.table.Name] != p.table {
		return 0, pgerror.New(pgerror.ObjectNotInPrereqState, "table definition changed since COPY was planned")
	}
	mem := p.eng.newStmtMem(vars)
	defer p.eng.endStmt(mem)
	en := &env{ctx: ctx, txn: t, vars: vars, mem: mem}
	if err := en.trySwapLock(cat, p.table); err != nil {
		return 0, err
	}
	switch {
	case t.holdsTable(p.table.OID, lock.ShareRowExclusive):
		en.sole = p.table.OID
	case !createdHere(t, p.table) && (!freshRowID(p.table) || hasUniqueIndex(p.table)):
		if en.bulk, err = en.beginBulk(p.table); err != nil {
			return 0, err
		}
	}
	tbl, err := t.swapEmpty(cat, p.table)
	if err != nil {
		return 0, err
	}
	if !createdHere(t, tbl) && !isTempName(tbl.Name) && t.iso != Serializable && !t.ov.KeepUndo() && len(t.deferred) == 0 {
		t.shadowing = true // chunks of its rows go to shadow buckets (shadow.go)
		defer func() { t.shadowing = false }()
	}
	err = t.bulk(func() (err error) {
		if n, err = p.load(en, copyfmt.NewReader(r, &p.opts), tbl); err != nil {
			return err
		}
		return en.flushFK()
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// load inserts every row of rd into tbl (p.table, or its swap with
// fresh buckets: copyswap.go).
func (p *CopyPlan) load(en *env, rd *copyfmt.Reader, tbl *catalog.Table) (int64, error) {
	loc := sessionLoc(en)
	target := make([]bool, len(tbl.Columns))
	for _, o := range p.cols {
		target[o] = true
	}
	var n int64
	var row []Datum
	var pw *privateWriter
	if createdHere(en.txn, tbl) {
		pw = newPrivateWriter(tbl)
	}
	for {
		if err := en.checkCancel(); err != nil {
			return n, err
		}
		fields, err := rd.Read()
		if err == io.EOF {
			return n, rd.Drain()
		}
		if err != nil {
			return n, p.lineContext(err, rd, rd.LineValid())
		}
		if len(fields) != len(p.cols) {
			return n, p.countError(rd, len(fields))
		}
		row = p.rowFor(pw, tbl, row)
		for i, o := range p.cols {
			if fields[i].Null {
				continue
			}
			if row[o], err = p.decode(fields[i].Val, &tbl.Columns[o], loc); err != nil {
				return n, p.fieldContext(err, rd, i, fields[i].Val)
			}
		}
		for i := range row {
			if !target[i] {
				if row[i], err = p.defs[i].fn(en, nil); err != nil {
					return n, p.lineContext(err, rd, true)
				}
			}
		}
		if pw != nil {
			if err = pw.write(en, row); err == nil {
				err = en.queueWrite(tbl, row, nil)
			}
			if err == nil {
				if err := en.txn.maybeStage(en.ctx); err != nil {
					return n, err
				}
			}
		} else if err = writeRow(en, tbl, row, nil, nil); err == nil && en.txn.shadowing {
			if err := en.txn.maybeStage(en.ctx); err != nil {
				return n, err
			}
		}
		if err != nil {
			return n, p.lineContext(err, rd, pgerror.CodeOf(err) != pgerror.UniqueViolation)
		}
		n++
	}
}

// rowFor returns the slice for the next row: prev, cleared, when a
// private load keeps nothing of it (no foreign key queues it for a check).
func (p *CopyPlan) rowFor(pw *privateWriter, tbl *catalog.Table, prev []Datum) []Datum {
	if pw == nil || prev == nil || len(tbl.ForeignKeys) > 0 {
		return make([]Datum, len(tbl.Columns))
	}
	clear(prev)
	return prev
}

// decode converts one field to column c's type.
func (p *CopyPlan) decode(v []byte, c *catalog.Column, loc *time.Location) (Datum, error) {
	if p.opts.Format != copyfmt.Binary || c.Type.Family() == types.FamString {
		if p.opts.Format == copyfmt.Binary {
			if err := types.VerifyEncoding(v); err != nil {
				return nil, err
			}
		}
		if parsedWhole(c.Type) {
			// The parser keeps nothing of its input: read the field in
			// place rather than copy it (the reader reuses its buffer).
			return types.ParseTextLoc(c.Type, unsafe.String(unsafe.SliceData(v), len(v)), loc)
		}
		return types.ParseTextLoc(c.Type, string(v), loc)
	}
	d, err := types.DecodeBinary(c.Type, v)
	if err != nil || d == nil {
		return d, err
	}
	return types.Cast(d, c.Type, c.Type, false)
}

// parsedWhole reports whether the text parser of t returns a value that
// holds nothing of its input string (numbers, booleans, dates; errors copy
// what they quote).
func parsedWhole(t types.T) bool {
	switch t.Oid {
	case types.OidBool, types.OidInt2, types.OidInt4, types.OidInt8, types.OidFloat4, types.OidFloat8, types.OidDate:
		return true
	}
	return false
}

// countError is PostgreSQL's error for a row with too few or too many
// fields.
func (p *CopyPlan) countError(rd *copyfmt.Reader, got int) error {
	var e *pgerror.Error
	switch {
	case p.opts.Format == copyfmt.Binary:
		e = pgerror.Newf(pgerror.BadCopyFileFormat, "row field count is %d, expected %d", got, len(p.cols))
	case got < len(p.cols):
		e = pgerror.Newf(pgerror.BadCopyFileFormat, "missing data for column %q", p.names[got])
	default:
		e = pgerror.New(pgerror.BadCopyFileFormat, "extra data after last expected column")
	}
	return p.lineContext(e, rd, true)
}

// lineContext adds CONTEXT "COPY t, line N[: "text"]".
func (p *CopyPlan) lineContext(err error, rd *copyfmt.Reader, withText bool) error {
	pe := pgerror.As(err)
	if pe == nil {
		return err
	}
	if withText && p.opts.Format != copyfmt.Binary {
		return pe.WithWhere("COPY %s, line %d: \"%s\"", p.table.Name, rd.Line(), limitPrintout(rd.RawLine()))
	}
	return pe.WithWhere("COPY %s, line %d", p.table.Name, rd.Line())
}

// fieldContext adds CONTEXT "COPY t, line N, column c: "value"".
func (p *CopyPlan) fieldContext(err error, rd *copyfmt.Reader, i int, v []byte) error {
	pe := pgerror.As(err)
	if pe == nil {
		return err
	}
	if p.opts.Format == copyfmt.Binary {
		return pe.WithWhere("COPY %s, line %d, column %s", p.table.Name, rd.Line(), p.names[i])
	}
	return pe.WithWhere("COPY %s, line %d, column %s: \"%s\"", p.table.Name, rd.Line(), p.names[i], limitPrintout(string(v)))
}

// limitPrintout shortens a value for a CONTEXT line as PostgreSQL's
// limit_printout_length does (100 bytes, on a character boundary, "...").
func limitPrintout(s string) string {
	const max = 100
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// CopyTo runs the query and sends its rows, encoded, to out (one call per
// row, plus the header and trailer); it returns the row count. The slice
// passed to out is reused.
func (p *CopyPlan) CopyTo(ctx context.Context, t *Txn, vars Vars, out func([]byte) error) (n int64, err error) {
	defer p.eng.recoverPanic(&err)
	cur, err := p.query.Open(ctx, t, nil, vars)
	if err != nil {
		return 0, err
	}
	defer cur.Close()
	w := copyfmt.NewWriter(&p.opts)
	if h := w.Header(p.names); h != nil {
		if err := out(h); err != nil {
			return 0, err
		}
	}
	loc := time.UTC
	if vars != nil {
		if tz, ok := vars.Get("TimeZone"); ok {
			if l, err := time.LoadLocation(tz); err == nil {
				loc = l
			}
		}
	}
	vals := make([][]byte, len(p.ctype))
	nulls := make([]bool, len(p.ctype))
	var buf, row []byte
	for {
		d, err := cur.Next(ctx)
		if err != nil {
			return n, err
		}
		if d == nil {
			break
		}
		buf = buf[:0]
		offs := make([]int, 0, len(d)+1)
		for i, v := range d {
			offs = append(offs, len(buf))
			nulls[i] = v == nil
			if v == nil {
				continue
			}
			if p.opts.Format == copyfmt.Binary {
				if buf, err = types.AppendBinary(buf, v, p.ctype[i]); err != nil {
					return n, err
				}
			} else {
				buf = types.AppendTextLoc(buf, v, p.ctype[i], loc)
			}
		}
		offs = append(offs, len(buf))
		for i := range d {
			vals[i] = buf[offs[i]:offs[i+1]]
		}
		row = w.AppendRow(row[:0], vals, nulls)
		if err := out(row); err != nil {
			return n, err
		}
		n++
	}
	if tr := w.Trailer(); tr != nil {
		if err := out(tr); err != nil {
			return n, err
		}
	}
	return n, nil
}

// parseOptions reads the WITH (...) options (and their old spellings,
// which the parser maps to the same names).
func (p *CopyPlan) parseOptions(opts []*pg_query.Node) error {
	seen := map[string]bool{}
	for _, n := range opts {
		d := n.GetDefElem()
		if d == nil {
			continue
		}
		if seen[d.Defname] {
			return pgerror.New(pgerror.SyntaxError, "conflicting or redundant options")
		}
		seen[d.Defname] = true
		if err := p.option(d); err != nil {
			return err
		}
	}
	return p.opts.Resolve()
}

func (p *CopyPlan) option(d *pg_query.DefElem) error {
	o := &p.opts
	switch d.Defname {
	case "format":
		switch defString(d) {
		case "text":
			o.Format = copyfmt.Text
		case "csv":
			o.Format = copyfmt.CSV
		case "binary":
			o.Format = copyfmt.Binary
		default:
			return pgerror.Newf(pgerror.InvalidParameterValue, "COPY format %q not recognized", defString(d))
		}
	case "delimiter":
		o.Delimiter = defString(d)
	case "null":
		o.Null, o.NullSet = defString(d), true
	case "header":
		v, err := defBool(d)
		if err != nil {
			return err
		}
		o.Header = v
	case "quote":
		o.Quote = defString(d)
	case "escape":
		o.Escape = defString(d)
	case "force_quote":
		f, err := p.forceList(d)
		o.ForceQuote = f
		return err
	case "force_not_null":
		f, err := p.forceList(d)
		o.ForceNotNull = f
		return err
	case "force_null":
		f, err := p.forceList(d)
		o.ForceNull = f
		return err
	case "freeze":
		// Accepted (pgbench -i sends FREEZE ON): rows are visible to
		// every later snapshot once committed, which is what FREEZE asks.
		_, err := defBool(d)
		return err
	case "encoding":
		if e := strings.ToUpper(strings.ReplaceAll(defString(d), "-", "")); e != "UTF8" && e != "UNICODE" && e != "SQLASCII" {
			return pgerror.Newf(pgerror.FeatureNotSupported, "COPY encoding %q is not supported (only UTF8)", defString(d))
		}
	default:
		return pgerror.Newf(pgerror.SyntaxError, "option %q not recognized", d.Defname)
	}
	return nil
}

// forceList resolves FORCE_QUOTE/FORCE_NOT_NULL/FORCE_NULL: a column list
// or * (every column), as flags per copied column. For COPY (query) TO the
// list is resolved later (forceForQuery), marked here by a nil table.
func (p *CopyPlan) forceList(d *pg_query.DefElem) ([]bool, error) {
	if d.Arg.GetAStar() != nil {
		f := make([]bool, max(len(p.cols), 1<<10))
		for i := range f {
			f[i] = true
		}
		return f, nil
	}
	if p.table == nil {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "FORCE_QUOTE with a column list is not supported for COPY (query) TO; use *")
	}
	f := make([]bool, len(p.cols))
	for _, n := range d.Arg.GetList().GetItems() {
		name := strVal(n)
		found := false
		for i, o := range p.cols {
			if p.table.Columns[o].Name == name {
				f[i], found = true, true
			}
		}
		if !found {
			return nil, pgerror.Newf(pgerror.InvalidColumnReference, "%s column %q not referenced by COPY", strings.ToUpper(d.Defname), name)
		}
	}
	return f, nil
}

func (p *CopyPlan) forceForQuery(f []bool) []bool { return f }

// defString is a DefElem's argument as text.
func defString(d *pg_query.DefElem) string {
	if d.Arg == nil {
		return ""
	}
	switch a := d.Arg.Node.(type) {
	case *pg_query.Node_String_:
		return a.String_.Sval
	case *pg_query.Node_Integer:
		return fmt.Sprint(a.Integer.Ival)
	case *pg_query.Node_Boolean:
		return fmt.Sprint(a.Boolean.Boolval)
	case *pg_query.Node_TypeName:
		return lastName(a.TypeName.Names)
	}
	return ""
}

// defBool is a boolean option (no argument means true).
func defBool(d *pg_query.DefElem) (bool, error) {
	if d.Arg == nil {
		return true, nil
	}
	switch strings.ToLower(defString(d)) {
	case "true", "on", "1", "yes":
		return true, nil
	case "false", "off", "0", "no":
		return false, nil
	case "match":
		return true, nil
	}
	return false, pgerror.Newf(pgerror.SyntaxError, "%s requires a Boolean value", d.Defname)
}
