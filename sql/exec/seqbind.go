package exec

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/parser"
	"github.com/heliosdb/nano/sql/pgcatalog"
	"github.com/heliosdb/nano/sql/pgerror"
)

// Sequence references of column defaults. In PostgreSQL the argument of
// nextval('s') in a DEFAULT is a regclass constant: the sequence's OID,
// looked up once when the default is created, with a dependency recorded.
// So renaming or moving the sequence keeps the default working (and \d
// shows the new name), DROP SEQUENCE is refused (2BP01) unless CASCADE
// drops the default, and a temporary sequence's dependent defaults go with
// it when its session ends. Only nextval('s'::text) is looked up by name at
// each call.
//
// Here a bound reference is a nextval, currval or setval call whose first
// argument is a string literal, or a literal cast to regclass. When a
// default is created (bindDefault, at plan time with the session's
// search_path and temporary schema) each such literal is resolved and
// replaced by the sequence's schema-qualified name ('public.s',
// 'pg_temp_3.s'), so no later temporary relation or search_path captures
// it; when the descriptor is stored (bindDefaultIDs) the sequences' IDs —
// their OIDs — are recorded in Column.DefaultSeqs, in order. Every use of
// the default checks the binding by ID (useDefault): a reference to a
// sequence that is not there — another session's temporary one, still
// alive — fails as PostgreSQL's does. ALTER SEQUENCE ... RENAME/SET SCHEMA
// rewrites the names of the references bound to it (renameSeqRefs), DROP
// SEQUENCE finds its dependents by ID (sequenceUsers), and a session that
// ends drops the defaults bound to its temporary sequences (Engine.
// dropTempDefaults), as does a node that becomes primary for those of
// sessions that died with a node (Engine.Reclaim).

// seqRef is a bound sequence reference of an expression: the call and the
// sequence name its literal holds.
type seqRef struct {
	call *pg_query.FuncCall
	lit  string
}

// seqRefs lists n's bound sequence references in order of appearance.
func seqRefs(n *pg_query.Node) []seqRef {
	var out []seqRef
	parser.Walk(n, func(m proto.Message) bool {
		fc, ok := m.(*pg_query.FuncCall)
		if !ok || len(fc.Args) == 0 || len(fc.Funcname) > 2 {
			return true
		}
		switch lastName(fc.Funcname) {
		case "nextval", "currval", "setval":
		default:
			return true
		}
		if len(fc.Funcname) == 2 && strVal(fc.Funcname[0]) != "pg_catalog" {
			return true
		}
		arg := fc.Args[0]
		if tc := arg.GetTypeCast(); tc != nil && tc.TypeName != nil && lastName(tc.TypeName.Names) == "regclass" {
			arg = tc.Arg
		}
		if ac := arg.GetAConst(); ac != nil && ac.GetSval() != nil {
			out = append(out, seqRef{call: fc, lit: ac.GetSval().Sval})
		}
		return true
	})
	return out
}

// setLit makes r's argument the plain literal lit.
func (r seqRef) setLit(lit string) { r.call.Args[0] = pg_query.MakeAConstStrNode(lit, -1) }

// parseDefault parses a default's text into its expression.
func parseDefault(def string) (*pg_query.Node, error) {
	st, err := parser.ParseOne("SELECT " + def)
	if err != nil {
		return nil, err
	}
	return st.Node.GetSelectStmt().TargetList[0].GetResTarget().Val, nil
}

// seqLiteral is the text of a bound reference to the sequence with catalog
// name name: always schema-qualified.
func seqLiteral(cat *catalog.Catalog, name string) string {
	schema, rel := cat.SplitName(name)
	if isTempName(name) {
		if i := strings.IndexByte(name, '.'); i > 0 {
			schema, rel = name[:i], name[i+1:]
		}
	}
	return parser.QuoteIdent(schema) + "." + parser.QuoteIdent(rel)
}

// litCatalogName is the catalog name of the relation a bound reference's
// literal names (qualified as seqLiteral writes it, or bare in a
// descriptor older than the bindings).
func litCatalogName(lit string) string {
	parts := pgcatalog.SplitQualified(lit)
	if len(parts) == 1 {
		return parts[0]
	}
	return catalog.QualifiedName(parts[len(parts)-2], parts[len(parts)-1])
}

