package exec

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/lock"
	"github.com/heliosdb/nano/sql/parser"
	"github.com/heliosdb/nano/sql/pgerror"
	planner "github.com/heliosdb/nano/sql/plan"
	"github.com/heliosdb/nano/sql/result"
	"github.com/heliosdb/nano/sql/rowenc"
	"github.com/heliosdb/nano/sql/types"
)

// allocID reserves a descriptor ID in the transaction.
func (t *Txn) allocID() uint32 {
	id := catalog.DecodeUint64(t.get(catalog.BucketCatalog, catalog.KeyNextID))
	if id == 0 {
		id = 16384
	}
	id = t.eng.reserveID(id)
	t.ov.Put(catalog.BucketCatalog, catalog.KeyNextID, catalog.EncodeUint64(id+1))
	return uint32(id)
}

// allocIDFor reserves a descriptor ID or OID for an object of relation
// rel: a temporary one (temp.go) for a relation of a temporary schema.
func (t *Txn) allocIDFor(rel string) uint32 {
	if isTempName(rel) {
		return t.eng.allocTempID()
	}
	return t.allocID()
}

// bumpCatalog ensures the system buckets and bumps the catalog version.
func (t *Txn) bumpCatalog() {
	for _, bk := range [][]byte{catalog.BucketCatalog, catalog.BucketSeq} {
		if !t.bucketExists(bk) {
			t.ov.SetBucketFlags(string(bk), true, false)
		}
	}
	v := catalog.DecodeUint64(t.get(catalog.BucketCatalog, catalog.KeyVersion))
	t.ov.Put(catalog.BucketCatalog, catalog.KeyVersion, catalog.EncodeUint64(v+1))
	if !t.catLocked {
		t.catUnlocked = true // not planned under the catalog lock: keep the full check (catlock.go)
	}
	t.ddlWrote()
}

func notice(e *env, msg string) {
	if n, ok := e.vars.(result.Noticer); ok {
		n.Notice(&pgerror.Error{Code: pgerror.SuccessfulCompletion, Severity: pgerror.SeverityNotice, Message: msg})
	}
}

// tableDef collects a CREATE TABLE's definition as its elements are read.
type tableDef struct {
	tbl     *catalog.Table
	uniques [][]string // column names of each UNIQUE constraint, in order
	seqs    []*catalog.Sequence
	checks  []*pg_query.Constraint // CHECK constraints, in order
	fks     []fkDef                // FOREIGN KEY constraints, in order
}

// fkDef is a FOREIGN KEY constraint as written: cols are the referencing
// columns of a column constraint (nil for a table constraint).
type fkDef struct {
	c    *pg_query.Constraint
	cols []string
}

// addConstraints validates and names the table's CHECK and FOREIGN KEY
// constraints (after finish: a foreign key may reference the table's own
// keys).
func (b *builder) addConstraints(d *tableDef, names *constraintNames) error {
	for _, c := range d.checks {
		ck, err := b.newCheck(d.tbl, c, names)
		if err != nil {
			return err
		}
		d.tbl.Checks = append(d.tbl.Checks, ck)
	}
	for _, f := range d.fks {
		fk, _, err := b.newForeignKey(d.tbl, f.c, f.cols, names)
		if err != nil {
			return err
		}
		d.tbl.ForeignKeys = append(d.tbl.ForeignKeys, fk)
	}
	return nil
}

