package exec

import (
	"slices"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/parser"
	"github.com/heliosdb/nano/sql/pgerror"
	planner "github.com/heliosdb/nano/sql/plan"
	"github.com/heliosdb/nano/sql/rowenc"
	"github.com/heliosdb/nano/sql/types"
)

// ALTER TABLE. Every sub-command edits a copy of the table's descriptor;
// the statement then either only stores the new descriptor (RENAME, SET/
// DROP DEFAULT, DROP NOT NULL, DROP CONSTRAINT of a unique index, and SET
// NOT NULL after a validating scan) or rewrites the table: ADD/DROP
// COLUMN, ALTER COLUMN TYPE and ADD/DROP PRIMARY KEY or UNIQUE copy every
// row, converted, into fresh table and index buckets and drop the old
// ones. Either way the change is one transaction's write set, so it is one
// WAL record: replicated like any commit and atomic across a crash (a
// kill -9 before the commit is durable leaves the old table whole). Readers
// keep their snapshots of the old buckets; a concurrent writer of the old
// table conflicts at commit (40001), as with TRUNCATE.

// alteration is one ALTER TABLE statement's work on a table.
type alteration struct {
	b       *builder
	e       *env
	old, nt *catalog.Table
	src     []int // per column of nt: its ordinal in old rows, -1 when new
	conv    map[int]*cexpr
	rewrite bool
	notNull []int // columns to check for NULLs (SET NOT NULL without a rewrite)
	dropIdx []uint32
	newSeqs []*catalog.Sequence
	dropSeq []string
	// names chooses constraint names; newChecks and newFKs name the
	// constraints whose existing rows are validated after the store;
	// others are descriptors of other tables changed too (foreign keys
	// dropped by CASCADE or following a renamed column).
	names     *constraintNames
	cascade   bool
	newChecks []string
	newFKs    []string
	others    map[string]*catalog.Table
}

func (b *builder) buildAlterTable(as *pg_query.AlterTableStmt) (runner, error) {
	if as.Objtype != pg_query.ObjectType_OBJECT_TABLE {
		return nil, pgerror.Newf(pgerror.FeatureNotSupported, "ALTER %s is not supported", strings.TrimPrefix(as.Objtype.String(), "OBJECT_"))
	}
	name, missingOK := as.Relation.Relname, as.MissingOk
	var cmds []*pg_query.AlterTableCmd
	for _, c := range as.Cmds {
		cmds = append(cmds, c.GetAlterTableCmd())
	}
	return fnRunner(func(e *env) (Cursor, error) {
		tbl, err := alterTarget(e, b, name, missingOK)
		if tbl == nil || err != nil {
			return tagCursor("ALTER TABLE", nil), err
		}
		if err := e.txn.checkNoPendingChecks(tbl, "ALTER TABLE"); err != nil {
			return nil, err
		}
		a := &alteration{b: b, e: e, old: tbl, nt: tbl.Clone(), conv: map[int]*cexpr{}}
		for i := range tbl.Columns {
			a.src = append(a.src, i)
		}
		for _, c := range cmds {
			if err := a.apply(c); err != nil {
				return nil, err
			}
		}
		return tagCursor("ALTER TABLE", nil), a.store()
	}), nil
}

// alterTarget finds the table an ALTER names (nil with a notice under IF
// EXISTS).
func alterTarget(e *env, b *builder, name string, missingOK bool) (*catalog.Table, error) {
	cat, err := e.txn.catalog()
	if err != nil {
		return nil, err
	}
	tbl := cat.Tables[name]
	if tbl != nil {
		return tbl, nil
	}
	if cat.Views[name] != nil {
		return nil, pgerror.Newf(pgerror.WrongObjectType, "%q is not a table", relBase(name))
	}
	if missingOK {
		notice(e, "relation \""+relBase(name)+"\" does not exist, skipping")
		return nil, nil
	}
	return nil, pgerror.Newf(pgerror.UndefinedTable, "relation %q does not exist", name)
}

func (a *alteration) column(name string) (int, error) {
	i := a.nt.ColumnIndex(name)
	if i < 0 || a.nt.Columns[i].Hidden {
		return -1, pgerror.Newf(pgerror.UndefinedColumn, "column %q of relation %q does not exist", name, a.nt.Name)
	}
	return i, nil
}

// apply edits the descriptor for one sub-command.
func (a *alteration) apply(c *pg_query.AlterTableCmd) error {
	nt := a.nt
	switch c.Subtype {
	case pg_query.AlterTableType_AT_AddColumn:
		return a.addColumn(c.Def.GetColumnDef(), c.MissingOk)
	case pg_query.AlterTableType_AT_DropColumn:
		a.cascade = c.Behavior == pg_query.DropBehavior_DROP_CASCADE
		i := nt.ColumnIndex(c.Name)
		if i < 0 || nt.Columns[i].Hidden {
			if c.MissingOk {
				notice(a.e, "column \""+c.Name+"\" of relation \""+nt.Name+"\" does not exist, skipping")
				return nil
			}
			return pgerror.Newf(pgerror.UndefinedColumn, "column %q of relation %q does not exist", c.Name, nt.Name)
		}
		return a.dropColumn(i)
	case pg_query.AlterTableType_AT_ColumnDefault:
		i, err := a.column(c.Name)
		if err != nil {
			return err
		}
		nt.Columns[i].Default, nt.Columns[i].DefaultSeqs = "", nil
		if c.Def != nil {
			def, err := a.b.bindDefault(a.b.exprText(c.Def))
			if err != nil {
				return err
			}
			nt.Columns[i].Default = def
		}
		return nil
	case pg_query.AlterTableType_AT_DropNotNull:
		i, err := a.column(c.Name)
		if err != nil {
			return err
		}
		if slices.Contains(nt.PrimaryKey, i) {
			return pgerror.Newf(pgerror.InvalidTableDefinition, "column %q is in a primary key", c.Name)
		}
		nt.Columns[i].NotNull = false
		return nil
	case pg_query.AlterTableType_AT_SetNotNull:
		i, err := a.column(c.Name)
		if err != nil {
			return err
		}
		if !nt.Columns[i].NotNull {
			nt.Columns[i].NotNull = true
			a.notNull = append(a.notNull, i)
		}
		return nil
	case pg_query.AlterTableType_AT_AddConstraint:
		return a.addConstraint(c.Def.GetConstraint())
	case pg_query.AlterTableType_AT_DropConstraint:
		a.cascade = c.Behavior == pg_query.DropBehavior_DROP_CASCADE
		return a.dropConstraint(c.Name, c.MissingOk)
	case pg_query.AlterTableType_AT_ValidateConstraint:
		return a.validateConstraint(c.Name)
	case pg_query.AlterTableType_AT_AlterColumnType:
		return a.alterType(c.Name, c.Def.GetColumnDef())
	}
	return pgerror.Newf(pgerror.FeatureNotSupported, "ALTER TABLE %s is not supported", alterName(c.Subtype))
}

