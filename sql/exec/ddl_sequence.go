package exec

import (
	"math"
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/pgerror"
	planner "github.com/heliosdb/nano/sql/plan"
	"github.com/heliosdb/nano/sql/types"
)

// CREATE/ALTER/DROP SEQUENCE, identity columns, OWNED BY and TRUNCATE ...
// RESTART IDENTITY. The descriptor lives in the catalog (seq/<name>); the
// counter's state in BucketSeq (see seq.go).

// seqBounds is the value range of a sequence data type.
func seqBounds(t types.T) (lo, hi int64) {
	switch t.Oid {
	case types.OidInt2:
		return math.MinInt16, math.MaxInt16
	case types.OidInt4:
		return math.MinInt32, math.MaxInt32
	}
	return math.MinInt64, math.MaxInt64
}

func seqTypeName(t types.T) string {
	switch t.Oid {
	case types.OidInt2:
		return "smallint"
	case types.OidInt4:
		return "integer"
	}
	return "bigint"
}

// seqSpec is a sequence's options as a statement gives them.
type seqSpec struct {
	typ               *types.T
	inc, start, cache *int64
	min, max          *int64
	noMin, noMax      bool
	cycle             *bool
	restart           bool
	restartAt         *int64
	ownedBy           []string // nil: not given; ["none"]: OWNED BY NONE
	seqName           []string // SEQUENCE NAME of an identity column
}

func defInt(d *pg_query.DefElem) (*int64, error) {
	s := defString(d)
	if f := d.Arg.GetFloat(); f != nil {
		s = f.Fval
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return nil, pgerror.Newf(pgerror.SyntaxError, "%s requires a numeric value", d.Defname)
	}
	return &v, nil
}

func parseSeqOptions(opts []*pg_query.Node) (*seqSpec, error) {
	sp := &seqSpec{}
	seen := map[string]bool{}
	for _, n := range opts {
		d := n.GetDefElem()
		if d == nil {
			continue
		}
		if seen[d.Defname] {
			return nil, pgerror.New(pgerror.SyntaxError, "conflicting or redundant options")
		}
		seen[d.Defname] = true
		var err error
		switch d.Defname {
		case "as":
			t, terr := planner.TypeOf(d.Arg.GetTypeName())
			if terr != nil {
				return nil, terr
			}
			if t.Oid != types.OidInt2 && t.Oid != types.OidInt4 && t.Oid != types.OidInt8 {
				return nil, pgerror.New(pgerror.InvalidParameterValue, "sequence type must be smallint, integer, or bigint")
			}
			sp.typ = &t
		case "increment":
			sp.inc, err = defInt(d)
		case "start":
			sp.start, err = defInt(d)
		case "cache":
			sp.cache, err = defInt(d)
		case "minvalue":
			if d.Arg == nil {
				sp.noMin = true
			} else {
				sp.min, err = defInt(d)
			}
		case "maxvalue":
			if d.Arg == nil {
				sp.noMax = true
			} else {
				sp.max, err = defInt(d)
			}
		case "cycle":
			c, berr := defBool(d)
			sp.cycle, err = &c, berr
		case "restart":
			sp.restart = true
			if d.Arg != nil {
				sp.restartAt, err = defInt(d)
			}
		case "owned_by":
			for _, it := range d.Arg.GetList().GetItems() {
				sp.ownedBy = append(sp.ownedBy, strVal(it))
			}
		case "sequence_name":
			for _, it := range d.Arg.GetList().GetItems() {
				sp.seqName = append(sp.seqName, strVal(it))
			}
		default:
			return nil, pgerror.Newf(pgerror.SyntaxError, "option %q not recognized", d.Defname)
		}
		if err != nil {
			return nil, err
		}
	}
	return sp, nil
}

