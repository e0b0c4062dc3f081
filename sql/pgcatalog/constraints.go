package pgcatalog

import (
	"sort"
	"strings"

	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/parser"
)

// CHECK and FOREIGN KEY constraints as pg_constraint, pg_get_constraintdef
// and information_schema show them (PRIMARY KEY and UNIQUE come from the
// indexes behind them, objects.go).

// conRow is a CHECK (ck) or FOREIGN KEY (fk) constraint of t.
type conRow struct {
	t  *catalog.Table
	ck *catalog.Check
	fk *catalog.ForeignKey
}

func (c conRow) oid() uint32 {
	if c.ck != nil {
		return c.ck.OID
	}
	return c.fk.OID
}

func (c conRow) name() string {
	if c.ck != nil {
		return c.ck.Name
	}
	return c.fk.Name
}

// constraintsOf lists t's CHECK and FOREIGN KEY constraints by OID.
func constraintsOf(t *catalog.Table) []conRow {
	var out []conRow
	for i := range t.Checks {
		out = append(out, conRow{t: t, ck: &t.Checks[i]})
	}
	for i := range t.ForeignKeys {
		out = append(out, conRow{t: t, fk: &t.ForeignKeys[i]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].oid() < out[j].oid() })
	return out
}

func findConRow(cat *catalog.Catalog, oid int64) (conRow, bool) {
	for _, t := range cat.Tables {
		for _, c := range constraintsOf(t) {
			if int64(c.oid()) == oid {
				return c, true
			}
		}
	}
	return conRow{}, false
}

func attnums(t *catalog.Table, cols []int) []int64 {
	out := make([]int64, len(cols))
	for i, c := range cols {
		out[i] = int64(attnum(t, c))
	}
	return out
}

// fkParent resolves a foreign key's referenced table and column ordinals.
func fkParent(cat *catalog.Catalog, fk *catalog.ForeignKey) (*catalog.Table, []int) {
	p := cat.TableByOID(fk.RefTable)
	if p == nil {
		return nil, nil
	}
	cols := make([]int, len(fk.RefColumns))
	for i, n := range fk.RefColumns {
		cols[i] = p.ColumnIndex(n)
	}
	return p, cols
}

// fkIndexOID is the OID of the parent's unique index (or primary key) the
// foreign key relies on (conindid).
func fkIndexOID(p *catalog.Table, cols []int) uint32 {
	if ix, ok := fkUniqueIndex(p, cols); ok {
		return ix.oid
	}
	return 0
}

// fkUniqueIndex is the parent's primary key or unique index over cols.
func fkUniqueIndex(p *catalog.Table, cols []int) (index, bool) {
	for _, ix := range indexes(p) {
		if ix.unique && sameSet(ix.cols, cols) {
			return ix, true
		}
	}
	return index{}, false
}

func sameSet(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		found := false
		for _, y := range b {
			found = found || x == y
		}
		if !found {
			return false
		}
	}
	return true
}

var fkActionNames = map[string]string{catalog.FKRestrict: "RESTRICT", catalog.FKCascade: "CASCADE",
	catalog.FKSetNull: "SET NULL", catalog.FKSetDefault: "SET DEFAULT", catalog.FKNoAction: "NO ACTION"}

// conDef is pg_get_constraintdef's text.
func conDef(cat *catalog.Catalog, c conRow, pretty bool) string {
	if c.ck != nil {
		s := "CHECK (" + checkExpr(c.t, c.ck.Expr, pretty) + ")"
		if c.ck.NotValid {
			s += " NOT VALID"
		}
		return s
	}
	fk := c.fk
	var b strings.Builder
	b.WriteString("FOREIGN KEY (")
	for i, o := range fk.Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(parser.QuoteIdent(c.t.Columns[o].Name))
	}
	b.WriteString(") REFERENCES ")
	p, _ := fkParent(cat, fk)
	if p != nil {
		if _, schema, rel := splitRel(cat, p.Name); schema == "public" || strings.HasPrefix(schema, TempSchemaPrefix) {
			b.WriteString(parser.QuoteIdent(rel))
		} else {
			b.WriteString(parser.QuoteIdent(schema) + "." + parser.QuoteIdent(rel))
		}
	}
	b.WriteString("(")
	for i, n := range fk.RefColumns {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(parser.QuoteIdent(n))
	}
	b.WriteString(")")
	if fk.Match == "f" {
		b.WriteString(" MATCH FULL")
	}
	if fk.OnUpdate != catalog.FKNoAction && fk.OnUpdate != "" {
		b.WriteString(" ON UPDATE " + fkActionNames[fk.OnUpdate])
	}
	if fk.OnDelete != catalog.FKNoAction && fk.OnDelete != "" {
		b.WriteString(" ON DELETE " + fkActionNames[fk.OnDelete])
	}
	if fk.Deferrable {
		b.WriteString(" DEFERRABLE")
	}
	if fk.Deferred {
		b.WriteString(" INITIALLY DEFERRED")
	}
	if fk.NotValid {
		b.WriteString(" NOT VALID")
	}
	return b.String()
}

// constraintRow is c's pg_constraint row.
func constraintRow(cat *catalog.Catalog, c conRow) row {
	ns, _, _ := splitRel(cat, c.t.Name)
	r := row{"oid": int64(c.oid()), "conname": c.name(), "connamespace": ns,
		"condeferrable": false, "condeferred": false, "conrelid": int64(c.t.OID), "contypid": int64(0),
		"conindid": int64(0), "conparentid": int64(0), "confrelid": int64(0), "confupdtype": " ",
		"confdeltype": " ", "confmatchtype": " ", "conislocal": true, "coninhcount": int64(0)}
	if c.ck != nil {
		r["contype"] = "c"
		r["convalidated"] = !c.ck.NotValid
		r["connoinherit"] = false
		r["conkey"] = arrayText(attnums(c.t, c.ck.Columns))
		r["conbin"] = c.ck.Expr
		return r
	}
	fk := c.fk
	r["contype"] = "f"
	r["condeferrable"], r["condeferred"] = fk.Deferrable, fk.Deferred
	r["convalidated"] = !fk.NotValid
	r["connoinherit"] = true
	r["conkey"] = arrayText(attnums(c.t, fk.Columns))
	r["confupdtype"], r["confdeltype"] = fk.OnUpdate, fk.OnDelete
	r["confmatchtype"] = "s"
	if fk.Match == "f" {
		r["confmatchtype"] = "f"
	}
	if p, cols := fkParent(cat, fk); p != nil {
		r["confrelid"] = int64(p.OID)
		r["confkey"] = arrayText(attnums(p, cols))
		r["conindid"] = int64(fkIndexOID(p, cols))
	}
	return r
}

// hasTriggers is relhastriggers: PostgreSQL implements a foreign key with
// triggers on both tables.
func hasTriggers(cat *catalog.Catalog, t *catalog.Table) bool {
	return len(t.ForeignKeys) > 0 || len(cat.ReferencedBy(t)) > 0
}