func (b *builder) buildCreateTable(cs *pg_query.CreateStmt) (runner, error) {
	if len(cs.InhRelations) > 0 || cs.Partspec != nil {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "table inheritance and partitioning are not supported")
	}
	name := cs.Relation.Relname
	onCommit, err := tempOnCommit(cs.Relation, name, cs.Oncommit)
	if err != nil {
		return nil, err
	}
	d := &tableDef{tbl: &catalog.Table{Name: name, PKName: relBase(name) + "_pkey", OnCommit: onCommit}}
	for _, el := range cs.TableElts {
		var err error
		switch v := el.Node.(type) {
		case *pg_query.Node_ColumnDef:
			err = b.addColumnDef(d, v.ColumnDef)
		case *pg_query.Node_Constraint:
			err = d.addTableConstraint(v.Constraint)
		default:
			err = pgerror.New(pgerror.FeatureNotSupported, "CREATE TABLE element is not supported")
		}
		if err != nil {
			return nil, err
		}
	}
	if err := d.finish(); err != nil {
		return nil, err
	}
	if err := b.addConstraints(d, newConstraintNames(b.cat, name)); err != nil {
		return nil, err
	}
	return createTableRunner(d, cs.IfNotExists), nil
}

// columnType resolves a column's declared type; serial types become their
// integer type and report the fact.
func columnType(tn *pg_query.TypeName) (typ types.T, serial bool, err error) {
	base := ""
	switch lastName(tn.Names) {
	case "serial", "serial4":
		base = "int4"
	case "bigserial", "serial8":
		base = "int8"
	case "smallserial", "serial2":
		base = "int2"
	}
	if base != "" {
		typ, err = types.ParseTypeName(base, nil)
		return typ, true, err
	}
	typ, err = planner.TypeOf(tn)
	return typ, false, err
}

// addColumnDef appends a column and its column constraints.
func (b *builder) addColumnDef(d *tableDef, cd *pg_query.ColumnDef) error {
	tbl := d.tbl
	typ, serial, err := columnType(cd.TypeName)
	if err != nil {
		return b.errAt(pgerror.Flatten(err), cd.TypeName.Location)
	}
	if tbl.ColumnIndex(cd.Colname) >= 0 {
		return pgerror.Newf(pgerror.DuplicateColumn, "column %q specified more than once", cd.Colname)
	}
	col := catalog.Column{Name: cd.Colname, Type: typ, NotNull: cd.IsNotNull}
	if serial {
		_, hi := seqBounds(typ)
		sq := &catalog.Sequence{Name: tbl.Name + "_" + cd.Colname + "_seq", Start: 1, Increment: 1, Min: 1, Max: hi,
			Type: typ, Cache: 1, OwnedBy: tbl.Name + "." + cd.Colname}
		d.seqs = append(d.seqs, sq)
		col.Default = "nextval('" + seqLiteral(b.cat, sq.Name) + "')"
		col.NotNull = true
	}
	ord := len(tbl.Columns)
	if err := planner.ApplyConstraintAttrs(cd.Constraints); err != nil {
		return err
	}
	for _, cn := range cd.Constraints {
		c := cn.GetConstraint()
		if err := planner.RefuseDeferrableKey(c); err != nil {
			return err
		}
		switch c.Contype {
		case pg_query.ConstrType_CONSTR_NOTNULL:
			col.NotNull = true
		case pg_query.ConstrType_CONSTR_NULL:
		case pg_query.ConstrType_CONSTR_DEFAULT:
			if col.Default, err = b.bindDefault(b.exprText(c.RawExpr)); err != nil {
				return err
			}
		case pg_query.ConstrType_CONSTR_PRIMARY:
			if len(tbl.PrimaryKey) > 0 {
				return pgerror.Newf(pgerror.InvalidTableDefinition, "multiple primary keys for table %q are not allowed", tbl.Name)
			}
			tbl.PrimaryKey = []int{ord}
			col.NotNull = true
		case pg_query.ConstrType_CONSTR_UNIQUE:
			d.uniques = append(d.uniques, []string{cd.Colname})
		case pg_query.ConstrType_CONSTR_IDENTITY:
			if err := identityColumn(b, d, &col, c); err != nil {
				return err
			}
		case pg_query.ConstrType_CONSTR_CHECK:
			d.checks = append(d.checks, c)
		case pg_query.ConstrType_CONSTR_FOREIGN:
			d.fks = append(d.fks, fkDef{c: c, cols: []string{cd.Colname}})
		}
	}
	tbl.Columns = append(tbl.Columns, col)
	return nil
}

