package pgcatalog

import (
	"sort"
	"strconv"
	"strings"

	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/parser"
	"github.com/heliosdb/nano/sql/types"
)

type genFn = func(s *System, env *Env, add func(row) error) error

// generators produce the rows of the relations that have any; the others
// are empty.
var generators = map[string]genFn{
	"pg_catalog.pg_namespace":                    genNamespace,
	"pg_catalog.pg_class":                        genClass,
	"pg_catalog.pg_attribute":                    genAttribute,
	"pg_catalog.pg_attrdef":                      genAttrdef,
	"pg_catalog.pg_type":                         genType,
	"pg_catalog.pg_index":                        genIndex,
	"pg_catalog.pg_constraint":                   genConstraint,
	"pg_catalog.pg_database":                     genDatabase,
	"pg_catalog.pg_roles":                        genRoles("pg_roles"),
	"pg_catalog.pg_authid":                       genRoles("pg_authid"),
	"pg_catalog.pg_user":                         genRoles("pg_user"),
	"pg_catalog.pg_shadow":                       genRoles("pg_shadow"),
	"pg_catalog.pg_am":                           genBuiltin("pg_catalog.pg_am"),
	"pg_catalog.pg_collation":                    genBuiltin("pg_catalog.pg_collation"),
	"pg_catalog.pg_tablespace":                   genTablespace,
	"pg_catalog.pg_sequence":                     genSequence,
	"pg_catalog.pg_sequences":                    genSequences,
	"pg_catalog.pg_tables":                       genTables,
	"pg_catalog.pg_indexes":                      genIndexes,
	"pg_catalog.pg_settings":                     genSettings,
	"pg_catalog.pg_stat_activity":                genActivity,
	"pg_catalog.pg_locks":                        genLocks,
	"pg_catalog.pg_stat_replication":             genReplication,
	"pg_catalog.pg_language":                     genLanguage,
	"pg_catalog.pg_auth_members":                 genAuthMembers,
	"pg_catalog.pg_views":                        genViews,
	"information_schema.views":                   genISViews,
	"pg_catalog.pg_depend":                       genDepend,
	"information_schema.schemata":                genSchemata,
	"information_schema.tables":                  genISTables,
	"information_schema.columns":                 genISColumns,
	"information_schema.table_constraints":       genISTableConstraints,
	"information_schema.key_column_usage":        genISKeyColumnUsage,
	"information_schema.constraint_column_usage": genISConstraintColumnUsage,
	"information_schema.check_constraints":       genISCheckConstraints,
	"information_schema.referential_constraints": genISReferentialConstraints,
	"information_schema.sequences":               genISSequences,
}

func genBuiltin(rel string) genFn {
	return func(s *System, env *Env, add func(row) error) error {
		r := s.rels[rel]
		for _, vals := range builtinRows[rel] {
			if err := add(textRow(r, vals)); err != nil {
				return err
			}
		}
		return nil
	}
}

// textRow is a row of r from its columns' text forms, as PostgreSQL prints
// them (`\N` is NULL; a value that does not parse stays text).
func textRow(r *Relation, vals []string) row {
	rw := row{}
	for i, v := range vals {
		if v == `\N` || i >= len(r.columns) {
			continue
		}
		d, err := types.ParseText(r.columns[i].Type, v)
		if err != nil {
			d = v
		}
		rw[r.columns[i].Name] = d
	}
	return rw
}

func genNamespace(s *System, env *Env, add func(row) error) error {
	for _, n := range []struct {
		oid   int64
		name  string
		owner int64
	}{{NamespaceToast, "pg_toast", BootstrapRoleOID}, {NamespacePgCatalog, "pg_catalog", BootstrapRoleOID},
		{NamespacePublic, "public", pgDatabaseOwnerRole}, {NamespaceInfoSchema, "information_schema", BootstrapRoleOID}} {
		if err := add(row{"oid": n.oid, "nspname": n.name, "nspowner": n.owner}); err != nil {
			return err
		}
	}
	for _, name := range env.Cat.SchemaNames() {
		sc := env.Cat.Schemas[name]
		if err := add(row{"oid": int64(sc.OID), "nspname": sc.Name, "nspowner": int64(ownerOID(sc.Owner))}); err != nil {
			return err
		}
	}
	return nil
}

// ownerOID is a descriptor's owner (0 = the bootstrap role).
func ownerOID(o uint32) uint32 {
	if o == 0 {
		return BootstrapRoleOID
	}
	return o
}

// splitRel splits a catalog relation name ("s.t" for schema s's t) into
// its namespace OID, schema name and own name.
func splitRel(c *catalog.Catalog, name string) (int64, string, string) {
	s, rel := c.SplitName(name)
	if s == "public" {
		return NamespacePublic, s, rel
	}
	return int64(c.Schemas[s].OID), s, rel
}

// TempSchemaPrefix starts the name of a session's temporary schema
// (pg_temp_N); a transaction's catalog holds only its own session's.
const TempSchemaPrefix = "pg_temp_"

// persistence is pg_class.relpersistence of a relation of schema: 't' in
// a temporary schema, 'p' otherwise.
func persistence(schema string) string {
	if strings.HasPrefix(schema, TempSchemaPrefix) {
		return "t"
	}
	return "p"
}

