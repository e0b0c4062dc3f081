package catalog

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/heliosdb/nano/sql/types"
)

// Column describes one table column.
type Column struct {
	Name    string  `json:"name"`
	Type    types.T `json:"type"`
	NotNull bool    `json:"notnull,omitempty"`
	// Default is the DEFAULT expression as SQL text; "" = none.
	Default string `json:"default,omitempty"`
	// DefaultSeqs are the IDs (pg_class OIDs) of the sequences Default's
	// nextval/currval/setval('name') calls are bound to, in order of
	// appearance, as PostgreSQL binds a regclass constant when the default
	// is created: Default names them by their current qualified names
	// (kept up to date by a rename), and the binding is checked by ID when
	// the default is used. nil in a descriptor written before it existed
	// (the names are then resolved at each use).
	DefaultSeqs []uint32 `json:"defseqs,omitempty"`
	// Hidden marks the implicit rowid of tables without a primary key.
	Hidden bool `json:"hidden,omitempty"`
	// Identity is "a" (GENERATED ALWAYS AS IDENTITY), "d" (BY DEFAULT) or
	// "" for an ordinary column.
	Identity string `json:"identity,omitempty"`
}

// Index describes a secondary index (the primary key is Table.PrimaryKey).
type Index struct {
	ID uint32 `json:"id"`
	// OID is the index's stable identity in pg_class (ID changes on
	// TRUNCATE); 0 in descriptors written before it existed (see
	// package pgcatalog for the derived value then).
	OID     uint32 `json:"oid,omitempty"`
	Name    string `json:"name"`
	Columns []int  `json:"columns"` // column ordinals
	Unique  bool   `json:"unique,omitempty"`
	// Constraint marks the index of a UNIQUE table constraint (as opposed
	// to CREATE UNIQUE INDEX): it has a pg_constraint row.
	Constraint bool `json:"constraint,omitempty"`
}

// Table describes a table.
type Table struct {
	// OID is the stable identity reported as TableOID; ID names the storage
	// bucket and changes on TRUNCATE.
	OID        uint32   `json:"oid"`
	ID         uint32   `json:"id"`
	Name       string   `json:"name"`
	Columns    []Column `json:"columns"`
	PrimaryKey []int    `json:"pk"` // column ordinals
	PKName     string   `json:"pkname"`
	// PKOID is the stable identity of the primary key's index (and its
	// constraint) in pg_class and pg_constraint; 0 when the key is hidden
	// or the descriptor predates it.
	PKOID   uint32  `json:"pkoid,omitempty"`
	Indexes []Index `json:"indexes,omitempty"`
	// Sequences owned by SERIAL columns, dropped with the table.
	Sequences []string `json:"sequences,omitempty"`
	// Owner is the OID of the owning role (roles.go); 0 = the bootstrap
	// role.
	Owner uint32 `json:"owner,omitempty"`
	// ACL lists the privileges granted on the table (roles.go).
	ACL []Grant `json:"acl,omitempty"`
	// Checks and ForeignKeys are the table's CHECK and FOREIGN KEY
	// constraints (constraint.go).
	Checks      []Check      `json:"checks,omitempty"`
	ForeignKeys []ForeignKey `json:"fks,omitempty"`
	// OnCommit is a temporary table's ON COMMIT action: "" (PRESERVE
	// ROWS), OnCommitDeleteRows or OnCommitDrop.
	OnCommit string `json:"oncommit,omitempty"`
}

// The ON COMMIT actions of a temporary table (Table.OnCommit).
const (
	OnCommitDeleteRows = "delete"
	OnCommitDrop       = "drop"
)

// HasHiddenKey reports whether the key is the implicit rowid.
func (t *Table) HasHiddenKey() bool {
	return len(t.PrimaryKey) == 1 && t.Columns[t.PrimaryKey[0]].Hidden
}

// ColumnIndex returns the ordinal of the column name, or -1.
func (t *Table) ColumnIndex(name string) int {
	for i := range t.Columns {
		if t.Columns[i].Name == name {
			return i
		}
	}
	return -1
}

// Types returns the column types.
func (t *Table) Types() []types.T {
	out := make([]types.T, len(t.Columns))
	for i := range t.Columns {
		out[i] = t.Columns[i].Type
	}
	return out
}

// Sequence describes a sequence.
type Sequence struct {
	ID        uint32 `json:"id"`
	Name      string `json:"name"`
	Start     int64  `json:"start"`
	Increment int64  `json:"increment"`
	Min       int64  `json:"min"`
	Max       int64  `json:"max"`
	Cycle     bool   `json:"cycle,omitempty"`
	// Type is the data type (AS smallint|integer|bigint); zero = bigint.
	Type types.T `json:"type,omitempty"`
	// OwnedBy is "table.column" when a column owns the sequence (SERIAL,
	// identity, OWNED BY): it is dropped with the column or table.
	OwnedBy string `json:"owned,omitempty"`
	// Cache is the CACHE option (reported only; values are reserved in
	// blocks whatever it says).
	Cache int64 `json:"cache,omitempty"`
}

// Catalog is an immutable set of descriptors at one version.
type Catalog struct {
	Version   uint64
	Tables    map[string]*Table
	Sequences map[string]*Sequence
	Views     map[string]*View
	// Roles by name (roles.go), including the bootstrap role the engine
	// adds.
	Roles map[string]*Role
	// SchemaACL is the ACL of schema public (roles.go).
	SchemaACL []Grant
	// Schemas created by CREATE SCHEMA, by name (namespace.go).
	Schemas map[string]*Schema
}