// bindDefault resolves the bound sequence references of a new default's
// text def (as the session names them) and returns the text with each
// replaced by the sequence's qualified name. A name no relation has is
// 42P01, as in PostgreSQL; one that is a relation but no sequence stays as
// written (the call fails when it runs).
func (b *builder) bindDefault(def string) (string, error) {
	if !strings.Contains(strings.ToLower(def), "val") {
		return def, nil
	}
	n, err := parseDefault(def)
	if err != nil {
		return def, nil // compiled (and refused) where it is used
	}
	refs := seqRefs(n)
	if len(refs) == 0 {
		return def, nil
	}
	for _, r := range refs {
		name, found, err := b.resolveSeqText(r.lit)
		if err != nil {
			return "", err
		}
		if found {
			r.setLit(seqLiteral(b.cat, name))
		}
	}
	return parser.DeparseExpr(n)
}

// resolveSeqText resolves a sequence name as a regclass literal gives it
// (possibly qualified and quoted) with the builder's catalog: the catalog
// name of the sequence, or found false when the relation is not a
// sequence.
func (b *builder) resolveSeqText(lit string) (name string, found bool, err error) {
	parts := pgcatalog.SplitQualified(lit)
	schema, rel := "", parts[len(parts)-1]
	if len(parts) > 1 {
		schema = parts[len(parts)-2]
	}
	name, err = b.resolveName(schema, rel, false)
	if err != nil {
		return "", false, err
	}
	switch {
	case name != "" && b.cat.Sequences[name] != nil:
		return name, true, nil
	case name != "" && b.cat.RelationExists(name):
		return "", false, nil
	}
	return "", false, pgerror.Newf(pgerror.UndefinedTable, "relation %q does not exist", strings.Join(parts, "."))
}

// bindDefaultIDs records in col.DefaultSeqs the IDs of the sequences its
// default's bound references name (see bindDefault), looked up in cat or
// among the sequences the statement creates (created: name -> ID). A
// column that has them already is left alone.
func bindDefaultIDs(col *catalog.Column, cat *catalog.Catalog, created map[string]uint32) error {
	if col.Default == "" || col.DefaultSeqs != nil {
		return nil
	}
	n, err := parseDefault(col.Default)
	if err != nil {
		return nil
	}
	var ids []uint32
	for _, r := range seqRefs(n) {
		name := litCatalogName(r.lit)
		if id, ok := created[name]; ok {
			ids = append(ids, id)
			continue
		}
		sq := cat.Sequences[name]
		if sq == nil {
			if cat.RelationExists(name) {
				return nil // not a sequence: left to fail at each call, unbound
			}
			return pgerror.Newf(pgerror.UndefinedTable, "relation %q does not exist", name)
		}
		ids = append(ids, sq.ID)
	}
	col.DefaultSeqs = ids
	return nil
}

// useDefault returns the expression of col's default for a statement of
// a transaction whose catalog is cat: its bound references checked by ID
// and named as the sequences are now named. err is the failure of a
// binding that no longer holds: the expression is then not to be
// evaluated, as the call that would fail may never run (an INSERT of no
// rows).
func useDefault(col *catalog.Column, cat *catalog.Catalog) (n *pg_query.Node, bindErr error, err error) {
	n, err = parseDefault(col.Default)
	if err != nil || len(col.DefaultSeqs) == 0 {
		return n, nil, err
	}
	refs := seqRefs(n)
	for i, r := range refs {
		if i >= len(col.DefaultSeqs) {
			break
		}
		id := col.DefaultSeqs[i]
		sq := cat.Sequences[litCatalogName(r.lit)]
		if sq == nil || sq.ID != id {
			sq = sequenceByID(cat, id)
		}
		switch {
		case sq != nil:
			// Qualified: the call's lookup by name finds this very
			// sequence, not a temporary one of the same name.
			r.setLit(seqLiteral(cat, sq.Name))
		case id >= tempIDBase:
			return n, pgerror.New(pgerror.FeatureNotSupported, "cannot access temporary tables of other sessions"), nil
		default:
			return n, pgerror.Newf(pgerror.InternalError, "could not open relation with OID %d", id), nil
		}
	}
	return n, nil, nil
}

// sequenceByID finds a sequence of cat by its ID.
func sequenceByID(cat *catalog.Catalog, id uint32) *catalog.Sequence {
	for _, sq := range cat.Sequences {
		if sq.ID == id {
			return sq
		}
	}
	return nil
}