// myTempSchema is the OID of the session's temporary schema, 0 when it
// has none (pg_my_temp_schema()).
func myTempSchema(c *catalog.Catalog) int64 {
	if n := myTempSchemaName(c); n != "" {
		return int64(c.Schemas[n].OID)
	}
	return 0
}

// myTempSchemaName is the name of the session's temporary schema, "" when
// it has none.
func myTempSchemaName(c *catalog.Catalog) string {
	for name := range c.Schemas {
		if strings.HasPrefix(name, TempSchemaPrefix) {
			return name
		}
	}
	return ""
}

func nsOID(schema string) int64 {
	if schema == "information_schema" {
		return NamespaceInfoSchema
	}
	return NamespacePgCatalog
}

func classRow(oid uint32, name string, ns int64, kind string, am int64, natts int) row {
	replident := "d"
	if kind == "i" || kind == "S" || kind == "v" {
		replident = "n"
	}
	return row{"oid": int64(oid), "relname": name, "relnamespace": ns, "reltype": int64(0), "reloftype": int64(0),
		"relowner": int64(BootstrapRoleOID), "relam": am, "relfilenode": int64(oid), "reltablespace": int64(0),
		"relpages": int64(0), "reltuples": float64(-1), "relallvisible": int64(0), "reltoastrelid": int64(0),
		"relhasindex": false, "relisshared": false, "relpersistence": "p", "relkind": kind, "relnatts": int64(natts),
		"relchecks": int64(0), "relhasrules": false, "relhastriggers": false, "relhassubclass": false,
		"relrowsecurity": false, "relforcerowsecurity": false, "relispopulated": true, "relreplident": replident,
		"relispartition": false, "relrewrite": int64(0), "relfrozenxid": int64(0), "relminmxid": int64(0)}
}

func genClass(s *System, env *Env, add func(row) error) error {
	for _, r := range s.builtinRelations() {
		am := int64(0)
		if r.Kind == 'r' {
			am = amHeap
		}
		if err := add(classRow(r.OID, r.Name, nsOID(r.Schema), string(r.Kind), am, len(r.columns))); err != nil {
			return err
		}
	}
	for _, t := range tables(env.Cat) {
		ns, schema, rel := splitRel(env.Cat, t.Name)
		rw := classRow(t.OID, rel, ns, "r", amHeap, len(visibleColumns(t)))
		rw["relpersistence"] = persistence(schema)
		rw["relowner"] = int64(t.OwnerOID())
		ixs := indexes(t)
		rw["relhasindex"] = len(ixs) > 0
		rw["relchecks"] = int64(len(t.Checks))
		rw["relhastriggers"] = hasTriggers(env.Cat, t)
		if err := add(rw); err != nil {
			return err
		}
		for _, ix := range ixs {
			ir := classRow(ix.oid, ix.name, ns, "i", amBtree, len(ix.cols))
			ir["relpersistence"] = persistence(schema)
			ir["relowner"] = int64(t.OwnerOID())
			if err := add(ir); err != nil {
				return err
			}
		}
	}
	for _, sq := range sequences(env.Cat) {
		ns, schema, rel := splitRel(env.Cat, sq.Name)
		sr := classRow(sq.ID, rel, ns, "S", 0, 3)
		sr["relpersistence"] = persistence(schema)
		if err := add(sr); err != nil {
			return err
		}
	}
	for _, v := range views(env.Cat) {
		ns, schema, rel := splitRel(env.Cat, v.Name)
		vr := classRow(v.OID, rel, ns, "v", 0, len(v.Columns))
		vr["relpersistence"] = persistence(schema)
		if err := add(vr); err != nil {
			return err
		}
	}
	return nil
}

func views(cat *catalog.Catalog) []*catalog.View {
	out := make([]*catalog.View, 0, len(cat.Views))
	for _, v := range cat.Views {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].OID < out[j].OID })
	return out
}

// viewDef is pg_get_viewdef's text: the stored (deparsed) query.
func viewDef(v *catalog.View) string { return " " + v.Query + ";" }

func genViews(s *System, env *Env, add func(row) error) error {
	for _, v := range views(env.Cat) {
		_, schema, rel := splitRel(env.Cat, v.Name)
		if err := add(row{"schemaname": schema, "viewname": rel, "viewowner": s.roleName(env, BootstrapRoleOID),
			"definition": viewDef(v)}); err != nil {
			return err
		}
	}
	for _, r := range s.builtinRelations() {
		if r.Kind == 'v' {
			if err := add(row{"schemaname": r.Schema, "viewname": r.Name, "viewowner": s.roleName(env, BootstrapRoleOID)}); err != nil {
				return err
			}
		}
	}
	return nil
}

func genISViews(s *System, env *Env, add func(row) error) error {
	db := s.database(env)
	for _, v := range views(env.Cat) {
		_, schema, vname := splitRel(env.Cat, v.Name)
		if err := add(row{"table_catalog": db, "table_schema": schema, "table_name": vname,
			"view_definition": viewDef(v), "check_option": "NONE", "is_updatable": "NO", "is_insertable_into": "NO",
			"is_trigger_updatable": "NO", "is_trigger_deletable": "NO", "is_trigger_insertable_into": "NO"}); err != nil {
			return err
		}
	}
	return nil
}

