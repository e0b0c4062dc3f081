package pgcatalog

import (
	"sort"
	"strconv"
	"strings"

	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/types"
)

// index is an index of a user table as pg_index sees it: the primary key
// or a secondary index.
type index struct {
	oid        uint32
	name       string
	table      *catalog.Table
	cols       []int // ordinals into table.Columns
	unique     bool
	primary    bool
	constraint bool // backs a pg_constraint row (PRIMARY KEY, UNIQUE)
}

// pkOID is the OID of t's primary key index, 0 for a hidden key.
func pkOID(t *catalog.Table) uint32 {
	if t.HasHiddenKey() {
		return 0
	}
	if t.PKOID != 0 {
		return t.PKOID
	}
	return derivedBit | t.OID
}

func indexOID(ix *catalog.Index) uint32 {
	if ix.OID != 0 {
		return ix.OID
	}
	return derivedBit | ix.ID
}

// indexes lists t's indexes, primary key first.
func indexes(t *catalog.Table) []index {
	var out []index
	if o := pkOID(t); o != 0 {
		out = append(out, index{oid: o, name: t.PKName, table: t, cols: t.PrimaryKey, unique: true, primary: true, constraint: true})
	}
	for i := range t.Indexes {
		ix := &t.Indexes[i]
		out = append(out, index{oid: indexOID(ix), name: ix.Name, table: t, cols: ix.Columns, unique: ix.Unique, constraint: ix.Constraint})
	}
	return out
}

// tables returns the catalog's tables sorted by OID.
func tables(cat *catalog.Catalog) []*catalog.Table {
	out := make([]*catalog.Table, 0, len(cat.Tables))
	for _, t := range cat.Tables {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].OID < out[j].OID })
	return out
}