func alterName(t pg_query.AlterTableType) string {
	return strings.ReplaceAll(strings.TrimPrefix(t.String(), "AT_"), "_", " ")
}

// addColumn appends a column (with its default, NOT NULL, PRIMARY KEY or
// UNIQUE); existing rows get the default, evaluated per row.
func (a *alteration) addColumn(cd *pg_query.ColumnDef, ifNot bool) error {
	nt := a.nt
	if i := nt.ColumnIndex(cd.Colname); i >= 0 && !nt.Columns[i].Hidden {
		if ifNot {
			notice(a.e, "column \""+cd.Colname+"\" of relation \""+nt.Name+"\" already exists, skipping")
			return nil
		}
		return pgerror.Newf(pgerror.DuplicateColumn, "column %q of relation %q already exists", cd.Colname, nt.Name)
	}
	scratch := &tableDef{tbl: &catalog.Table{Name: nt.Name}}
	if !nt.HasHiddenKey() {
		scratch.tbl.PrimaryKey = []int{-1} // a second PRIMARY KEY is refused
	}
	for _, c := range nt.Columns {
		if !c.Hidden {
			scratch.tbl.Columns = append(scratch.tbl.Columns, c)
		}
	}
	if err := a.b.addColumnDef(scratch, cd); err != nil {
		return err
	}
	col := scratch.tbl.Columns[len(scratch.tbl.Columns)-1]
	if a.b.cat.RelationExists(seqNameOf(col.Default)) && len(scratch.seqs) > 0 {
		return pgerror.Newf(pgerror.DuplicateTable, "relation %q already exists", scratch.seqs[0].Name)
	}
	a.newSeqs = append(a.newSeqs, scratch.seqs...)
	ord := len(nt.Columns)
	nt.Columns = append(nt.Columns, col)
	a.src = append(a.src, -1)
	a.rewrite = true
	if len(scratch.tbl.PrimaryKey) == 1 && scratch.tbl.PrimaryKey[0] >= 0 {
		if err := a.setPrimaryKey([]int{ord}, ""); err != nil {
			return err
		}
	}
	for _, u := range scratch.uniques {
		a.addUnique(u, "")
	}
	for _, c := range scratch.checks {
		if err := a.addCheck(c); err != nil {
			return err
		}
	}
	for _, f := range scratch.fks {
		if err := a.addForeignKey(f.c, f.cols); err != nil {
			return err
		}
	}
	return nil
}

// seqNameOf extracts the catalog name of the sequence of a "nextval('s')"
// default.
func seqNameOf(def string) string {
	const p = "nextval('"
	if !strings.HasPrefix(def, p) {
		return ""
	}
	s := strings.TrimPrefix(def, p)
	if i := strings.IndexByte(s, '\''); i >= 0 && s[i:] == "')" {
		return litCatalogName(s[:i])
	}
	return ""
}

// dropColumn removes column i with the indexes and primary key that use
// it (a table left without a key gets a hidden rowid) and the sequence it
// owns.
func (a *alteration) dropColumn(i int) error {
	nt := a.nt
	if deps := viewDependents(a.b.cat, nt.Name, "table"); len(deps) > 0 {
		return pgerror.Newf(pgerror.DependentObjectsExist, "cannot drop column %s of table %s because other objects depend on it", nt.Columns[i].Name, nt.Name).
			WithDetail("view %s depends on column %s of table %s", deps[0].view.Name, nt.Columns[i].Name, nt.Name).
			WithHint("Use DROP ... CASCADE to drop the dependent objects too.")
	}
	if s := seqNameOf(nt.Columns[i].Default); s != "" && slices.Contains(nt.Sequences, s) {
		nt.Sequences = slices.DeleteFunc(nt.Sequences, func(x string) bool { return x == s })
		a.dropSeq = append(a.dropSeq, s)
	}
	if err := a.dropReferenced(func(cols []int) bool { return slices.Contains(cols, i) },
		"column "+nt.Columns[i].Name+" of table "+nt.Name); err != nil {
		return err
	}
	nt.Checks = slices.DeleteFunc(nt.Checks, func(ck catalog.Check) bool { return slices.Contains(ck.Columns, i) })
	colName := nt.Columns[i].Name
	nt.ForeignKeys = slices.DeleteFunc(nt.ForeignKeys, func(fk catalog.ForeignKey) bool {
		return slices.Contains(fk.Columns, i) || fk.RefTable == nt.OID && slices.Contains(fk.RefColumns, colName)
	})
	if slices.Contains(nt.PrimaryKey, i) {
		nt.PrimaryKey = nil
	}
	nt.Indexes = slices.DeleteFunc(nt.Indexes, func(ix catalog.Index) bool { return slices.Contains(ix.Columns, i) })
	a.removeOrdinal(i)
	if len(nt.PrimaryKey) == 0 {
		a.addHiddenKey()
	}
	a.rewrite = true
	return nil
}