func genAuthMembers(s *System, env *Env, add func(row) error) error {
	for _, r := range s.roles(env) {
		for _, m := range r.MemberOf {
			if err := add(row{"roleid": int64(m), "member": int64(r.OID), "grantor": int64(BootstrapRoleOID),
				"admin_option": false}); err != nil {
				return err
			}
		}
	}
	return nil
}

func attRow(rel uint32, name string, t types.T, num int, notNull, hasDef bool) row {
	coll := int64(0)
	if t.Family() == types.FamString && t.Oid != types.OidName && t.Oid != types.OidJSON && t.Oid != types.OidJSONB && t.Oid != types.OidChar {
		coll = collationDefault
	}
	if t.Oid == types.OidName {
		coll = 950
	}
	return row{"attrelid": int64(rel), "attname": name, "atttypid": typeOID(t), "attstattarget": int64(-1),
		"attlen": int64(t.Size()), "attnum": int64(num), "attndims": int64(0), "attcacheoff": int64(-1),
		"atttypmod": int64(t.Mod), "attbyval": t.Size() > 0 && t.Size() <= 8, "attalign": "i", "attstorage": "p",
		"attcompression": "", "attnotnull": notNull, "atthasdef": hasDef, "atthasmissing": false, "attidentity": "",
		"attgenerated": "", "attisdropped": false, "attislocal": true, "attinhcount": int64(0), "attcollation": coll}
}

func genAttribute(s *System, env *Env, add func(row) error) error {
	for _, r := range s.builtinRelations() {
		for i, c := range r.columns {
			if err := add(attRow(r.OID, c.Name, c.Type, i+1, false, false)); err != nil {
				return err
			}
		}
	}
	for _, t := range tables(env.Cat) {
		for n, i := range visibleColumns(t) {
			c := t.Columns[i]
			if err := add(attRow(t.OID, c.Name, c.Type, n+1, c.NotNull, c.Default != "")); err != nil {
				return err
			}
		}
		for _, ix := range indexes(t) {
			for n, i := range ix.cols {
				c := t.Columns[i]
				if err := add(attRow(ix.oid, c.Name, c.Type, n+1, false, false)); err != nil {
					return err
				}
			}
		}
	}
	for _, v := range views(env.Cat) {
		for n, c := range v.Columns {
			if err := add(attRow(v.OID, c.Name, c.Type, n+1, false, false)); err != nil {
				return err
			}
		}
	}
	for _, sq := range sequences(env.Cat) {
		for n, c := range []struct {
			name string
			t    types.T
		}{{"last_value", types.Int8}, {"log_cnt", types.Int8}, {"is_called", types.Bool}} {
			if err := add(attRow(sq.ID, c.name, c.t, n+1, true, false)); err != nil {
				return err
			}
		}
	}
	return nil
}

// attnum is the attnum of t's column ordinal i (hidden columns have none).
func attnum(t *catalog.Table, i int) int {
	n := 0
	for j := 0; j <= i && j < len(t.Columns); j++ {
		if !t.Columns[j].Hidden {
			n++
		}
	}
	return n
}

func attrdefOID(t *catalog.Table, num int) int64 {
	return int64(uint32(uint64(t.OID)*attrdefPerTable + uint64(num)))
}

func genAttrdef(s *System, env *Env, add func(row) error) error {
	for _, t := range tables(env.Cat) {
		for n, i := range visibleColumns(t) {
			c := t.Columns[i]
			if c.Default == "" {
				continue
			}
			if err := add(row{"oid": attrdefOID(t, n+1), "adrelid": int64(t.OID), "adnum": int64(n + 1),
				"adbin": DisplayDefault(c.Default, c.Type, env.Cat)}); err != nil {
				return err
			}
		}
	}
	return nil
}

func genType(s *System, env *Env, add func(row) error) error {
	return genBuiltin("pg_catalog.pg_type")(s, env, add)
}

// int2vector renders attnums as int2vector/oidvector text ("1 2").
func vector(vals []int64) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = itoa(v)
	}
	return strings.Join(parts, " ")
}

// arrayText renders values as an array literal ("{1,2}").
func arrayText(vals []int64) string { return "{" + strings.ReplaceAll(vector(vals), " ", ",") + "}" }

func (ix index) attnums() []int64 {
	out := make([]int64, len(ix.cols))
	for i, c := range ix.cols {
		out[i] = int64(attnum(ix.table, c))
	}
	return out
}

func genIndex(s *System, env *Env, add func(row) error) error {
	for _, t := range tables(env.Cat) {
		for _, ix := range indexes(t) {
			n := int64(len(ix.cols))
			zeros, colls := make([]int64, n), make([]int64, n)
			for i, c := range ix.cols {
				if ct := t.Columns[c].Type; ct.Family() == types.FamString && ct.Oid != types.OidName {
					colls[i] = collationDefault
				}
			}
			if err := add(row{"indexrelid": int64(ix.oid), "indrelid": int64(t.OID), "indnatts": n, "indnkeyatts": n,
				"indisunique": ix.unique, "indnullsnotdistinct": false, "indisprimary": ix.primary,
				"indisexclusion": false, "indimmediate": true, "indisclustered": false, "indisvalid": true,
				"indcheckxmin": false, "indisready": true, "indislive": true, "indisreplident": false,
				"indkey": vector(ix.attnums()), "indcollation": vector(colls), "indclass": vector(zeros),
				"indoption": vector(zeros)}); err != nil {
				return err
			}
		}
	}
	return nil
}