// apply sets sq's fields from sp (create: sq holds no earlier values) and
// checks them as PostgreSQL's init_params does.
func (sp *seqSpec) apply(sq *catalog.Sequence, create bool) error {
	oldLo, oldHi := seqBounds(sq.Type)
	if create {
		sq.Type, sq.Increment, sq.Cache = types.Int8, 1, 1
	}
	if sp.typ != nil {
		sq.Type = *sp.typ
	}
	if sp.inc != nil {
		sq.Increment = *sp.inc
	}
	if sq.Increment == 0 {
		return pgerror.New(pgerror.InvalidParameterValue, "INCREMENT must not be zero")
	}
	if sp.cycle != nil {
		sq.Cycle = *sp.cycle
	}
	lo, hi := seqBounds(sq.Type)
	switch {
	case sp.max != nil:
		sq.Max = *sp.max
	case create || sp.noMax || (sp.typ != nil && sq.Max == oldHi):
		sq.Max = hi
		if sq.Increment < 0 {
			sq.Max = -1
		}
	}
	switch {
	case sp.min != nil:
		sq.Min = *sp.min
	case create || sp.noMin || (sp.typ != nil && sq.Min == oldLo):
		sq.Min = 1
		if sq.Increment < 0 {
			sq.Min = lo
		}
	}
	if sq.Max < lo || sq.Max > hi {
		return pgerror.Newf(pgerror.InvalidParameterValue, "MAXVALUE (%d) is out of range for sequence data type %s", sq.Max, seqTypeName(sq.Type))
	}
	if sq.Min < lo || sq.Min > hi {
		return pgerror.Newf(pgerror.InvalidParameterValue, "MINVALUE (%d) is out of range for sequence data type %s", sq.Min, seqTypeName(sq.Type))
	}
	if sq.Min >= sq.Max {
		return pgerror.Newf(pgerror.InvalidParameterValue, "MINVALUE (%d) must be less than MAXVALUE (%d)", sq.Min, sq.Max)
	}
	switch {
	case sp.start != nil:
		sq.Start = *sp.start
	case create:
		sq.Start = sq.Min
		if sq.Increment < 0 {
			sq.Start = sq.Max
		}
	}
	if sq.Start < sq.Min {
		return pgerror.Newf(pgerror.InvalidParameterValue, "START value (%d) cannot be less than MINVALUE (%d)", sq.Start, sq.Min)
	}
	if sq.Start > sq.Max {
		return pgerror.Newf(pgerror.InvalidParameterValue, "START value (%d) cannot be greater than MAXVALUE (%d)", sq.Start, sq.Max)
	}
	if sp.restartAt != nil && (*sp.restartAt < sq.Min || *sp.restartAt > sq.Max) {
		return pgerror.Newf(pgerror.InvalidParameterValue, "RESTART value (%d) cannot be %s", *sp.restartAt,
			map[bool]string{true: "less than MINVALUE (" + strconv.FormatInt(sq.Min, 10) + ")", false: "greater than MAXVALUE (" + strconv.FormatInt(sq.Max, 10) + ")"}[*sp.restartAt < sq.Min])
	}
	if sp.cache != nil {
		if *sp.cache < 1 {
			return pgerror.Newf(pgerror.InvalidParameterValue, "CACHE (%d) must be greater than zero", *sp.cache)
		}
		sq.Cache = *sp.cache
	}
	return nil
}

func (b *builder) buildCreateSequence(cs *pg_query.CreateSeqStmt) (runner, error) {
	sp, err := parseSeqOptions(cs.Options)
	if err != nil {
		return nil, err
	}
	sq := &catalog.Sequence{Name: cs.Sequence.Relname}
	if err := sp.apply(sq, true); err != nil {
		return nil, err
	}
	return fnRunner(func(e *env) (Cursor, error) {
		t := e.txn
		cat, err := t.catalog()
		if err != nil {
			return nil, err
		}
		if cat.RelationExists(sq.Name) || cat.Views[sq.Name] != nil {
			if cs.IfNotExists {
				notice(e, "relation \""+relBase(sq.Name)+"\" already exists, skipping")
				return tagCursor("CREATE SEQUENCE", nil), nil
			}
			return nil, pgerror.Newf(pgerror.DuplicateTable, "relation %q already exists", relBase(sq.Name))
		}
		ns := *sq
		t.bumpCatalog()
		ns.ID = t.allocIDFor(ns.Name)
		if err := setOwner(t, cat, &ns, sp.ownedBy); err != nil {
			return nil, err
		}
		t.ov.Put(catalog.BucketCatalog, catalog.SequenceKey(ns.Name), catalog.EncodeSequence(&ns))
		return tagCursor("CREATE SEQUENCE", nil), nil
	}), nil
}