// addTableConstraint handles a table constraint (PRIMARY KEY, UNIQUE).
func (d *tableDef) addTableConstraint(c *pg_query.Constraint) error {
	tbl := d.tbl
	if err := planner.RefuseDeferrableKey(c); err != nil {
		return err
	}
	var keys []string
	for _, k := range c.Keys {
		keys = append(keys, strVal(k))
	}
	switch c.Contype {
	case pg_query.ConstrType_CONSTR_PRIMARY:
		if len(tbl.PrimaryKey) > 0 {
			return pgerror.Newf(pgerror.InvalidTableDefinition, "multiple primary keys for table %q are not allowed", tbl.Name)
		}
		for _, k := range keys {
			i := tbl.ColumnIndex(k)
			if i < 0 {
				return pgerror.Newf(pgerror.UndefinedColumn, "column %q named in key does not exist", k)
			}
			tbl.PrimaryKey = append(tbl.PrimaryKey, i)
			tbl.Columns[i].NotNull = true
		}
		if c.Conname != "" {
			tbl.PKName = c.Conname
		}
	case pg_query.ConstrType_CONSTR_UNIQUE:
		d.uniques = append(d.uniques, keys)
	case pg_query.ConstrType_CONSTR_CHECK:
		d.checks = append(d.checks, c)
	case pg_query.ConstrType_CONSTR_FOREIGN:
		d.fks = append(d.fks, fkDef{c: c})
	default:
		return pgerror.Newf(pgerror.FeatureNotSupported, "%s constraints are not supported", constrName(c.Contype))
	}
	return nil
}

// finish adds the hidden rowid key of a table without a primary key and
// the unique indexes.
func (d *tableDef) finish() error {
	tbl := d.tbl
	if len(tbl.PrimaryKey) == 0 {
		tbl.Columns = append(tbl.Columns, catalog.Column{Name: "rowid", Type: types.Int8, NotNull: true, Hidden: true})
		tbl.PrimaryKey = []int{len(tbl.Columns) - 1}
	}
	for _, u := range d.uniques {
		ix := catalog.Index{Name: relBase(tbl.Name) + "_" + strings.Join(u, "_") + "_key", Unique: true, Constraint: true}
		for _, k := range u {
			i := tbl.ColumnIndex(k)
			if i < 0 {
				return pgerror.Newf(pgerror.UndefinedColumn, "column %q named in key does not exist", k)
			}
			ix.Columns = append(ix.Columns, i)
		}
		tbl.Indexes = append(tbl.Indexes, ix)
	}
	return nil
}

// createTableRunner stores the table, its buckets and sequences when the
// statement runs.
func createTableRunner(d *tableDef, ifNot bool) runner {
	name, tbl, seqs := d.tbl.Name, d.tbl, d.seqs
	return fnRunner(func(e *env) (Cursor, error) {
		t := e.txn
		cat, err := t.catalog()
		if err != nil {
			return nil, err
		}
		if cat.RelationExists(name) {
			if ifNot {
				notice(e, "relation \""+relBase(name)+"\" already exists, skipping")
				return tagCursor("CREATE TABLE", nil), nil
			}
			return nil, pgerror.Newf(pgerror.DuplicateTable, "relation %q already exists", relBase(name))
		}
		nt := tbl.Clone()
		nt.Owner = t.currentRoleOID()
		t.bumpCatalog()
		nt.OID = t.allocIDFor(name)
		nt.ID = t.allocIDFor(name)
		if !nt.HasHiddenKey() {
			nt.PKOID = t.allocIDFor(name)
		}
		t.ov.SetBucketFlags(string(catalog.TableBucket(nt.ID)), true, false)
		for i := range nt.Indexes {
			nt.Indexes[i].ID = t.allocIDFor(name)
			nt.Indexes[i].OID = t.allocIDFor(name)
			t.ov.SetBucketFlags(string(catalog.IndexBucket(nt.Indexes[i].ID)), true, false)
		}
		for i := range nt.Checks {
			nt.Checks[i].OID = t.allocIDFor(name)
		}
		for i := range nt.ForeignKeys {
			nt.ForeignKeys[i].OID = t.allocIDFor(name)
			if nt.ForeignKeys[i].RefTable == 0 {
				nt.ForeignKeys[i].RefTable = nt.OID // references itself
			}
		}
		created := map[string]uint32{}
		for _, sq := range seqs {
			s := *sq
			s.ID = t.allocIDFor(name)
			created[s.Name] = s.ID
			nt.Sequences = append(nt.Sequences, s.Name)
			t.ov.Put(catalog.BucketCatalog, catalog.SequenceKey(s.Name), catalog.EncodeSequence(&s))
		}
		for i := range nt.Columns {
			if err := bindDefaultIDs(&nt.Columns[i], cat, created); err != nil {
				return nil, err
			}
		}
		t.ov.Put(catalog.BucketCatalog, catalog.TableKey(name), catalog.EncodeTable(nt))
		return tagCursor("CREATE TABLE", nil), nil
	})
}