func genConstraint(s *System, env *Env, add func(row) error) error {
	for _, t := range tables(env.Cat) {
		for _, ix := range indexes(t) {
			if !ix.constraint {
				continue
			}
			typ := "u"
			if ix.primary {
				typ = "p"
			}
			ns, _, _ := splitRel(env.Cat, t.Name)
			if err := add(row{"oid": int64(ix.oid), "conname": ix.name, "connamespace": ns,
				"contype": typ, "condeferrable": false, "condeferred": false, "convalidated": true,
				"conrelid": int64(t.OID), "contypid": int64(0), "conindid": int64(ix.oid), "conparentid": int64(0),
				"confrelid": int64(0), "confupdtype": " ", "confdeltype": " ", "confmatchtype": " ",
				"conislocal": true, "coninhcount": int64(0), "connoinherit": true,
				"conkey": arrayText(ix.attnums())}); err != nil {
				return err
			}
		}
		for _, c := range constraintsOf(t) {
			if err := add(constraintRow(env.Cat, c)); err != nil {
				return err
			}
		}
	}
	return nil
}

func genDatabase(s *System, env *Env, add func(row) error) error {
	return add(row{"oid": int64(DatabaseOID), "datname": s.database(env), "datdba": int64(BootstrapRoleOID),
		"encoding": int64(encodingUTF8), "datlocprovider": "c", "datistemplate": false, "datallowconn": true,
		"datconnlimit": int64(-1), "datfrozenxid": int64(0), "datminmxid": int64(1), "dattablespace": int64(1663),
		"datcollate": "C", "datctype": "C"})
}

func genRoles(rel string) genFn {
	return func(s *System, env *Env, add func(row) error) error {
		for _, r := range s.roles(env) {
			rw := row{"rolname": r.Name, "rolsuper": r.Super, "rolinherit": r.Inherit, "rolcreaterole": r.CreateRole,
				"rolcreatedb": r.CreateDB, "rolcanlogin": r.CanLogin, "rolreplication": r.Replication,
				"rolconnlimit": int64(r.ConnLimit), "rolbypassrls": r.BypassRLS, "oid": int64(r.OID),
				"usename": r.Name, "usesysid": int64(r.OID), "usecreatedb": r.CreateDB, "usesuper": r.Super,
				"userepl": r.Replication, "usebypassrls": r.BypassRLS}
			if r.ValidUntil != nil {
				rw["rolvaliduntil"], rw["valuntil"] = *r.ValidUntil, *r.ValidUntil
			}
			switch rel {
			case "pg_roles", "pg_user":
				rw["rolpassword"], rw["passwd"] = "********", "********"
			}
			if rel == "pg_user" && !r.CanLogin {
				continue
			}
			if err := add(rw); err != nil {
				return err
			}
		}
		return nil
	}
}

func genTablespace(s *System, env *Env, add func(row) error) error {
	if err := add(row{"oid": int64(1663), "spcname": "pg_default", "spcowner": int64(BootstrapRoleOID)}); err != nil {
		return err
	}
	return add(row{"oid": int64(1664), "spcname": "pg_global", "spcowner": int64(BootstrapRoleOID)})
}

func genLanguage(s *System, env *Env, add func(row) error) error {
	for _, l := range []struct {
		oid  int64
		name string
	}{{12, "internal"}, {13, "c"}, {14, "sql"}} {
		if err := add(row{"oid": l.oid, "lanname": l.name, "lanowner": int64(BootstrapRoleOID), "lanispl": false,
			"lanpltrusted": l.name == "sql", "lanplcallfoid": int64(0), "laninline": int64(0), "lanvalidator": int64(0)}); err != nil {
			return err
		}
	}
	return nil
}

func genSequence(s *System, env *Env, add func(row) error) error {
	for _, sq := range sequences(env.Cat) {
		if err := add(row{"seqrelid": int64(sq.ID), "seqtypid": int64(seqType(sq).Oid), "seqstart": sq.Start,
			"seqincrement": sq.Increment, "seqmax": sq.Max, "seqmin": sq.Min, "seqcache": max(sq.Cache, 1), "seqcycle": sq.Cycle}); err != nil {
			return err
		}
	}
	return nil
}

func genSequences(s *System, env *Env, add func(row) error) error {
	for _, sq := range sequences(env.Cat) {
		_, schema, sname := splitRel(env.Cat, sq.Name)
		if err := add(row{"schemaname": schema, "sequencename": sname, "sequenceowner": s.roleName(env, BootstrapRoleOID),
			"data_type": seqType(sq).String(), "start_value": sq.Start, "min_value": sq.Min, "max_value": sq.Max,
			"increment_by": sq.Increment, "cycle": sq.Cycle, "cache_size": max(sq.Cache, 1)}); err != nil {
			return err
		}
	}
	return nil
}