// usesSequence reports whether col's default is bound to sq (or, in a
// descriptor older than the bindings, names it).
func usesSequence(col *catalog.Column, sq *catalog.Sequence) bool {
	if col.DefaultSeqs != nil {
		return slices.Contains(col.DefaultSeqs, sq.ID)
	}
	s := seqNameOf(col.Default)
	return s != "" && s == sq.Name
}

// renameSeqRefs rewrites the references of col's default bound to sq to
// its new name (sq as renamed); it reports whether any was.
func renameSeqRefs(col *catalog.Column, sq *catalog.Sequence, cat *catalog.Catalog) bool {
	n, err := parseDefault(col.Default)
	if err != nil {
		return false
	}
	changed := false
	for i, r := range seqRefs(n) {
		if i < len(col.DefaultSeqs) && col.DefaultSeqs[i] == sq.ID {
			r.setLit(seqLiteral(cat, sq.Name))
			changed = true
		}
	}
	if !changed {
		return false
	}
	s, err := parser.DeparseExpr(n)
	if err != nil {
		return false
	}
	col.Default = s
	return true
}

// displayRelName is how PostgreSQL's messages name a relation: bare when
// it is in public or the session's temporary schema, else qualified.
func displayRelName(cat *catalog.Catalog, name string) string {
	schema, rel := cat.SplitName(name)
	if isTempName(name) {
		i := strings.IndexByte(name, '.')
		if i < 0 || cat.Schemas[name[:i]] != nil {
			return name[i+1:]
		}
		return name
	}
	if schema == "public" {
		return rel
	}
	return name
}

// dropTempDefaults drops the defaults of permanent tables bound to dead
// temporary sequences — those of a session that ends (its TempSpace's), or
// of sessions that died with a node (Reclaim) — as PostgreSQL drops them
// with the temporary schema. It commits like a DDL statement: under the
// catalog lock, and with the full write-write check, retried on 40001. It
// returns how many defaults it dropped.
func (e *Engine) dropTempDefaults(ctx context.Context, dead func(id uint32) bool) (int, error) {
	deadRef := func(c *catalog.Column) bool {
		return slices.ContainsFunc(c.DefaultSeqs, func(id uint32) bool { return id >= tempIDBase && dead(id) })
	}
	for attempt := 0; ; attempt++ {
		t, err := e.BeginTx(ctx, TxOptions{})
		if err != nil {
			return 0, err
		}
		if !t.tryLockCatalog() {
			t.Rollback()
			if attempt > 500 || ctx.Err() != nil {
				return 0, pgerror.New(pgerror.LockNotAvailable, "could not obtain the catalog lock to drop the defaults bound to temporary sequences")
			}
			select {
			case <-ctx.Done():
			case <-time.After(20 * time.Millisecond):
			}
			continue
		}
		cat, err := t.catalog()
		if err != nil {
			t.Rollback()
			return 0, err
		}
		n := 0
		for _, tn := range cat.TableNames() {
			tbl := cat.Tables[tn]
			if isTempName(tn) || !slices.ContainsFunc(tbl.Columns, func(c catalog.Column) bool { return deadRef(&c) }) {
				continue
			}
			nt := tbl.Clone()
			for i := range nt.Columns {
				if deadRef(&nt.Columns[i]) {
					nt.Columns[i].Default, nt.Columns[i].DefaultSeqs = "", nil
					n++
				}
			}
			t.bumpCatalog()
			t.ov.Put(catalog.BucketCatalog, catalog.TableKey(nt.Name), catalog.EncodeTable(nt))
		}
		if n == 0 {
			t.Rollback()
			return 0, nil
		}
		t.catUnlocked = true // read before the lock was held: keep the full check
		_, err = t.Commit(ctx)
		if err == nil {
			return n, nil
		}
		if pgerror.CodeOf(err) != pgerror.SerializationFailure || attempt > 50 {
			return 0, err
		}
	}
}

// tempSequenceIDs lists the IDs of the TempSpace's sequences.
func (s *TempSpace) tempSequenceIDs() []uint32 {
	snap, err := s.db.Snapshot()
	if err != nil {
		return nil
	}
	defer snap.Close()
	var ids []uint32
	c := snap.Cursor(catalog.BucketCatalog)
	p := []byte("seq/")
	for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
		var sq catalog.Sequence
		if json.Unmarshal(v, &sq) == nil {
			ids = append(ids, sq.ID)
		}
	}
	return ids
}
