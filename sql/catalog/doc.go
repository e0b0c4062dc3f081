// Package catalog holds the SQL schema descriptors (tables, columns,
// indexes, sequences, views) and their persistence in storage buckets.
//
// # Storage layout
//
// Every bucket and key name used by the SQL layer is declared once in
// schema.go:
//
//	bucket "sys.catalog"
//	    "version"        8-byte big-endian catalog version, bumped by every DDL
//	    "nextid"         8-byte big-endian next descriptor ID to allocate
//	    "table/<name>"   JSON Table descriptor
//	    "seq/<name>"     JSON Sequence descriptor
//	    "view/<name>"    JSON View descriptor (defining query as SQL text)
//	    "role/<name>"    JSON Role descriptor (roles.go): attributes, the
//	                     SCRAM verifier or md5 hash, memberships by OID
//	    "schema/public"  JSON []Grant: who was granted CREATE on schema public
//	    "nsp/<name>"     JSON Schema descriptor (CREATE SCHEMA; namespace.go):
//	                     its relations are named "<name>.<rel>" above
//	bucket "sys.seq"
//	    "<name>"         8-byte big-endian: the highest value handed out
//	                     (allocated in blocks by an autonomous commit)
//	bucket "t/<id>"      table rows: key = rowenc keys of the primary key
//	                     columns, value = rowenc.EncodeRow of all columns
//	bucket "i/<id>"      one bucket per secondary index: unique index key =
//	                     index columns (+ PK when a column is NULL) -> PK key;
//	                     non-unique key = index columns + PK -> empty
//
// Tables without a primary key get a hidden int8 column "rowid" that is the
// key. TRUNCATE gives the table and its indexes fresh IDs (fresh buckets) and
// drops the old buckets, so no batch ever drops and recreates one bucket.
//
// Descriptors are plain values: a *Catalog is immutable once built and may
// be shared by concurrent transactions.
package catalog