func genTables(s *System, env *Env, add func(row) error) error {
	for _, t := range tables(env.Cat) {
		_, sn, rel := splitRel(env.Cat, t.Name)
		if err := add(row{"schemaname": sn, "tablename": rel, "tableowner": s.roleName(env, int64(t.OwnerOID())),
			"hasindexes": len(indexes(t)) > 0, "hasrules": false, "hastriggers": hasTriggers(env.Cat, t), "rowsecurity": false}); err != nil {
			return err
		}
	}
	for _, r := range s.builtinRelations() {
		if r.Kind != 'r' {
			continue
		}
		if err := add(row{"schemaname": r.Schema, "tablename": r.Name, "tableowner": s.roleName(env, BootstrapRoleOID),
			"hasindexes": false, "hasrules": false, "hastriggers": false, "rowsecurity": false}); err != nil {
			return err
		}
	}
	return nil
}

func genIndexes(s *System, env *Env, add func(row) error) error {
	for _, t := range tables(env.Cat) {
		_, schema, tname := splitRel(env.Cat, t.Name)
		for _, ix := range indexes(t) {
			if err := add(row{"schemaname": schema, "tablename": tname, "indexname": ix.name,
				"indexdef": indexDef(env.Cat, ix, false)}); err != nil {
				return err
			}
		}
	}
	return nil
}

// indexDef is pg_get_indexdef's text; pretty leaves out the schema.
func indexDef(cat *catalog.Catalog, ix index, pretty bool) string {
	var b strings.Builder
	b.WriteString("CREATE ")
	if ix.unique {
		b.WriteString("UNIQUE ")
	}
	b.WriteString("INDEX " + parser.QuoteIdent(ix.name) + " ON ")
	_, schema, tname := splitRel(cat, ix.table.Name)
	if !pretty {
		b.WriteString(parser.QuoteIdent(schema) + ".")
	}
	b.WriteString(parser.QuoteIdent(tname) + " USING btree (")
	for i, c := range ix.cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(parser.QuoteIdent(ix.table.Columns[c].Name))
	}
	b.WriteString(")")
	return b.String()
}

func constraintDef(ix index) string {
	var cols []string
	for _, c := range ix.cols {
		cols = append(cols, parser.QuoteIdent(ix.table.Columns[c].Name))
	}
	kind := "UNIQUE"
	if ix.primary {
		kind = "PRIMARY KEY"
	}
	return kind + " (" + strings.Join(cols, ", ") + ")"
}

func genSettings(s *System, env *Env, add func(row) error) error {
	l, ok := env.Vars.(SettingsLister)
	if !ok {
		return nil
	}
	for _, st := range l.Settings() {
		rw := row{"name": st.Name, "setting": st.Value, "category": st.Category, "short_desc": st.Description,
			"context": st.Context, "vartype": st.Type, "source": st.Source, "boot_val": st.Value,
			"reset_val": st.Value, "pending_restart": false}
		if st.Unit != "" {
			rw["unit"] = st.Unit
		}
		if err := add(rw); err != nil {
			return err
		}
	}
	return nil
}

func genActivity(s *System, env *Env, add func(row) error) error {
	if s.cfg.Activity == nil {
		return nil
	}
	for _, b := range s.cfg.Activity() {
		rw := row{"datid": int64(DatabaseOID), "datname": b.Database, "pid": int64(b.PID), "usename": b.User,
			"application_name": b.Application, "backend_start": b.BackendStart, "state": b.State,
			"query": b.Query, "backend_type": "client backend"}
		if oid, ok := s.roleOID(env, b.User); ok {
			rw["usesysid"] = oid
		}
		if b.ClientAddr != "" {
			host, port, _ := strings.Cut(b.ClientAddr, ":")
			rw["client_addr"] = host
			if p, err := strconv.Atoi(port); err == nil {
				rw["client_port"] = int64(p)
			}
		}
		if b.WaitEventType != "" {
			rw["wait_event_type"], rw["wait_event"] = b.WaitEventType, b.WaitEvent
		}
		for k, v := range map[string]any{"xact_start": b.XactStart, "query_start": b.QueryStart, "state_change": b.Changed} {
			if t, ok := v.(interface{ IsZero() bool }); ok && !t.IsZero() {
				rw[k] = v
			}
		}
		if err := add(rw); err != nil {
			return err
		}
	}
	return nil
}

func genLocks(s *System, env *Env, add func(row) error) error {
	if s.cfg.Locks == nil {
		return nil
	}
	for _, l := range s.cfg.Locks() {
		rw := row{"locktype": l.LockType, "virtualtransaction": l.VirtualTransaction, "pid": int64(l.PID),
			"mode": l.Mode, "granted": l.Granted, "fastpath": l.FastPath}
		switch l.LockType {
		case "relation", "tuple", "page", "advisory":
			rw["database"] = int64(DatabaseOID)
		}
		if l.Relation != 0 {
			rw["relation"] = int64(l.Relation)
		}
		switch l.LockType {
		case "tuple":
			rw["page"], rw["tuple"] = l.Page, l.Tuple
		case "page":
			rw["page"] = l.Page
		}
		if l.TransactionID != 0 {
			rw["transactionid"] = int64(l.TransactionID)
		}
		if l.LockType == "advisory" {
			rw["classid"], rw["objid"], rw["objsubid"] = int64(l.ClassID), int64(l.ObjID), l.ObjSubID
		}
		if err := add(rw); err != nil {
			return err
		}
	}
	return nil
}

