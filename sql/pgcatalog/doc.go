// Package pgcatalog generates PostgreSQL's system catalogs (pg_catalog)
// and the information_schema views from our own catalog, on every read, so
// that psql, drivers and ORMs find what they look for.
//
// Every relation is read-only and has the columns (names, order, types) of
// PostgreSQL 15, generated from a real server into columns_gen.go; types we
// do not have are mapped (pg_node_tree → text, regproc/regtype → name,
// xid → oid). Rows come from the *catalog.Catalog of the reading
// transaction (Env.Cat), so a transaction sees its own DDL, plus the
// node-level state given in Config (roles, sessions, standbys).
//
// # OIDs
//
// Built-in objects have PostgreSQL's OIDs: types (pg_type.dat), namespaces
// pg_catalog 11, public 2200, information_schema 13207, the bootstrap
// superuser 10, access methods, collations, and the system relations
// themselves. User objects have stable OIDs persisted in their
// descriptors: a table's OID, its primary key's index (Table.PKOID), each
// index (Index.OID), a sequence's ID, all allocated from the one
// descriptor counter (16384 and up, as PostgreSQL's first user OID), so
// they are unique across pg_class. Constraint OIDs are those of the index
// behind them. Descriptors written before PKOID/Index.OID existed get a
// derived OID (derivedBit | table OID, derivedBit | index ID) that stays
// the same across restarts. pg_attrdef OIDs are table OID × 1000 + attnum
// truncated to 32 bits (unique within pg_attrdef below 4.29 million
// tables).
//
// # Names
//
// Lookup resolves "pg_catalog.x", "information_schema.x" and unqualified
// pg_catalog names (pg_catalog is implicitly first on every search path,
// as in PostgreSQL).
//
// # Functions
//
// Functions lists the catalog functions clients call (format_type,
// pg_get_indexdef, pg_get_constraintdef, pg_get_expr, pg_table_is_visible,
// obj_description, has_table_privilege, …); they read the same Env.
//
// # pg_proc
//
// pg_proc holds PostgreSQL 15's rows, every overload with its OID, of each
// function name the engine implements (Config.HasFunction), from
// proc_gen.go, which genproc writes from a running PostgreSQL 15
// (go generate, HELIOSDB_PG_DSN) together with what that server answers
// for pg_get_function_arguments, pg_get_function_identity_arguments,
// pg_get_function_result, regprocedure output and obj_description of each
// row (pg_description lists those descriptions). An overload is listed
// with its name even where the engine does not accept its argument types
// (lower(anyrange)): psql's \df and regproc's "more than one function"
// answer as PostgreSQL's. regproc and regprocedure input and output
// (RegprocIn, RegprocedureIn, …) read these rows. There is no CREATE
// FUNCTION, so there are no other rows.
package pgcatalog