// removeOrdinal deletes column i and renumbers the key and index columns.
func (a *alteration) removeOrdinal(i int) {
	nt := a.nt
	nt.Columns = slices.Delete(nt.Columns, i, i+1)
	a.src = slices.Delete(a.src, i, i+1)
	conv := map[int]*cexpr{}
	for k, v := range a.conv {
		switch {
		case k < i:
			conv[k] = v
		case k > i:
			conv[k-1] = v
		}
	}
	a.conv = conv
	shift := func(cols []int) {
		for j, c := range cols {
			if c > i {
				cols[j] = c - 1
			}
		}
	}
	shift(nt.PrimaryKey)
	for j := range nt.Indexes {
		shift(nt.Indexes[j].Columns)
	}
	for j := range nt.Checks {
		shift(nt.Checks[j].Columns)
	}
	for j := range nt.ForeignKeys {
		shift(nt.ForeignKeys[j].Columns)
	}
	a.notNull = slices.DeleteFunc(a.notNull, func(c int) bool { return c == i })
	shift(a.notNull)
}

func (a *alteration) addHiddenKey() {
	nt := a.nt
	nt.Columns = append(nt.Columns, catalog.Column{Name: "rowid", Type: types.Int8, NotNull: true, Hidden: true})
	a.src = append(a.src, -1)
	nt.PrimaryKey = []int{len(nt.Columns) - 1}
	nt.PKName = relBase(nt.Name) + "_pkey"
}

func (a *alteration) keyColumns(keys []*pg_query.Node) ([]int, error) {
	var out []int
	for _, k := range keys {
		name := strVal(k)
		i := a.nt.ColumnIndex(name)
		if i < 0 || a.nt.Columns[i].Hidden {
			return nil, pgerror.Newf(pgerror.UndefinedColumn, "column %q named in key does not exist", name)
		}
		out = append(out, i)
	}
	return out, nil
}

func (a *alteration) addConstraint(c *pg_query.Constraint) error {
	if err := planner.RefuseDeferrableKey(c); err != nil {
		return err
	}
	switch c.Contype {
	case pg_query.ConstrType_CONSTR_PRIMARY, pg_query.ConstrType_CONSTR_UNIQUE:
	case pg_query.ConstrType_CONSTR_CHECK:
		return a.addCheck(c)
	case pg_query.ConstrType_CONSTR_FOREIGN:
		return a.addForeignKey(c, nil)
	default:
		return pgerror.Newf(pgerror.FeatureNotSupported, "%s constraints are not supported", constrName(c.Contype))
	}
	if c.Indexname != "" {
		return pgerror.New(pgerror.FeatureNotSupported, "ADD CONSTRAINT ... USING INDEX is not supported")
	}
	cols, err := a.keyColumns(c.Keys)
	if err != nil {
		return err
	}
	if c.Conname != "" && a.b.cat.RelationExists(c.Conname) {
		return pgerror.Newf(pgerror.DuplicateTable, "relation %q already exists", c.Conname)
	}
	if c.Contype == pg_query.ConstrType_CONSTR_PRIMARY {
		return a.setPrimaryKey(cols, c.Conname)
	}
	var names []string
	for _, o := range cols {
		names = append(names, a.nt.Columns[o].Name)
	}
	a.addUnique(names, c.Conname)
	return nil
}

// setPrimaryKey makes cols the key (the hidden rowid goes away).
func (a *alteration) setPrimaryKey(cols []int, name string) error {
	nt := a.nt
	if !nt.HasHiddenKey() {
		return pgerror.Newf(pgerror.InvalidTableDefinition, "multiple primary keys for table %q are not allowed", nt.Name)
	}
	hidden := nt.PrimaryKey[0]
	nt.PrimaryKey = append([]int(nil), cols...)
	for _, o := range cols {
		nt.Columns[o].NotNull = true
	}
	a.removeOrdinal(hidden)
	if name == "" {
		name = relBase(nt.Name) + "_pkey"
	}
	nt.PKName = name
	nt.PKOID = 0 // a new key index: rebuild gives it its OID
	a.rewrite = true
	return nil
}

func (a *alteration) addUnique(names []string, name string) {
	nt := a.nt
	if name == "" {
		name = nt.Name + "_" + strings.Join(names, "_") + "_key"
	}
	ix := catalog.Index{Name: name, Unique: true, Constraint: true}
	for _, n := range names {
		ix.Columns = append(ix.Columns, nt.ColumnIndex(n))
	}
	nt.Indexes = append(nt.Indexes, ix)
	a.rewrite = true
}

func (a *alteration) dropConstraint(name string, missingOK bool) error {
	nt := a.nt
	for i, ck := range nt.Checks {
		if ck.Name == name {
			nt.Checks = slices.Delete(nt.Checks, i, i+1)
			return nil
		}
	}
	for i, fk := range nt.ForeignKeys {
		if fk.Name == name {
			nt.ForeignKeys = slices.Delete(nt.ForeignKeys, i, i+1)
			return nil
		}
	}
	var keyCols []int
	if name == nt.PKName && !nt.HasHiddenKey() {
		keyCols = nt.PrimaryKey
	}
	for _, ix := range nt.Indexes {
		if ix.Name == name && ix.Unique {
			keyCols = ix.Columns
		}
	}
	if keyCols != nil {
		kc := keyCols
		if err := a.dropReferenced(func(cols []int) bool { return hasSameCols(cols, kc) },
			"constraint "+name+" on table "+nt.Name); err != nil {
			return err
		}
	}
	if name == nt.PKName && !nt.HasHiddenKey() {
		nt.PrimaryKey = nil
		a.addHiddenKey()
		a.rewrite = true
		return nil
	}
	for i, ix := range nt.Indexes {
		if ix.Name == name && ix.Unique {
			a.dropIdx = append(a.dropIdx, ix.ID)
			nt.Indexes = slices.Delete(nt.Indexes, i, i+1)
			return nil
		}
	}
	if missingOK {
		notice(a.e, "constraint \""+name+"\" of relation \""+nt.Name+"\" does not exist, skipping")
		return nil
	}
	return pgerror.Newf(pgerror.UndefinedObject, "constraint %q of relation %q does not exist", name, nt.Name)
}