func genReplication(s *System, env *Env, add func(row) error) error {
	if s.cfg.Replication == nil {
		return nil
	}
	for _, sb := range s.cfg.Replication() {
		rw := row{"pid": int64(sb.PID), "usename": sb.User, "application_name": sb.Application, "state": sb.State,
			"sent_lsn": sb.SentLSN, "write_lsn": sb.WriteLSN, "flush_lsn": sb.FlushLSN, "replay_lsn": sb.ReplayLSN,
			"sync_priority": int64(0), "sync_state": sb.SyncState}
		if sb.ClientAddr != "" {
			rw["client_addr"] = sb.ClientAddr
		}
		if !sb.ReplyTime.IsZero() {
			rw["reply_time"] = sb.ReplyTime
		}
		if err := add(rw); err != nil {
			return err
		}
	}
	return nil
}

func genSchemata(s *System, env *Env, add func(row) error) error {
	db := s.database(env)
	for _, n := range []struct{ name, owner string }{{"information_schema", s.roleName(env, BootstrapRoleOID)},
		{"pg_catalog", s.roleName(env, BootstrapRoleOID)}, {"pg_toast", s.roleName(env, BootstrapRoleOID)}, {"public", "pg_database_owner"}} {
		if err := add(row{"catalog_name": db, "schema_name": n.name, "schema_owner": n.owner}); err != nil {
			return err
		}
	}
	for _, name := range env.Cat.SchemaNames() {
		sc := env.Cat.Schemas[name]
		if err := add(row{"catalog_name": db, "schema_name": sc.Name, "schema_owner": s.roleName(env, int64(ownerOID(sc.Owner)))}); err != nil {
			return err
		}
	}
	return nil
}

func yesNo(b bool) string {
	if b {
		return "YES"
	}
	return "NO"
}

func genISTables(s *System, env *Env, add func(row) error) error {
	db := s.database(env)
	for _, t := range tables(env.Cat) {
		_, sn, rel := splitRel(env.Cat, t.Name)
		typ := "BASE TABLE"
		if persistence(sn) == "t" {
			typ = "LOCAL TEMPORARY"
		}
		if err := add(row{"table_catalog": db, "table_schema": sn, "table_name": rel, "table_type": typ,
			"is_insertable_into": "YES", "is_typed": "NO"}); err != nil {
			return err
		}
	}
	for _, v := range views(env.Cat) {
		_, sn, rel := splitRel(env.Cat, v.Name)
		typ := "VIEW"
		if persistence(sn) == "t" {
			typ = "LOCAL TEMPORARY"
		}
		if err := add(row{"table_catalog": db, "table_schema": sn, "table_name": rel, "table_type": typ,
			"is_insertable_into": "NO", "is_typed": "NO"}); err != nil {
			return err
		}
	}
	for _, r := range s.builtinRelations() {
		typ := "BASE TABLE"
		if r.Kind == 'v' {
			typ = "VIEW"
		}
		if err := add(row{"table_catalog": db, "table_schema": r.Schema, "table_name": r.Name, "table_type": typ,
			"is_insertable_into": yesNo(r.Kind == 'r'), "is_typed": "NO"}); err != nil {
			return err
		}
	}
	return nil
}

// dataType is information_schema's data_type of t.
func dataType(t types.T) string {
	switch t.Oid {
	case types.OidBpchar:
		return "character"
	case types.OidVarchar:
		return "character varying"
	case types.OidNumeric:
		return "numeric"
	}
	if t.Oid >= 1000 && strings.HasSuffix(formatType(int64(t.Oid), -1, false), "[]") {
		return "ARRAY"
	}
	if t.Family() == types.FamOther && builtinType(int64(t.Oid)) == nil {
		return "USER-DEFINED"
	}
	return formatType(int64(t.Oid), -1, false)
}

func genISColumns(s *System, env *Env, add func(row) error) error {
	db := s.database(env)
	for _, t := range tables(env.Cat) {
		_, sn, rel := splitRel(env.Cat, t.Name)
		for n, i := range visibleColumns(t) {
			c := t.Columns[i]
			rw := row{"table_catalog": db, "table_schema": sn, "table_name": rel, "column_name": c.Name,
				"ordinal_position": int64(n + 1), "is_nullable": yesNo(!c.NotNull), "data_type": dataType(c.Type),
				"udt_catalog": db, "udt_schema": "pg_catalog", "udt_name": udtName(c.Type), "dtd_identifier": itoa(int64(n + 1)),
				"is_self_referencing": "NO", "is_identity": "NO", "identity_cycle": "NO", "is_generated": "NEVER",
				"is_updatable": "YES"}
			if c.Default != "" {
				rw["column_default"] = DisplayDefault(c.Default, c.Type, env.Cat)
			}
			if l := c.Type.Length(); l >= 0 {
				rw["character_maximum_length"] = int64(l)
				rw["character_octet_length"] = int64(l * 4)
			} else if c.Type.Family() == types.FamString && c.Type.Oid != types.OidName {
				rw["character_octet_length"] = int64(1073741824)
			}
			switch c.Type.Oid {
			case types.OidInt2:
				rw["numeric_precision"], rw["numeric_precision_radix"], rw["numeric_scale"] = int64(16), int64(2), int64(0)
			case types.OidInt4:
				rw["numeric_precision"], rw["numeric_precision_radix"], rw["numeric_scale"] = int64(32), int64(2), int64(0)
			case types.OidInt8:
				rw["numeric_precision"], rw["numeric_precision_radix"], rw["numeric_scale"] = int64(64), int64(2), int64(0)
			case types.OidFloat4:
				rw["numeric_precision"], rw["numeric_precision_radix"] = int64(24), int64(2)
			case types.OidFloat8:
				rw["numeric_precision"], rw["numeric_precision_radix"] = int64(53), int64(2)
			case types.OidNumeric:
				rw["numeric_precision_radix"] = int64(10)
				if p, sc, ok := c.Type.PrecisionScale(); ok {
					rw["numeric_precision"], rw["numeric_scale"] = int64(p), int64(sc)
				}
			case types.OidTimestamp, types.OidTimestamptz, types.OidTime, types.OidInterval:
				rw["datetime_precision"] = int64(6)
			case types.OidDate:
				rw["datetime_precision"] = int64(0)
			}
			if err := add(rw); err != nil {
				return err
			}
		}
	}
	return nil
}