// setOwner applies OWNED BY table.column | NONE: the owning table lists
// the sequence so that it is dropped with it.
func setOwner(t *Txn, cat *catalog.Catalog, sq *catalog.Sequence, owned []string) error {
	if owned == nil {
		return nil
	}
	if old := sq.OwnedBy; old != "" {
		if tbl := cat.Tables[old[:max(strings.LastIndexByte(old, '.'), 0)]]; tbl != nil {
			nt := tbl.Clone()
			nt.Sequences = removeString(nt.Sequences, sq.Name)
			t.ov.Put(catalog.BucketCatalog, catalog.TableKey(nt.Name), catalog.EncodeTable(nt))
		}
		sq.OwnedBy = ""
	}
	if len(owned) == 1 && strings.EqualFold(owned[0], "none") {
		return nil
	}
	if len(owned) < 2 {
		return pgerror.New(pgerror.InvalidParameterValue, "invalid OWNED BY option").WithHint("Specify OWNED BY table.column or OWNED BY NONE.")
	}
	tname, cname := owned[len(owned)-2], owned[len(owned)-1]
	tbl := cat.Tables[tname]
	if tbl == nil {
		return pgerror.Newf(pgerror.UndefinedTable, "relation %q does not exist", tname)
	}
	if i := tbl.ColumnIndex(cname); i < 0 || tbl.Columns[i].Hidden {
		return pgerror.Newf(pgerror.UndefinedColumn, "column %q of relation %q does not exist", cname, tname)
	}
	sq.OwnedBy = tname + "." + cname
	nt := tbl.Clone()
	nt.Sequences = append(removeString(nt.Sequences, sq.Name), sq.Name)
	t.ov.Put(catalog.BucketCatalog, catalog.TableKey(nt.Name), catalog.EncodeTable(nt))
	return nil
}