// alterType changes a column's type, converting existing values by the
// USING expression (over the old row) or by an assignment cast.
func (a *alteration) alterType(name string, cd *pg_query.ColumnDef) error {
	i, err := a.column(name)
	if err != nil {
		return err
	}
	nt := a.nt
	typ, serial, err := columnType(cd.TypeName)
	if err != nil || serial {
		if err == nil {
			err = pgerror.Newf(pgerror.UndefinedObject, "type %q does not exist", lastName(cd.TypeName.Names))
		}
		return a.b.errAt(pgerror.Flatten(err), cd.TypeName.Location)
	}
	if deps := viewDependents(a.b.cat, nt.Name, "table"); len(deps) > 0 {
		return pgerror.Newf(pgerror.FeatureNotSupported, "cannot alter type of a column used by a view or rule").
			WithDetail("rule _RETURN on view %s depends on column %q", deps[0].view.Name, name)
	}
	if a.src[i] < 0 {
		return pgerror.New(pgerror.FeatureNotSupported, "ALTER COLUMN TYPE of a column added in the same statement is not supported")
	}
	from := a.old.Columns[a.src[i]].Type
	var x *cexpr
	if cd.RawDefault != nil {
		s := &scope{cols: tableCols(a.old, a.old.Name), excluded: -1}
		if x, err = a.b.compile(s, cd.RawDefault, typ); err != nil {
			return err
		}
	} else {
		if !assignable(from, typ) {
			return pgerror.Newf(pgerror.DatatypeMismatch, "column %q cannot be cast automatically to type %s", name, typ).
				WithHint("You might need to specify \"USING %s::%s\".", name, typ)
		}
		col := a.src[i]
		x = &cexpr{t: from, colIdx: -1, fn: func(_ *env, row []Datum) (Datum, error) { return row[col], nil }}
	}
	a.conv[i] = x
	nt.Columns[i].Type = typ
	a.rewrite = true
	return nil
}

// store writes the new descriptor, rewriting or validating rows as
// needed.
func (a *alteration) store() error {
	t := a.e.txn
	cat, err := t.catalog() // before the writes below: t caches it
	if err != nil {
		return err
	}
	t.bumpCatalog()
	created := map[string]uint32{}
	for _, s := range a.newSeqs {
		sq := *s
		sq.ID = t.allocIDFor(a.nt.Name)
		s.ID = sq.ID // the rewrite's defaults (catalogWith) use it
		created[sq.Name] = sq.ID
		a.nt.Sequences = append(a.nt.Sequences, sq.Name)
		t.ov.Put(catalog.BucketCatalog, catalog.SequenceKey(sq.Name), catalog.EncodeSequence(&sq))
	}
	for i := range a.nt.Columns {
		if err := bindDefaultIDs(&a.nt.Columns[i], cat, created); err != nil {
			return err
		}
	}
	for _, s := range a.dropSeq {
		t.ov.Delete(catalog.BucketCatalog, catalog.SequenceKey(s))
		t.ov.Delete(catalog.BucketSeq, []byte(s))
	}
	if a.rewrite {
		if err := t.bulk(a.rebuild); err != nil {
			return err
		}
	} else {
		for _, id := range a.dropIdx {
			t.ov.SetBucketFlags(string(catalog.IndexBucket(id)), false, true)
		}
		if err := a.validateNotNull(); err != nil {
			return err
		}
	}
	t.ov.Put(catalog.BucketCatalog, catalog.TableKey(a.nt.Name), catalog.EncodeTable(a.nt))
	for _, o := range a.others {
		t.ov.Put(catalog.BucketCatalog, catalog.TableKey(o.Name), catalog.EncodeTable(o))
	}
	return a.validateNew()
}

func (a *alteration) validateNotNull() error {
	if len(a.notNull) == 0 {
		return nil
	}
	t, typs := a.e.txn, a.old.Types()
	it := t.iterate(catalog.TableBucket(a.old.ID), nil, nil, false)
	for k, v := it.Next(); k != nil; k, v = it.Next() {
		if err := a.e.checkCancel(); err != nil {
			return err
		}
		row, err := rowenc.DecodeRow(v, typs)
		if err != nil {
			return err
		}
		for _, i := range a.notNull {
			if row[a.src[i]] == nil {
				return containsNulls(a.nt, i)
			}
		}
	}
	return nil
}

func containsNulls(tbl *catalog.Table, i int) error {
	e := pgerror.Newf(pgerror.NotNullViolation, "column %q of relation %q contains null values", tbl.Columns[i].Name, relBase(tbl.Name))
	e.ColumnName = tbl.Columns[i].Name
	setRelation(e, tbl.Name)
	return e
}