func udtName(t types.T) string {
	if r := builtinType(int64(t.Oid)); r != nil {
		return r[1]
	}
	return t.String()
}

func genISTableConstraints(s *System, env *Env, add func(row) error) error {
	db := s.database(env)
	for _, t := range tables(env.Cat) {
		ns, schema, tname := splitRel(env.Cat, t.Name)
		for _, ix := range indexes(t) {
			if !ix.constraint {
				continue
			}
			typ := "UNIQUE"
			if ix.primary {
				typ = "PRIMARY KEY"
			}
			if err := add(row{"constraint_catalog": db, "constraint_schema": schema, "constraint_name": ix.name,
				"table_catalog": db, "table_schema": schema, "table_name": tname, "constraint_type": typ,
				"is_deferrable": "NO", "initially_deferred": "NO", "enforced": "YES", "nulls_distinct": "YES"}); err != nil {
				return err
			}
		}
		for _, c := range constraintsOf(t) {
			typ := "CHECK"
			deferrable, deferred := "NO", "NO"
			if c.fk != nil {
				typ = "FOREIGN KEY"
				deferrable, deferred = yesNo(c.fk.Deferrable), yesNo(c.fk.Deferred)
			}
			if err := add(row{"constraint_catalog": db, "constraint_schema": schema, "constraint_name": c.name(),
				"table_catalog": db, "table_schema": schema, "table_name": tname, "constraint_type": typ,
				"is_deferrable": deferrable, "initially_deferred": deferred, "enforced": "YES"}); err != nil {
				return err
			}
		}
		for n, i := range visibleColumns(t) {
			c := t.Columns[i]
			if !c.NotNull {
				continue
			}
			name := strconv.FormatInt(ns, 10) + "_" + strconv.FormatInt(int64(t.OID), 10) + "_" + itoa(int64(n+1)) + "_not_null"
			if err := add(row{"constraint_catalog": db, "constraint_schema": schema, "constraint_name": name,
				"table_catalog": db, "table_schema": schema, "table_name": tname, "constraint_type": "CHECK",
				"is_deferrable": "NO", "initially_deferred": "NO", "enforced": "YES"}); err != nil {
				return err
			}
		}
	}
	return nil
}