func constrName(c pg_query.ConstrType) string {
	switch c {
	case pg_query.ConstrType_CONSTR_CHECK:
		return "CHECK"
	case pg_query.ConstrType_CONSTR_FOREIGN:
		return "FOREIGN KEY"
	case pg_query.ConstrType_CONSTR_EXCLUSION:
		return "EXCLUDE"
	}
	return strings.TrimPrefix(c.String(), "CONSTR_")
}

// exprText recovers the SQL text of an expression by deparsing it inside
// a SELECT.
func (b *builder) exprText(n *pg_query.Node) string {
	s, err := parser.DeparseExpr(n)
	if err != nil {
		return ""
	}
	return s
}

func (b *builder) buildDrop(ds *pg_query.DropStmt) (runner, error) {
	var names []string
	for _, o := range ds.Objects {
		l := o.GetList()
		if l == nil {
			continue
		}
		names = append(names, lastName(l.Items))
	}
	kind := ds.RemoveType
	if kind != pg_query.ObjectType_OBJECT_TABLE && kind != pg_query.ObjectType_OBJECT_INDEX {
		return nil, pgerror.Newf(pgerror.FeatureNotSupported, "DROP %s is not supported", strings.TrimPrefix(kind.String(), "OBJECT_"))
	}
	missingOK := ds.MissingOk
	cascade := ds.Behavior == pg_query.DropBehavior_DROP_CASCADE
	tag := "DROP TABLE"
	if kind == pg_query.ObjectType_OBJECT_INDEX {
		tag = "DROP INDEX"
	}
	return fnRunner(func(e *env) (Cursor, error) {
		t := e.txn
		for _, n := range names {
			cat, err := t.catalog()
			if err != nil {
				return nil, err
			}
			if kind == pg_query.ObjectType_OBJECT_TABLE {
				tbl := cat.Tables[n]
				if tbl == nil {
					if cat.Views[n] != nil {
						return nil, pgerror.Newf(pgerror.WrongObjectType, "%q is not a table", n).WithHint("Use DROP VIEW to remove a view.")
					}
					if missingOK {
						notice(e, "table \""+n+"\" does not exist, skipping")
						continue
					}
					return nil, pgerror.Newf(pgerror.UndefinedTable, "table %q does not exist", n)
				}
				if err := t.checkNoPendingChecks(tbl, "DROP TABLE"); err != nil {
					return nil, err
				}
				if err := dropReferencingFKs(e, cat, tbl, names, cascade); err != nil {
					return nil, err
				}
				if err := dropDependentViews(e, cat, n, "table", cascade); err != nil {
					return nil, err
				}
				t.bumpCatalog()
				dropTableData(t, tbl)
				t.ov.Delete(catalog.BucketCatalog, catalog.TableKey(n))
				for _, sq := range tbl.Sequences {
					t.ov.Delete(catalog.BucketCatalog, catalog.SequenceKey(sq))
					t.ov.Delete(catalog.BucketSeq, []byte(sq))
				}
				continue
			}
			tbl, ix := cat.IndexByName(n)
			if tbl == nil || ix == nil {
				if missingOK {
					notice(e, "index \""+n+"\" does not exist, skipping")
					continue
				}
				return nil, pgerror.Newf(pgerror.UndefinedObject, "index %q does not exist", n)
			}
			nt := tbl.Clone()
			for i := range nt.Indexes {
				if nt.Indexes[i].Name == n {
					nt.Indexes = append(nt.Indexes[:i], nt.Indexes[i+1:]...)
					break
				}
			}
			t.bumpCatalog()
			t.ov.SetBucketFlags(string(catalog.IndexBucket(ix.ID)), false, true)
			t.ov.Put(catalog.BucketCatalog, catalog.TableKey(nt.Name), catalog.EncodeTable(nt))
		}
		return tagCursor(tag, nil), nil
	}), nil
}

