package catalog

import (
	"encoding/json"
	"sort"

	"github.com/heliosdb/nano/sql/types"
)

// View describes a view: a stored SELECT expanded where it is named.
type View struct {
	// OID is the view's stable identity (RowDescription's table OID of its
	// columns, pg_class.oid).
	OID  uint32 `json:"oid"`
	Name string `json:"name"`
	// Query is the defining SELECT as SQL text (deparsed from the parse
	// tree, so canonical rather than as typed).
	Query string `json:"query"`
	// Columns are the view's output columns as fixed by CREATE VIEW: names
	// and types. The query is re-planned at each use; its first
	// len(Columns) columns are the view's (a SELECT * keeps the columns it
	// had when the view was created, as in PostgreSQL).
	Columns []Column `json:"columns"`
	// Deps are the relations (tables and views) the query reads, by name:
	// DROP of one of them needs CASCADE while the view exists.
	Deps []string `json:"deps,omitempty"`
}

// ColumnIndex returns the ordinal of the column name, or -1.
func (v *View) ColumnIndex(name string) int {
	for i := range v.Columns {
		if v.Columns[i].Name == name {
			return i
		}
	}
	return -1
}

// Types returns the column types.
func (v *View) Types() []types.T {
	out := make([]types.T, len(v.Columns))
	for i := range v.Columns {
		out[i] = v.Columns[i].Type
	}
	return out
}

// ViewKey is the BucketCatalog key of view name's descriptor.
func ViewKey(name string) []byte { return []byte(viewPrefix + name) }

// EncodeView is the stored form of v.
func EncodeView(v *View) []byte {
	b, _ := json.Marshal(v) // plain struct: cannot fail
	return b
}

// ViewNames returns the view names, sorted.
func (c *Catalog) ViewNames() []string {
	out := make([]string, 0, len(c.Views))
	for n := range c.Views {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Dependents returns the views that read relation name directly, in
// creation (OID) order.
func (c *Catalog) Dependents(name string) []*View {
	var out []*View
	for _, v := range c.Views {
		for _, d := range v.Deps {
			if d == name {
				out = append(out, v)
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].OID < out[j].OID })
	return out
}