func genISKeyColumnUsage(s *System, env *Env, add func(row) error) error {
	db := s.database(env)
	for _, t := range tables(env.Cat) {
		_, schema, tname := splitRel(env.Cat, t.Name)
		for _, ix := range indexes(t) {
			if !ix.constraint {
				continue
			}
			for k, c := range ix.cols {
				if err := add(row{"constraint_catalog": db, "constraint_schema": schema, "constraint_name": ix.name,
					"table_catalog": db, "table_schema": schema, "table_name": tname,
					"column_name": t.Columns[c].Name, "ordinal_position": int64(k + 1)}); err != nil {
					return err
				}
			}
		}
		for i := range t.ForeignKeys {
			fk := &t.ForeignKeys[i]
			p, pcols := fkParent(env.Cat, fk)
			for k, c := range fk.Columns {
				rw := row{"constraint_catalog": db, "constraint_schema": schema, "constraint_name": fk.Name,
					"table_catalog": db, "table_schema": schema, "table_name": tname,
					"column_name": t.Columns[c].Name, "ordinal_position": int64(k + 1)}
				if p != nil {
					if ix, ok := fkUniqueIndex(p, pcols); ok {
						for j, o := range ix.cols {
							if o == pcols[k] {
								rw["position_in_unique_constraint"] = int64(j + 1)
							}
						}
					}
				}
				if err := add(rw); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func genISConstraintColumnUsage(s *System, env *Env, add func(row) error) error {
	db := s.database(env)
	for _, t := range tables(env.Cat) {
		_, schema, tname := splitRel(env.Cat, t.Name)
		for _, ix := range indexes(t) {
			if !ix.constraint {
				continue
			}
			for _, c := range ix.cols {
				if err := add(row{"table_catalog": db, "table_schema": schema, "table_name": tname,
					"column_name": t.Columns[c].Name, "constraint_catalog": db, "constraint_schema": schema,
					"constraint_name": ix.name}); err != nil {
					return err
				}
			}
		}
		for _, c := range constraintsOf(t) {
			tbl, cols := t, []int(nil)
			if c.ck != nil {
				cols = c.ck.Columns
			} else if p, pcols := fkParent(env.Cat, c.fk); p != nil {
				tbl, cols = p, pcols
			}
			for _, o := range cols {
				_, tschema, tbname := splitRel(env.Cat, tbl.Name)
				if err := add(row{"table_catalog": db, "table_schema": tschema, "table_name": tbname,
					"column_name": tbl.Columns[o].Name, "constraint_catalog": db, "constraint_schema": schema,
					"constraint_name": c.name()}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func genISCheckConstraints(s *System, env *Env, add func(row) error) error {
	db := s.database(env)
	for _, t := range tables(env.Cat) {
		ns, schema, _ := splitRel(env.Cat, t.Name)
		for i := range t.Checks {
			def := conDef(env.Cat, conRow{t: t, ck: &t.Checks[i]}, false)
			if err := add(row{"constraint_catalog": db, "constraint_schema": schema, "constraint_name": t.Checks[i].Name,
				"check_clause": strings.TrimPrefix(def, "CHECK ")}); err != nil {
				return err
			}
		}
		for n, i := range visibleColumns(t) {
			c := t.Columns[i]
			if !c.NotNull {
				continue
			}
			name := strconv.FormatInt(ns, 10) + "_" + strconv.FormatInt(int64(t.OID), 10) + "_" + itoa(int64(n+1)) + "_not_null"
			if err := add(row{"constraint_catalog": db, "constraint_schema": schema, "constraint_name": name,
				"check_clause": parser.QuoteIdent(c.Name) + " IS NOT NULL"}); err != nil {
				return err
			}
		}
	}
	return nil
}

var fkRuleNames = map[string]string{catalog.FKRestrict: "RESTRICT", catalog.FKCascade: "CASCADE",
	catalog.FKSetNull: "SET NULL", catalog.FKSetDefault: "SET DEFAULT", catalog.FKNoAction: "NO ACTION"}

func genISReferentialConstraints(s *System, env *Env, add func(row) error) error {
	db := s.database(env)
	for _, t := range tables(env.Cat) {
		_, schema, _ := splitRel(env.Cat, t.Name)
		for i := range t.ForeignKeys {
			fk := &t.ForeignKeys[i]
			rw := row{"constraint_catalog": db, "constraint_schema": schema, "constraint_name": fk.Name,
				"match_option": "NONE", "update_rule": fkRuleNames[fk.OnUpdate], "delete_rule": fkRuleNames[fk.OnDelete]}
			if fk.Match == "f" {
				rw["match_option"] = "FULL"
			}
			if p, pcols := fkParent(env.Cat, fk); p != nil {
				if ix, ok := fkUniqueIndex(p, pcols); ok && ix.constraint {
					_, pschema, _ := splitRel(env.Cat, p.Name)
					rw["unique_constraint_catalog"], rw["unique_constraint_schema"], rw["unique_constraint_name"] = db, pschema, ix.name
				}
			}
			if err := add(rw); err != nil {
				return err
			}
		}
	}
	return nil
}

func genISSequences(s *System, env *Env, add func(row) error) error {
	db := s.database(env)
	for _, sq := range sequences(env.Cat) {
		_, sn, rel := splitRel(env.Cat, sq.Name)
		if err := add(row{"sequence_catalog": db, "sequence_schema": sn, "sequence_name": rel,
			"data_type": seqType(sq).String(), "numeric_precision": int64(8 * seqType(sq).Size()), "numeric_precision_radix": int64(2),
			"numeric_scale": int64(0), "start_value": itoa(sq.Start), "minimum_value": itoa(sq.Min),
			"maximum_value": itoa(sq.Max), "increment": itoa(sq.Increment), "cycle_option": yesNo(sq.Cycle)}); err != nil {
			return err
		}
	}
	return nil
}

func seqType(sq *catalog.Sequence) types.T {
	if sq.Type.Oid == 0 {
		return types.Int8
	}
	return sq.Type
}

// pgClassOID is pg_class's own OID (classid/refclassid of pg_depend).
const pgClassOID = 1259

// genDepend lists the dependencies clients read: a SERIAL's sequence is
// owned by its column (deptype 'a'), an index by its table.
func genDepend(s *System, env *Env, add func(row) error) error {
	for _, t := range tables(env.Cat) {
		for _, name := range t.Sequences {
			sq := env.Cat.Sequences[name]
			if sq == nil {
				continue
			}
			sub := int64(0)
			for n, i := range visibleColumns(t) {
				if defaultSequence(env.Cat, &t.Columns[i]) == name {
					sub = int64(n + 1)
				}
			}
			if err := add(row{"classid": int64(pgClassOID), "objid": int64(sq.ID), "objsubid": int64(0),
				"refclassid": int64(pgClassOID), "refobjid": int64(t.OID), "refobjsubid": sub, "deptype": "a"}); err != nil {
				return err
			}
		}
		for _, ix := range indexes(t) {
			if err := add(row{"classid": int64(pgClassOID), "objid": int64(ix.oid), "objsubid": int64(0),
				"refclassid": int64(pgClassOID), "refobjid": int64(t.OID), "refobjsubid": int64(0), "deptype": "a"}); err != nil {
				return err
			}
		}
	}
	return nil
}