// dropReferencingFKs handles the foreign keys of other tables (not being
// dropped by the same statement) that reference tbl: 2BP01, or with
// CASCADE they are dropped.
func dropReferencingFKs(e *env, cat *catalog.Catalog, tbl *catalog.Table, dropping []string, cascade bool) error {
	var refs []catalog.Reference
	for _, r := range cat.ReferencedBy(tbl) {
		if r.Child.Name != tbl.Name && !slices.Contains(dropping, r.Child.Name) {
			refs = append(refs, r)
		}
	}
	if len(refs) == 0 {
		return nil
	}
	lines := make([]string, len(refs))
	for i, r := range refs {
		lines[i] = "constraint " + r.FK.Name + " on table " + r.Child.Name + " depends on table " + tbl.Name
	}
	if !cascade {
		return pgerror.Newf(pgerror.DependentObjectsExist, "cannot drop table %s because other objects depend on it", tbl.Name).
			WithDetail("%s", strings.Join(lines, "\n")).
			WithHint("Use DROP ... CASCADE to drop the dependent objects too.")
	}
	t := e.txn
	t.bumpCatalog()
	changed := map[string]*catalog.Table{}
	for i, r := range refs {
		ct := changed[r.Child.Name]
		if ct == nil {
			ct = r.Child.Clone()
			changed[ct.Name] = ct
		}
		name := r.FK.Name
		ct.ForeignKeys = slices.DeleteFunc(ct.ForeignKeys, func(fk catalog.ForeignKey) bool { return fk.Name == name })
		lines[i] = "drop cascades to constraint " + name + " on table " + r.Child.Name
	}
	for _, ct := range changed {
		t.ov.Put(catalog.BucketCatalog, catalog.TableKey(ct.Name), catalog.EncodeTable(ct))
	}
	noticeCascade(e, lines)
	return nil
}

// noticeCascade reports what a DROP ... CASCADE dropped besides its
// objects, as PostgreSQL does: one line alone, else a count and the lines
// as the DETAIL.
func noticeCascade(e *env, lines []string) {
	if len(lines) == 1 {
		notice(e, lines[0])
	} else if n, ok := e.vars.(result.Noticer); ok && len(lines) > 1 {
		n.Notice(&pgerror.Error{Code: pgerror.SuccessfulCompletion, Severity: pgerror.SeverityNotice,
			Message: fmt.Sprintf("drop cascades to %d other objects", len(lines)), Detail: strings.Join(lines, "\n")})
	}
}

func dropTableData(t *Txn, tbl *catalog.Table) {
	t.ov.SetBucketFlags(string(catalog.TableBucket(tbl.ID)), false, true)
	for _, ix := range tbl.Indexes {
		t.ov.SetBucketFlags(string(catalog.IndexBucket(ix.ID)), false, true)
	}
}