// rebuild copies every row into fresh buckets under the new descriptor.
func (a *alteration) rebuild() error {
	t, old, nt, en := a.e.txn, a.old, a.nt, a.e
	nt.ID = t.allocIDFor(nt.Name)
	t.ov.SetBucketFlags(string(catalog.TableBucket(nt.ID)), true, false)
	for i := range nt.Indexes {
		nt.Indexes[i].ID = t.allocIDFor(nt.Name)
		if nt.Indexes[i].OID == 0 {
			nt.Indexes[i].OID = t.allocIDFor(nt.Name) // a new index (pg_class OID)
		}
		t.ov.SetBucketFlags(string(catalog.IndexBucket(nt.Indexes[i].ID)), true, false)
	}
	switch {
	case nt.HasHiddenKey():
		nt.PKOID = 0
	case nt.PKOID == 0:
		nt.PKOID = t.allocIDFor(nt.Name)
	}
	b := *a.b
	b.cat = a.catalogWith()
	defs, err := b.defaults(nt)
	if err != nil {
		return err
	}
	typs := old.Types()
	it := t.iterate(catalog.TableBucket(old.ID), nil, nil, false)
	pw := newPrivateWriter(nt)
	for k, v := it.Next(); k != nil; k, v = it.Next() {
		if err := en.checkCancel(); err != nil {
			return err
		}
		row, err := rowenc.DecodeRow(v, typs)
		if err != nil {
			return err
		}
		nr := make([]Datum, len(nt.Columns))
		for i, s := range a.src {
			switch x := a.conv[i]; {
			case x != nil:
				if nr[i], err = x.fn(en, row); err == nil {
					nr[i], err = assign(nr[i], x.t, &nt.Columns[i])
				}
			case s < 0:
				nr[i], err = defs[i].fn(en, nil)
			default:
				nr[i] = row[s]
			}
			if err != nil {
				return err
			}
		}
		if err := pw.write(en, nr); err != nil {
			return a.rebuildError(err, nr)
		}
		if err := t.maybeStage(en.ctx); err != nil {
			return err
		}
	}
	dropTableData(t, old)
	return nil
}

// catalogWith is the builder's catalog plus the sequences this statement
// creates (their defaults are compiled before they are stored).
func (a *alteration) catalogWith() *catalog.Catalog {
	if len(a.newSeqs) == 0 {
		return a.b.cat
	}
	c := *a.b.cat
	c.Sequences = map[string]*catalog.Sequence{}
	for k, v := range a.b.cat.Sequences {
		c.Sequences[k] = v
	}
	for _, s := range a.newSeqs {
		c.Sequences[s.Name] = s
	}
	return &c
}

// rebuildError words a row's failure as PostgreSQL words the failure of
// the constraint being added.
func (a *alteration) rebuildError(err error, row []Datum) error {
	pe := pgerror.As(err)
	if pe == nil {
		return err
	}
	switch pe.Code {
	case pgerror.NotNullViolation:
		return containsNulls(a.nt, a.nt.ColumnIndex(pe.ColumnName))
	case pgerror.CheckViolation:
		e := pgerror.Newf(pgerror.CheckViolation, "check constraint %q of relation %q is violated by some row", pe.ConstraintName, relBase(a.nt.Name))
		e.ConstraintName = pe.ConstraintName
		setRelation(e, a.nt.Name)
		return e
	case pgerror.UniqueViolation:
		e := pgerror.Newf(pgerror.UniqueViolation, "could not create unique index %q", pe.ConstraintName).
			WithDetail("%s", strings.Replace(pe.Detail, "already exists.", "is duplicated.", 1))
		e.ConstraintName = pe.ConstraintName
		setRelation(e, a.nt.Name)
		return e
	}
	return err
}

// buildRename runs ALTER TABLE ... RENAME [COLUMN|CONSTRAINT], ALTER
// INDEX, VIEW and SEQUENCE ... RENAME: catalog-only changes.
func (b *builder) buildRename(rs *pg_query.RenameStmt) (runner, error) {
	switch rs.RenameType {
	case pg_query.ObjectType_OBJECT_COLUMN, pg_query.ObjectType_OBJECT_TABCONSTRAINT:
	case pg_query.ObjectType_OBJECT_TABLE, pg_query.ObjectType_OBJECT_VIEW, pg_query.ObjectType_OBJECT_SEQUENCE:
		return b.renameRelation(rs), nil
	case pg_query.ObjectType_OBJECT_INDEX:
		return b.renameIndex(rs), nil
	default:
		return nil, pgerror.Newf(pgerror.FeatureNotSupported, "ALTER %s ... RENAME is not supported", strings.TrimPrefix(rs.RenameType.String(), "OBJECT_"))
	}
	name, kind := rs.Relation.Relname, rs.RenameType
	return fnRunner(func(e *env) (Cursor, error) {
		tbl, err := alterTarget(e, b, name, rs.MissingOk)
		if tbl == nil || err != nil {
			return tagCursor("ALTER TABLE", nil), err
		}
		cat, _ := e.txn.catalog()
		nt := tbl.Clone()
		switch kind {
		case pg_query.ObjectType_OBJECT_COLUMN:
			i := nt.ColumnIndex(rs.Subname)
			if i < 0 || nt.Columns[i].Hidden {
				return nil, pgerror.Newf(pgerror.UndefinedColumn, "column %q does not exist", rs.Subname)
			}
			if j := nt.ColumnIndex(rs.Newname); j >= 0 && !nt.Columns[j].Hidden {
				return nil, pgerror.Newf(pgerror.DuplicateColumn, "column %q of relation %q already exists", rs.Newname, name)
			}
			if deps := viewDependents(cat, name, "table"); len(deps) > 0 {
				return nil, pgerror.Newf(pgerror.FeatureNotSupported, "cannot rename a column of table %q: view %q depends on it", name, deps[0].view.Name)
			}
			nt.Columns[i].Name = rs.Newname
			if err := renameColumnInConstraints(e, cat, nt, rs.Subname, rs.Newname); err != nil {
				return nil, err
			}
		case pg_query.ObjectType_OBJECT_TABCONSTRAINT:
			if err := renameConstraint(cat, nt, rs.Subname, rs.Newname); err != nil {
				return nil, err
			}
		}
		e.txn.bumpCatalog()
		e.txn.ov.Put(catalog.BucketCatalog, catalog.TableKey(nt.Name), catalog.EncodeTable(nt))
		return tagCursor("ALTER TABLE", nil), nil
	}), nil
}