// Empty returns a catalog with no objects.
func Empty() *Catalog {
	return &Catalog{Tables: map[string]*Table{}, Sequences: map[string]*Sequence{}, Views: map[string]*View{}, Roles: map[string]*Role{}, Schemas: map[string]*Schema{}}
}

// IndexByName finds an index (or primary key) by name: the table, the index
// (nil for a primary key). Index names are kept bare; a name qualified by
// a schema ("s.idx") finds only an index of a table of that schema.
func (c *Catalog) IndexByName(name string) (*Table, *Index) {
	schema := ""
	if i := strings.IndexByte(name, '.'); i > 0 && c.Schemas[name[:i]] != nil {
		schema, name = name[:i], name[i+1:]
	}
	for _, t := range c.Tables {
		if schema != "" {
			if s, _ := c.SplitName(t.Name); s != schema {
				continue
			}
		}
		if t.PKName == name && !t.HasHiddenKey() {
			return t, nil
		}
		for i := range t.Indexes {
			if t.Indexes[i].Name == name {
				return t, &t.Indexes[i]
			}
		}
	}
	return nil, nil
}

// RelationExists reports whether name is taken by a table, view, index or
// sequence (relations share one namespace in PostgreSQL).
func (c *Catalog) RelationExists(name string) bool {
	if _, ok := c.Tables[name]; ok {
		return true
	}
	if _, ok := c.Views[name]; ok {
		return true
	}
	if _, ok := c.Sequences[name]; ok {
		return true
	}
	t, _ := c.IndexByName(name)
	return t != nil
}

// TableNames returns the table names, sorted.
func (c *Catalog) TableNames() []string {
	out := make([]string, 0, len(c.Tables))
	for n := range c.Tables {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Load builds a catalog from the BucketCatalog entries given by scan (keys
// and values in any order) at version v.
func Load(v uint64, entries map[string][]byte) (*Catalog, error) {
	c := Empty()
	c.Version = v
	for k, val := range entries {
		switch {
		case strings.HasPrefix(k, tablePrefix):
			var t Table
			if err := json.Unmarshal(val, &t); err != nil {
				return nil, fmt.Errorf("%w: table %q: %v", ErrCorrupt, k, err)
			}
			c.Tables[t.Name] = &t
		case strings.HasPrefix(k, seqPrefix):
			var s Sequence
			if err := json.Unmarshal(val, &s); err != nil {
				return nil, fmt.Errorf("%w: sequence %q: %v", ErrCorrupt, k, err)
			}
			c.Sequences[s.Name] = &s
		case strings.HasPrefix(k, viewPrefix):
			var v View
			if err := json.Unmarshal(val, &v); err != nil {
				return nil, fmt.Errorf("%w: view %q: %v", ErrCorrupt, k, err)
			}
			c.Views[v.Name] = &v
		case strings.HasPrefix(k, schemaPrefix):
			var s Schema
			if err := json.Unmarshal(val, &s); err != nil {
				return nil, fmt.Errorf("%w: schema %q: %v", ErrCorrupt, k, err)
			}
			c.Schemas[s.Name] = &s
		case k == string(SchemaKey):
			if err := json.Unmarshal(val, &c.SchemaACL); err != nil {
				return nil, fmt.Errorf("%w: schema ACL: %v", ErrCorrupt, err)
			}
		case strings.HasPrefix(k, rolePrefix):
			var r Role
			if err := json.Unmarshal(val, &r); err != nil {
				return nil, fmt.Errorf("%w: role %q: %v", ErrCorrupt, k, err)
			}
			c.Roles[r.Name] = &r
		}
	}
	return c, nil
}

// EncodeTable is the stored form of t.
func EncodeTable(t *Table) []byte {
	b, _ := json.Marshal(t) // plain structs: cannot fail
	return b
}

// EncodeSequence is the stored form of s.
func EncodeSequence(s *Sequence) []byte {
	b, _ := json.Marshal(s)
	return b
}

// Clone returns a deep copy of t for modification by DDL.
func (t *Table) Clone() *Table {
	c := *t
	c.Columns = append([]Column(nil), t.Columns...)
	for i := range c.Columns {
		c.Columns[i].DefaultSeqs = append([]uint32(nil), c.Columns[i].DefaultSeqs...)
	}
	c.PrimaryKey = append([]int(nil), t.PrimaryKey...)
	c.Indexes = make([]Index, len(t.Indexes))
	for i, ix := range t.Indexes {
		ix.Columns = append([]int(nil), ix.Columns...)
		c.Indexes[i] = ix
	}
	c.Sequences = append([]string(nil), t.Sequences...)
	c.ACL = append([]Grant(nil), t.ACL...)
	c.Checks = make([]Check, len(t.Checks))
	for i, ck := range t.Checks {
		ck.Columns = append([]int(nil), ck.Columns...)
		c.Checks[i] = ck
	}
	c.ForeignKeys = make([]ForeignKey, len(t.ForeignKeys))
	for i, fk := range t.ForeignKeys {
		fk.Columns = append([]int(nil), fk.Columns...)
		fk.RefColumns = append([]string(nil), fk.RefColumns...)
		c.ForeignKeys[i] = fk
	}
	return &c
}