// buildTruncate plans TRUNCATE [TABLE] [ONLY] name [, …] [RESTART
// IDENTITY | CONTINUE IDENTITY] [CASCADE | RESTRICT] as PostgreSQL 15's
// ExecuteTruncate does: RESTRICT (the default) refuses a table referenced
// by a foreign key of a table not truncated with it (0A000); CASCADE adds
// the referencing tables, transitively, with a NOTICE for each; RESTART
// IDENTITY restarts the sequences the truncated tables' columns own.
func (b *builder) buildTruncate(ts *pg_query.TruncateStmt) (runner, error) {
	var names []string
	for _, r := range ts.Relations {
		rv := r.GetRangeVar()
		tbl, err := b.lookupTable(rv)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(names, tbl.Name) {
			names = append(names, tbl.Name)
		}
	}
	cascade := ts.Behavior == pg_query.DropBehavior_DROP_CASCADE
	if cascade {
		// The tables it cascades to need the same privilege and lock.
		tbls, _ := truncateSet(b.cat, names, true)
		for _, tbl := range tbls[len(names):] {
			b.require(tbl.Name, catalog.PrivTruncate)
			b.needTableLock(tbl.Name, lock.AccessExclusive)
		}
	}
	return fnRunner(func(e *env) (Cursor, error) {
		t := e.txn
		cat, err := t.catalog()
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			if cat.Tables[n] == nil {
				return nil, pgerror.Newf(pgerror.UndefinedTable, "relation %q does not exist", n)
			}
		}
		tbls, added := truncateSet(cat, names, cascade)
		for _, tbl := range added {
			notice(e, fmt.Sprintf("truncate cascades to table %q", relBase(tbl.Name)))
			if _, err := e.lockTable(tbl, lock.AccessExclusive, lock.Wait); err != nil {
				return nil, err
			}
		}
		if !cascade {
			if err := truncateCheckFKs(cat, tbls); err != nil {
				return nil, err
			}
		}
		for _, tbl := range tbls {
			if err := t.checkNoPendingChecks(tbl, "TRUNCATE"); err != nil {
				return nil, err
			}
		}
		for _, tbl := range tbls {
			nt := tbl.Clone()
			t.bumpCatalog()
			dropTableData(t, tbl)
			nt.ID = t.allocIDFor(nt.Name)
			t.ov.SetBucketFlags(string(catalog.TableBucket(nt.ID)), true, false)
			for i := range nt.Indexes {
				nt.Indexes[i].ID = t.allocIDFor(nt.Name)
				t.ov.SetBucketFlags(string(catalog.IndexBucket(nt.Indexes[i].ID)), true, false)
			}
			t.ov.Put(catalog.BucketCatalog, catalog.TableKey(nt.Name), catalog.EncodeTable(nt))
			t.eng.resetRowID(tbl.ID)
			if ts.RestartSeqs {
				restartIdentity(e, cat, tbl)
			}
		}
		return tagCursor("TRUNCATE TABLE", nil), nil
	}), nil
}

// truncateSet is the tables a TRUNCATE of names empties: names, then with
// cascade the tables referencing them, transitively, each round in OID
// order (PostgreSQL's heap_truncate_find_FKs); added are the latter.
func truncateSet(cat *catalog.Catalog, names []string, cascade bool) (tbls, added []*catalog.Table) {
	in := map[uint32]bool{}
	for _, n := range names {
		if tbl := cat.Tables[n]; tbl != nil {
			tbls = append(tbls, tbl)
			in[tbl.OID] = true
		}
	}
	if !cascade {
		return tbls, nil
	}
	for from := tbls; len(from) > 0; {
		var round []*catalog.Table
		for _, tbl := range referencingTables(cat, from) {
			if !in[tbl.OID] {
				in[tbl.OID] = true
				round = append(round, tbl)
			}
		}
		tbls = append(tbls, round...)
		added = append(added, round...)
		from = round
	}
	return tbls, added
}

// referencingTables lists the tables with a foreign key referencing one of
// tbls, by OID, once each.
func referencingTables(cat *catalog.Catalog, tbls []*catalog.Table) []*catalog.Table {
	seen := map[uint32]bool{}
	var out []*catalog.Table
	for _, tbl := range tbls {
		for _, r := range cat.ReferencedBy(tbl) {
			if !seen[r.Child.OID] {
				seen[r.Child.OID] = true
				out = append(out, r.Child)
			}
		}
	}
	slices.SortFunc(out, func(a, b *catalog.Table) int { return cmp.Compare(a.OID, b.OID) })
	return out
}