// renameColumnInConstraints follows a column rename in nt's CHECK
// expressions and in the foreign keys referencing it (other tables'
// descriptors are stored here).
func renameColumnInConstraints(e *env, cat *catalog.Catalog, nt *catalog.Table, from, to string) error {
	for i := range nt.Checks {
		x, err := renameColumnRefs(nt.Checks[i].Expr, from, to)
		if err != nil {
			return err
		}
		nt.Checks[i].Expr = x
	}
	follow := func(t *catalog.Table) bool {
		changed := false
		for i := range t.ForeignKeys {
			if t.ForeignKeys[i].RefTable != nt.OID {
				continue
			}
			for j, c := range t.ForeignKeys[i].RefColumns {
				if c == from {
					t.ForeignKeys[i].RefColumns[j] = to
					changed = true
				}
			}
		}
		return changed
	}
	follow(nt)
	for _, r := range cat.ReferencedBy(nt) {
		if r.Child.Name == nt.Name {
			continue
		}
		ct := r.Child.Clone()
		if follow(ct) {
			e.txn.ov.Put(catalog.BucketCatalog, catalog.TableKey(ct.Name), catalog.EncodeTable(ct))
		}
	}
	return nil
}

// renameColumnRefs renames column from to to in an expression's text.
func renameColumnRefs(expr, from, to string) (string, error) {
	st, err := parser.ParseOne("SELECT " + expr)
	if err != nil {
		return "", err
	}
	n := st.Node.GetSelectStmt().TargetList[0].GetResTarget().Val
	parser.Walk(n, func(m proto.Message) bool {
		if cr, ok := m.(*pg_query.ColumnRef); ok {
			if l := len(cr.Fields); l > 0 {
				if s := cr.Fields[l-1].GetString_(); s != nil && s.Sval == from {
					s.Sval = to
				}
			}
			return false
		}
		return true
	})
	return parser.DeparseExpr(n)
}

func renameConstraint(cat *catalog.Catalog, nt *catalog.Table, from, to string) error {
	for i := range nt.Checks {
		if nt.Checks[i].Name == from {
			if nt.ConstraintNameTaken(to) {
				return duplicateConstraint(to, nt.Name)
			}
			nt.Checks[i].Name = to
			return nil
		}
	}
	for i := range nt.ForeignKeys {
		if nt.ForeignKeys[i].Name == from {
			if nt.ConstraintNameTaken(to) {
				return duplicateConstraint(to, nt.Name)
			}
			nt.ForeignKeys[i].Name = to
			return nil
		}
	}
	if cat.RelationExists(to) {
		return pgerror.Newf(pgerror.DuplicateTable, "relation %q already exists", to)
	}
	if from == nt.PKName && !nt.HasHiddenKey() {
		nt.PKName = to
		return nil
	}
	for i := range nt.Indexes {
		if nt.Indexes[i].Name == from {
			nt.Indexes[i].Name = to
			return nil
		}
	}
	return pgerror.Newf(pgerror.UndefinedObject, "constraint %q for table %q does not exist", from, nt.Name)
}

func (b *builder) renameIndex(rs *pg_query.RenameStmt) runner {
	name := rs.Relation.Relname
	return fnRunner(func(e *env) (Cursor, error) {
		cat, err := e.txn.catalog()
		if err != nil {
			return nil, err
		}
		tbl, _ := cat.IndexByName(name)
		if tbl == nil {
			if rs.MissingOk {
				notice(e, "relation \""+relBase(name)+"\" does not exist, skipping")
				return tagCursor("ALTER INDEX", nil), nil
			}
			return nil, pgerror.Newf(pgerror.UndefinedTable, "relation %q does not exist", name)
		}
		nt := tbl.Clone()
		if err := renameConstraint(cat, nt, ownName(cat, name), rs.Newname); err != nil {
			return nil, err
		}
		e.txn.bumpCatalog()
		e.txn.ov.Put(catalog.BucketCatalog, catalog.TableKey(nt.Name), catalog.EncodeTable(nt))
		return tagCursor("ALTER INDEX", nil), nil
	})
}

// renameRelation runs ALTER TABLE, VIEW and SEQUENCE ... RENAME TO: the
// relation keeps its schema.
func (b *builder) renameRelation(rs *pg_query.RenameStmt) runner {
	name, what := rs.Relation.Relname, strings.TrimPrefix(rs.RenameType.String(), "OBJECT_")
	tag := "ALTER " + what
	return fnRunner(func(e *env) (Cursor, error) {
		cat, err := e.txn.catalog()
		if err != nil {
			return nil, err
		}
		m, err := lookupMoved(e, cat, what, name, rs.MissingOk)
		if err != nil || m == (movedRelation{}) {
			return tagCursor(tag, nil), err
		}
		to := siblingName(cat, name, rs.Newname)
		if cat.RelationExists(to) {
			return nil, pgerror.Newf(pgerror.DuplicateTable, "relation %q already exists", rs.Newname)
		}
		return tagCursor(tag, nil), m.move(e, cat, to, false)
	})
}