func removeString(list []string, s string) []string {
	out := list[:0:0]
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

func (b *builder) buildAlterSequence(as *pg_query.AlterSeqStmt) (runner, error) {
	sp, err := parseSeqOptions(as.Options)
	if err != nil {
		return nil, err
	}
	name := as.Sequence.Relname
	return fnRunner(func(e *env) (Cursor, error) {
		t := e.txn
		cat, err := t.catalog()
		if err != nil {
			return nil, err
		}
		old := cat.Sequences[name]
		if old == nil {
			if as.MissingOk {
				notice(e, "relation \""+name+"\" does not exist, skipping")
				return tagCursor("ALTER SEQUENCE", nil), nil
			}
			return nil, pgerror.Newf(pgerror.UndefinedTable, "relation %q does not exist", name)
		}
		ns := *old
		if err := sp.apply(&ns, false); err != nil {
			return nil, err
		}
		t.bumpCatalog()
		if err := setOwner(t, cat, &ns, sp.ownedBy); err != nil {
			return nil, err
		}
		t.ov.Put(catalog.BucketCatalog, catalog.SequenceKey(ns.Name), catalog.EncodeSequence(&ns))
		if sp.restart {
			at := ns.Start
			if sp.restartAt != nil {
				at = *sp.restartAt
			}
			t.ov.Put(catalog.BucketSeq, []byte(ns.Name), encodeSeq(at, false))
			t.eng.resetSeqCache(ns.ID)
		}
		return tagCursor("ALTER SEQUENCE", nil), nil
	}), nil
}

// sequenceUsers lists the columns whose DEFAULT is bound to seq.
func sequenceUsers(cat *catalog.Catalog, seq *catalog.Sequence) (tables []string, cols []int) {
	for _, tn := range cat.TableNames() {
		tbl := cat.Tables[tn]
		for i := range tbl.Columns {
			if usesSequence(&tbl.Columns[i], seq) {
				tables, cols = append(tables, tn), append(cols, i)
			}
		}
	}
	return tables, cols
}

func (b *builder) buildDropSequence(ds *pg_query.DropStmt) (runner, error) {
	var names []string
	for _, o := range ds.Objects {
		if l := o.GetList(); l != nil {
			names = append(names, lastName(l.Items))
		}
	}
	cascade := ds.Behavior == pg_query.DropBehavior_DROP_CASCADE
	return fnRunner(func(e *env) (Cursor, error) {
		t := e.txn
		for _, n := range names {
			cat, err := t.catalog()
			if err != nil {
				return nil, err
			}
			sq := cat.Sequences[n]
			if sq == nil {
				if ds.MissingOk {
					notice(e, "sequence \""+n+"\" does not exist, skipping")
					continue
				}
				return nil, pgerror.Newf(pgerror.UndefinedTable, "sequence %q does not exist", n)
			}
			if err := dropSequenceUsers(e, cat, sq, cascade); err != nil {
				return nil, err
			}
			t.bumpCatalog()
			t.ov.Delete(catalog.BucketCatalog, catalog.SequenceKey(n))
			t.ov.Delete(catalog.BucketSeq, []byte(n))
		}
		return tagCursor("DROP SEQUENCE", nil), nil
	}), nil
}

// dropSequenceUsers refuses (2BP01) or, with CASCADE, removes the column
// defaults that use sq, and unlists it from its owning table.
func dropSequenceUsers(e *env, cat *catalog.Catalog, sq *catalog.Sequence, cascade bool) error {
	t := e.txn
	tables, cols := sequenceUsers(cat, sq)
	seqShown := displayRelName(cat, sq.Name)
	lines := make([]string, len(tables))
	for i, tn := range tables {
		lines[i] = "default value for column " + cat.Tables[tn].Columns[cols[i]].Name + " of table " + displayRelName(cat, tn)
	}
	if len(tables) > 0 && !cascade {
		detail := make([]string, len(lines))
		for i, l := range lines {
			detail[i] = l + " depends on sequence " + seqShown
		}
		return pgerror.Newf(pgerror.DependentObjectsExist, "cannot drop sequence %s because other objects depend on it", seqShown).
			WithDetail("%s", strings.Join(detail, "\n")).
			WithHint("Use DROP ... CASCADE to drop the dependent objects too.")
	}
	for i := range lines {
		lines[i] = "drop cascades to " + lines[i]
	}
	noticeCascade(e, lines)
	changed := map[string]*catalog.Table{}
	for i, tn := range tables {
		nt := changed[tn]
		if nt == nil {
			nt = cat.Tables[tn].Clone()
			changed[tn] = nt
		}
		nt.Columns[cols[i]].Default = ""
		nt.Columns[cols[i]].DefaultSeqs = nil
		nt.Columns[cols[i]].Identity = ""
	}
	for _, tn := range cat.TableNames() {
		if tbl := cat.Tables[tn]; changed[tn] == nil && len(removeString(tbl.Sequences, sq.Name)) != len(tbl.Sequences) {
			changed[tn] = tbl.Clone()
		}
	}
	for _, nt := range changed {
		nt.Sequences = removeString(nt.Sequences, sq.Name)
		t.bumpCatalog()
		t.ov.Put(catalog.BucketCatalog, catalog.TableKey(nt.Name), catalog.EncodeTable(nt))
	}
	t.eng.resetSeqCache(sq.ID)
	return nil
}

// restartIdentity resets the sequences tbl owns (TRUNCATE ... RESTART
// IDENTITY): their next value is START again once the statement commits.
func restartIdentity(e *env, cat *catalog.Catalog, tbl *catalog.Table) {
	for _, n := range tbl.Sequences {
		if sq := cat.Sequences[n]; sq != nil {
			e.txn.ov.Put(catalog.BucketSeq, []byte(n), encodeSeq(sq.Start, false))
			e.txn.eng.resetSeqCache(sq.ID)
		}
	}
}

// identityColumn turns a GENERATED ... AS IDENTITY constraint into the
// column's sequence and default.
func identityColumn(b *builder, d *tableDef, col *catalog.Column, c *pg_query.Constraint) error {
	if col.Type.Oid != types.OidInt2 && col.Type.Oid != types.OidInt4 && col.Type.Oid != types.OidInt8 {
		return pgerror.Newf(pgerror.InvalidParameterValue, "identity column type must be smallint, integer, or bigint")
	}
	if col.Default != "" || col.Identity != "" {
		return pgerror.Newf(pgerror.SyntaxError, "multiple identity specifications for column %q of table %q", col.Name, d.tbl.Name)
	}
	sp, err := parseSeqOptions(c.Options)
	if err != nil {
		return err
	}
	t := col.Type
	sp.typ = &t
	sq := &catalog.Sequence{Name: d.tbl.Name + "_" + col.Name + "_seq"}
	if len(sp.seqName) > 0 {
		sq.Name = sp.seqName[len(sp.seqName)-1]
	}
	if err := sp.apply(sq, true); err != nil {
		return err
	}
	sq.OwnedBy = d.tbl.Name + "." + col.Name
	d.seqs = append(d.seqs, sq)
	col.Default = "nextval('" + seqLiteral(b.cat, sq.Name) + "')"
	col.Identity = c.GeneratedWhen
	col.NotNull = true
	return nil
}

// checkIdentityInsert refuses explicit values for GENERATED ALWAYS
// identity columns unless the INSERT says OVERRIDING SYSTEM VALUE.
func checkIdentityInsert(tbl *catalog.Table, is *pg_query.InsertStmt, target []int, defaults [][]bool) error {
	if is.Override == pg_query.OverridingKind_OVERRIDING_SYSTEM_VALUE {
		return nil
	}
	for pos, o := range target {
		c := tbl.Columns[o]
		if c.Identity != "a" {
			continue
		}
		allDefault := defaults != nil
		for _, row := range defaults {
			if pos >= len(row) || !row[pos] {
				allDefault = false
			}
		}
		if !allDefault {
			return pgerror.Newf(pgerror.GeneratedAlways, "cannot insert a non-DEFAULT value into column %q", c.Name).
				WithDetail("Column %q is an identity column defined as GENERATED ALWAYS.", c.Name).
				WithHint("Use OVERRIDING SYSTEM VALUE to override.")
		}
	}
	return nil
}
