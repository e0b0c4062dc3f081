package catalog

import (
	"encoding/json"
	"sort"
	"strings"
)

// Schema describes a schema created by CREATE SCHEMA (public, pg_catalog
// and information_schema are built in and have no descriptor).
//
// A relation (table, view, sequence) of a created schema s is stored under
// the name "s.rel": its descriptor keys, its Name and the names that refer
// to it (view dependencies, OwnedBy, nextval arguments) all carry the
// prefix, and package exec resolves qualified and search_path names to it.
// Relations of schema public keep their bare names.
type Schema struct {
	OID   uint32 `json:"oid"`
	Name  string `json:"name"`
	Owner uint32 `json:"owner,omitempty"`
}

const schemaPrefix = "nsp/"

// SchemaDescKey is the BucketCatalog key of schema name's descriptor.
func SchemaDescKey(name string) []byte { return []byte(schemaPrefix + name) }

// EncodeSchema is the stored form of s.
func EncodeSchema(s *Schema) []byte {
	b, _ := json.Marshal(s) // plain struct: cannot fail
	return b
}

// QualifiedName is the catalog name of relation rel in schema.
func QualifiedName(schema, rel string) string {
	if schema == "" || schema == "public" {
		return rel
	}
	return schema + "." + rel
}

// SplitName splits a catalog relation name into its schema and its own
// name: "s.t" is ("s", "t") when schema s exists, anything else is in
// public.
func (c *Catalog) SplitName(name string) (schema, rel string) {
	if i := strings.IndexByte(name, '.'); i > 0 && c.Schemas[name[:i]] != nil {
		return name[:i], name[i+1:]
	}
	return "public", name
}

// SchemaNames returns the created schemas' names, sorted.
func (c *Catalog) SchemaNames() []string {
	out := make([]string, 0, len(c.Schemas))
	for n := range c.Schemas {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// SchemaRelations returns the catalog names of the tables, views and
// sequences of schema name, sorted.
func (c *Catalog) SchemaRelations(name string) (tables, views, seqs []string) {
	p := name + "."
	for n := range c.Tables {
		if strings.HasPrefix(n, p) {
			tables = append(tables, n)
		}
	}
	for n := range c.Views {
		if strings.HasPrefix(n, p) {
			views = append(views, n)
		}
	}
	for n := range c.Sequences {
		if strings.HasPrefix(n, p) {
			seqs = append(seqs, n)
		}
	}
	sort.Strings(tables)
	sort.Strings(views)
	sort.Strings(seqs)
	return tables, views, seqs
}

// SearchPath is the list of existing schemas named by search_path value p
// (comma-separated, possibly quoted; "" = the default "$user", public),
// in order, with $user as user.
func (c *Catalog) SearchPath(p, user string) []string {
	if p == "" {
		p = `"$user", public`
	}
	var out []string
	for _, s := range strings.Split(p, ",") {
		s = strings.TrimSpace(s)
		if strings.HasPrefix(s, `"`) && strings.HasSuffix(s, `"`) && len(s) >= 2 {
			s = strings.ReplaceAll(s[1:len(s)-1], `""`, `"`)
		} else {
			s = strings.ToLower(s)
		}
		if s == "$user" {
			s = user
		}
		if s == "public" || s == "pg_catalog" || s == "information_schema" || c.Schemas[s] != nil {
			out = append(out, s)
		}
	}
	return out
}