// moveSequence gives sq the catalog name to (a rename, or a move to
// another schema): its descriptor and state move, the tables owning it
// list it by its new name, and the column defaults bound to it name it so.
func moveSequence(e *env, cat *catalog.Catalog, sq *catalog.Sequence, to, shown string) error {
	t := e.txn
	if cat.RelationExists(to) {
		return pgerror.Newf(pgerror.DuplicateTable, "relation %q already exists", shown)
	}
	if deps := viewDependents(cat, sq.Name, "sequence"); len(deps) > 0 {
		return pgerror.Newf(pgerror.FeatureNotSupported, "cannot rename sequence %q: view %q depends on it", relBase(sq.Name), deps[0].view.Name)
	}
	from := sq.Name
	ns := *sq
	ns.Name = to
	t.bumpCatalog()
	t.ov.Delete(catalog.BucketCatalog, catalog.SequenceKey(from))
	t.ov.Put(catalog.BucketCatalog, catalog.SequenceKey(to), catalog.EncodeSequence(&ns))
	if v := t.get(catalog.BucketSeq, []byte(from)); v != nil {
		t.ov.Put(catalog.BucketSeq, []byte(to), append([]byte(nil), v...))
		t.ov.Delete(catalog.BucketSeq, []byte(from))
	}
	for _, tn := range cat.TableNames() {
		tbl := cat.Tables[tn]
		var nt *catalog.Table
		for i := range tbl.Columns {
			if !usesSequence(&tbl.Columns[i], sq) {
				continue
			}
			if nt == nil {
				nt = tbl.Clone()
			}
			if err := bindDefaultIDs(&nt.Columns[i], cat, nil); err != nil {
				return err
			}
			renameSeqRefs(&nt.Columns[i], &ns, cat)
		}
		if i := slices.Index(tbl.Sequences, from); i >= 0 {
			if nt == nil {
				nt = tbl.Clone()
			}
			nt.Sequences[i] = to
		}
		if nt != nil {
			t.ov.Put(catalog.BucketCatalog, catalog.TableKey(nt.Name), catalog.EncodeTable(nt))
		}
	}
	return nil
}

// privateWriter stores rows in table and index buckets this transaction
// created (an ALTER TABLE rewrite, COPY into a table created or truncated
// by the same transaction): no other transaction can see them before the
// commit, so no row locks are taken and only this transaction's own writes
// can collide. The keys and encoded rows are carved from slabs (arena)
// rather than allocated one by one: a bulk load makes two objects per row
// fewer for the allocator and the collector, and a slab lives as long as
// the chunk that holds its rows (stage.go).
type privateWriter struct {
	tbl    *catalog.Table
	typs   []types.T
	bucket []byte
	arena  []byte
}

func newPrivateWriter(tbl *catalog.Table) *privateWriter {
	return &privateWriter{tbl: tbl, typs: tbl.Types(), bucket: catalog.TableBucket(tbl.ID)}
}

// arenaSlab is the size of the slabs; a row larger than what is left of
// one goes to a slab of its own (append grows it).
const arenaSlab = 64 << 10

// carve runs fn on the free end of the slab and returns what fn appended,
// capped so that appends to it never run into the next value.
func (w *privateWriter) carve(fn func([]byte) []byte) []byte {
	if cap(w.arena)-len(w.arena) < 512 {
		w.arena = make([]byte, 0, arenaSlab)
	}
	n := len(w.arena)
	out := fn(w.arena[n:n])
	if len(out) > 0 && cap(out) == cap(w.arena)-n && &out[:1][0] == &w.arena[n : n+1][0] {
		w.arena = w.arena[:n+len(out)] // written in place
	}
	return out[:len(out):len(out)]
}

// write stores row.
func (w *privateWriter) write(e *env, row []Datum) error {
	t, tbl := e.txn, w.tbl
	if err := checkRowConstraints(e, tbl, row); err != nil {
		return err
	}
	pk := w.carve(func(k []byte) []byte {
		for _, o := range tbl.PrimaryKey {
			k = rowenc.AppendKey(k, row[o], tbl.Columns[o].Type)
		}
		return k
	})
	if !freshRowID(tbl) && !t.ov.Absent(w.bucket, pk) && t.get(w.bucket, pk) != nil {
		return uniqueViolation(tbl, tbl.PKName, tbl.PrimaryKey, row)
	}
	for i := range tbl.Indexes {
		if err := backfillIndexEntry(t, tbl, &tbl.Indexes[i], row, pk); err != nil {
			return err
		}
	}
	t.ov.PutOwned(w.bucket, pk, w.carve(func(b []byte) []byte { return rowenc.EncodeRow(b, row, w.typs) }))
	return nil
}

// createdHere reports whether t created tbl's buckets (CREATE TABLE,
// TRUNCATE or an ALTER TABLE rewrite in this transaction).
func createdHere(t *Txn, tbl *catalog.Table) bool {
	ob := t.ov.Bucket(catalog.TableBucket(tbl.ID))
	return ob != nil && ob.Created() && !ob.Dropped()
}

func (a *alteration) constraintNames() *constraintNames {
	if a.names == nil {
		a.names = newConstraintNames(a.b.cat, a.nt.Name)
	}
	return a.names
}

// addCheck adds a CHECK constraint; existing rows are checked after the
// store unless it is NOT VALID (a rewrite checks them as it copies).
func (a *alteration) addCheck(c *pg_query.Constraint) error {
	ck, err := a.b.newCheck(a.nt, c, a.constraintNames())
	if err != nil {
		return err
	}
	a.nt.Checks = append(a.nt.Checks, ck)
	if !ck.NotValid {
		a.newChecks = append(a.newChecks, ck.Name)
	}
	return nil
}

// addForeignKey adds a FOREIGN KEY constraint, validated after the store
// unless NOT VALID.
func (a *alteration) addForeignKey(c *pg_query.Constraint, cols []string) error {
	fk, _, err := a.b.newForeignKey(a.nt, c, cols, a.constraintNames())
	if err != nil {
		return err
	}
	if fk.RefTable == 0 {
		fk.RefTable = a.nt.OID
	}
	a.nt.ForeignKeys = append(a.nt.ForeignKeys, fk)
	if !fk.NotValid {
		a.newFKs = append(a.newFKs, fk.Name)
	}
	return nil
}