func sequences(cat *catalog.Catalog) []*catalog.Sequence {
	out := make([]*catalog.Sequence, 0, len(cat.Sequences))
	for _, s := range cat.Sequences {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// visibleColumns are t's columns without the hidden rowid, with their
// attnum (ordinal + 1).
func visibleColumns(t *catalog.Table) []int {
	var out []int
	for i, c := range t.Columns {
		if !c.Hidden {
			out = append(out, i)
		}
	}
	return out
}

// relName finds the name and kind of the relation with oid in cat (user
// objects and system relations).
func (s *System) relName(cat *catalog.Catalog, oid int64) (schema, name string, ok bool) {
	for _, t := range cat.Tables {
		if int64(t.OID) == oid {
			_, sn, rel := splitRel(cat, t.Name)
			return sn, rel, true
		}
		for _, ix := range indexes(t) {
			if int64(ix.oid) == oid {
				_, sn, _ := splitRel(cat, t.Name)
				return sn, ix.name, true
			}
		}
	}
	for _, sq := range cat.Sequences {
		if int64(sq.ID) == oid {
			_, sn, rel := splitRel(cat, sq.Name)
			return sn, rel, true
		}
	}
	for _, v := range cat.Views {
		if int64(v.OID) == oid {
			_, sn, rel := splitRel(cat, v.Name)
			return sn, rel, true
		}
	}
	for _, r := range s.rels {
		if int64(r.OID) == oid {
			return r.Schema, r.Name, true
		}
	}
	return "", "", false
}

// relOID resolves a relation name as regclass input does: "name",
// "schema.name", double quotes keep case; unquoted names fold to lower
// case; an unqualified name is looked up along the session's search_path.
// ok is false when there is no such relation.
func (s *System) relOID(env *Env, text string) (uint32, bool) {
	cat := env.Cat
	parts := SplitQualified(text)
	if len(parts) == 0 || len(parts) > 2 {
		return 0, false
	}
	name, schema := parts[len(parts)-1], ""
	if len(parts) == 2 {
		schema = parts[0]
	}
	if tmp := myTempSchemaName(cat); tmp != "" {
		switch {
		case schema == "pg_temp":
			schema = tmp
		case schema == "" && cat.RelationExists(tmp+"."+name):
			schema = tmp // first in the path for relations
		}
	}
	if schema == "" && env.Vars != nil {
		for _, sp := range searchPath(env) {
			if sp == "public" && cat.RelationExists(name) {
				break
			}
			if cat.Schemas[sp] != nil && cat.RelationExists(sp+"."+name) {
				schema = sp
				break
			}
		}
	}
	if schema != "" && cat.Schemas[schema] != nil {
		schema, name = "", schema+"."+name
	}
	if schema == "" || schema == "public" {
		if t := cat.Tables[name]; t != nil {
			return t.OID, true
		}
		if sq := cat.Sequences[name]; sq != nil {
			return sq.ID, true
		}
		if v := cat.Views[name]; v != nil {
			return v.OID, true
		}
		if t, ix := cat.IndexByName(name); t != nil {
			if ix == nil {
				return pkOID(t), true
			}
			return indexOID(ix), true
		}
		if schema == "public" {
			return 0, false
		}
	}
	if r, ok := s.Lookup(schema, name); ok {
		return r.OID, true
	}
	return 0, false
}

// SplitQualified splits a possibly quoted, dot-qualified identifier
// (unquoted parts lower-cased), as regclass input does.
func SplitQualified(s string) []string {
	var parts []string
	var cur strings.Builder
	inQ := false
	s = strings.TrimSpace(s)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inQ && c == '"' && i+1 < len(s) && s[i+1] == '"':
			cur.WriteByte('"')
			i++
		case c == '"':
			inQ = !inQ
		case !inQ && c == '.':
			parts = append(parts, cur.String())
			cur.Reset()
		case !inQ:
			cur.WriteString(strings.ToLower(string(c)))
		default:
			cur.WriteByte(c)
		}
	}
	return append(parts, cur.String())
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// typeOID is the pg_type OID of a column type (its base OID).
func typeOID(t types.T) int64 { return int64(t.Oid) }

// formatType is format_type(oid, typmod).
func formatType(oid int64, mod int64, hasMod bool) string {
	t := types.T{Oid: types.Oid(oid), Mod: -1}
	if hasMod {
		t.Mod = int32(mod)
	}
	switch t.Oid {
	case types.OidBool, types.OidBytea, types.OidName, types.OidInt8, types.OidInt2, types.OidInt4, types.OidText,
		types.OidOid, types.OidFloat4, types.OidFloat8, types.OidBpchar, types.OidVarchar, types.OidDate,
		types.OidTime, types.OidTimestamp, types.OidTimestamptz, types.OidInterval, types.OidNumeric,
		types.OidUnknown, types.OidJSON, types.OidJSONB, types.OidUUID, types.OidPgLSN, types.OidRegclass,
		types.OidVoid, types.OidChar, types.OidRecord:
		return t.String()
	}
	if r := builtinType(oid); r != nil {
		name := r[1]
		if elem := r[13]; elem != "0" && strings.HasPrefix(name, "_") && r[7] == "A" {
			e, _ := strconv.ParseInt(elem, 10, 64)
			return formatType(e, mod, hasMod) + "[]"
		}
		return name
	}
	return "???"
}

// builtinType returns the pg_type row (text) of a built-in type, or nil.
func builtinType(oid int64) []string {
	key := itoa(oid)
	for _, r := range builtinRows["pg_catalog.pg_type"] {
		if r[0] == key {
			return r
		}
	}
	return nil
}

// tableByOID is the table with oid, or nil.
func tableByOID(cat *catalog.Catalog, oid uint32) *catalog.Table {
	for _, t := range cat.Tables {
		if t.OID == oid {
			return t
		}
	}
	return nil
}

// PrimaryKeyOID is the pg_class OID of t's primary key index (0 for a
// hidden key), IndexOID that of ix: pg_locks names them.
func PrimaryKeyOID(t *catalog.Table) uint32 { return pkOID(t) }

// IndexOID: see PrimaryKeyOID.
func IndexOID(ix *catalog.Index) uint32 { return indexOID(ix) }