// truncateCheckFKs is PostgreSQL's heap_truncate_check_FKs: the first
// truncated table (in statement order) referenced by a table that is not
// truncated with it fails the TRUNCATE.
func truncateCheckFKs(cat *catalog.Catalog, tbls []*catalog.Table) error {
	in := map[uint32]bool{}
	for _, tbl := range tbls {
		in[tbl.OID] = true
	}
	for _, tbl := range tbls {
		for _, child := range referencingTables(cat, []*catalog.Table{tbl}) {
			if !in[child.OID] {
				c, p := relBase(child.Name), relBase(tbl.Name)
				return pgerror.New(pgerror.FeatureNotSupported, "cannot truncate a table referenced in a foreign key constraint").
					WithDetail("Table %q references %q.", c, p).
					WithHint("Truncate table %q at the same time, or use TRUNCATE ... CASCADE.", c)
			}
		}
	}
	return nil
}

func (b *builder) buildCreateIndex(is *pg_query.IndexStmt) (runner, error) {
	tbl, err := b.lookupTable(is.Relation)
	if err != nil {
		return nil, err
	}
	ix := catalog.Index{Name: is.Idxname, Unique: is.Unique}
	var names []string
	for _, p := range is.IndexParams {
		el := p.GetIndexElem()
		if el.Expr != nil || el.Name == "" {
			return nil, pgerror.New(pgerror.FeatureNotSupported, "expression indexes are not supported")
		}
		i := tbl.ColumnIndex(el.Name)
		if i < 0 {
			return nil, pgerror.Newf(pgerror.UndefinedColumn, "column %q does not exist", el.Name)
		}
		ix.Columns = append(ix.Columns, i)
		names = append(names, el.Name)
	}
	if ix.Name == "" {
		ix.Name = relBase(tbl.Name) + "_" + strings.Join(names, "_") + "_idx"
	}
	ifNot := is.IfNotExists
	tname := tbl.Name
	return fnRunner(func(e *env) (Cursor, error) {
		t := e.txn
		cat, err := t.catalog()
		if err != nil {
			return nil, err
		}
		if cat.RelationExists(ix.Name) {
			if ifNot {
				notice(e, "relation \""+ix.Name+"\" already exists, skipping")
				return tagCursor("CREATE INDEX", nil), nil
			}
			return nil, pgerror.Newf(pgerror.DuplicateTable, "relation %q already exists", ix.Name)
		}
		tbl := cat.Tables[tname]
		if tbl == nil {
			return nil, pgerror.Newf(pgerror.UndefinedTable, "relation %q does not exist", tname)
		}
		nt := tbl.Clone()
		t.bumpCatalog()
		nix := ix
		nix.ID = t.allocIDFor(nt.Name)
		nix.OID = t.allocIDFor(nt.Name)
		t.ov.SetBucketFlags(string(catalog.IndexBucket(nix.ID)), true, false)
		nt.Indexes = append(nt.Indexes, nix)
		t.ov.Put(catalog.BucketCatalog, catalog.TableKey(nt.Name), catalog.EncodeTable(nt))
		// Backfill.
		typs := nt.Types()
		var rows [][]Datum
		var keys [][]byte
		t.scan(catalog.TableBucket(nt.ID), func(k, v []byte) {
			if row, err := rowenc.DecodeRow(v, typs); err == nil {
				rows = append(rows, row)
				keys = append(keys, append([]byte(nil), k...))
			}
		})
		for i, row := range rows {
			if err := backfillIndexEntry(t, nt, &nt.Indexes[len(nt.Indexes)-1], row, keys[i]); err != nil {
				return nil, err
			}
		}
		return tagCursor("CREATE INDEX", nil), nil
	}), nil
}