// validateConstraint is VALIDATE CONSTRAINT: a NOT VALID constraint's
// existing rows are checked and it becomes valid.
func (a *alteration) validateConstraint(name string) error {
	nt := a.nt
	for i := range nt.Checks {
		if nt.Checks[i].Name == name {
			if nt.Checks[i].NotValid {
				nt.Checks[i].NotValid = false
				a.newChecks = append(a.newChecks, name)
			}
			return nil
		}
	}
	for i := range nt.ForeignKeys {
		if nt.ForeignKeys[i].Name == name {
			if nt.ForeignKeys[i].NotValid {
				nt.ForeignKeys[i].NotValid = false
				a.newFKs = append(a.newFKs, name)
			}
			return nil
		}
	}
	return pgerror.Newf(pgerror.UndefinedObject, "constraint %q of relation %q does not exist", name, nt.Name)
}

// dropReferenced handles the foreign keys of other tables that reference
// columns of this table matched by uses (a dropped column or key): 2BP01,
// or with CASCADE they are dropped.
func (a *alteration) dropReferenced(uses func(cols []int) bool, what string) error {
	var lines []string
	for _, r := range a.b.cat.ReferencedBy(a.old) {
		if r.Child.Name == a.nt.Name {
			continue
		}
		if !uses(refOrdinals(a.nt, r.FK)) {
			continue
		}
		if !a.cascade {
			lines = append(lines, "constraint "+r.FK.Name+" on table "+r.Child.Name+" depends on "+what)
			continue
		}
		ct := a.other(r.Child.Name)
		name := r.FK.Name
		ct.ForeignKeys = slices.DeleteFunc(ct.ForeignKeys, func(fk catalog.ForeignKey) bool { return fk.Name == name })
		notice(a.e, "drop cascades to constraint "+name+" on table "+r.Child.Name)
	}
	if len(lines) > 0 {
		return pgerror.Newf(pgerror.DependentObjectsExist, "cannot drop %s because other objects depend on it", what).
			WithDetail("%s", strings.Join(lines, "\n")).
			WithHint("Use DROP ... CASCADE to drop the dependent objects too.")
	}
	return nil
}

// other returns the copy of another table's descriptor this statement
// changes.
func (a *alteration) other(name string) *catalog.Table {
	if a.others == nil {
		a.others = map[string]*catalog.Table{}
	}
	if t := a.others[name]; t != nil {
		return t
	}
	t := a.b.cat.Tables[name].Clone()
	a.others[name] = t
	return t
}

// validateNew checks the existing rows against the constraints added by
// this statement (after the store: the catalog holds them).
func (a *alteration) validateNew() error {
	if len(a.newChecks) == 0 && len(a.newFKs) == 0 {
		return nil
	}
	en, nt := a.e, a.nt
	b := *a.b
	var checks []*cexpr
	for _, n := range a.newChecks {
		for _, ck := range nt.Checks {
			if ck.Name == n {
				x, err := b.compileCheck(nt, ck.Expr)
				if err != nil {
					return err
				}
				checks = append(checks, x)
			}
		}
	}
	var fks []*catalog.ForeignKey
	for _, n := range a.newFKs {
		for i := range nt.ForeignKeys {
			if nt.ForeignKeys[i].Name == n {
				fks = append(fks, &nt.ForeignKeys[i])
			}
		}
	}
	typs := nt.Types()
	it := en.txn.iterate(catalog.TableBucket(nt.ID), nil, nil, false)
	for k, v := it.Next(); k != nil; k, v = it.Next() {
		if err := en.checkCancel(); err != nil {
			return err
		}
		row, err := rowenc.DecodeRow(v, typs)
		if err != nil {
			return err
		}
		for i, x := range checks {
			ok, err := x.fn(en, row)
			if err != nil {
				return err
			}
			if ok == false {
				pe := pgerror.Newf(pgerror.CheckViolation, "check constraint %q of relation %q is violated by some row", a.newChecks[i], relBase(nt.Name))
				pe.ConstraintName = a.newChecks[i]
				setRelation(pe, nt.Name)
				return pe
			}
		}
		for _, fk := range fks {
			if err := en.checkChild(nt, fk, row); err != nil {
				return err
			}
		}
	}
	return nil
}

// buildSetSchema runs ALTER TABLE, VIEW and SEQUENCE ... SET SCHEMA (other
// objects: 0A000).
func (b *builder) buildSetSchema(st *pg_query.AlterObjectSchemaStmt) (runner, error) {
	kind := st.ObjectType
	switch kind {
	case pg_query.ObjectType_OBJECT_TABLE, pg_query.ObjectType_OBJECT_VIEW, pg_query.ObjectType_OBJECT_SEQUENCE:
	default:
		return nil, pgerror.Newf(pgerror.FeatureNotSupported, "ALTER %s ... SET SCHEMA is not supported", strings.TrimPrefix(kind.String(), "OBJECT_"))
	}
	if st.Relation == nil {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "ALTER ... SET SCHEMA of this object is not supported")
	}
	name, schema, what := st.Relation.Relname, st.Newschema, strings.TrimPrefix(kind.String(), "OBJECT_")
	tag := "ALTER " + what
	return fnRunner(func(e *env) (Cursor, error) {
		cat, err := e.txn.catalog()
		if err != nil {
			return nil, err
		}
		m, err := lookupMoved(e, cat, what, name, st.MissingOk)
		if err != nil || m == (movedRelation{}) {
			return tagCursor(tag, nil), err
		}
		to, err := movedName(e, cat, name, schema)
		if err != nil || to == name {
			return tagCursor(tag, nil), err
		}
		if cat.RelationExists(to) {
			return nil, clashInSchema(cat, to)
		}
		return tagCursor(tag, nil), m.move(e, cat, to, true)
	}), nil
}
