// Package types defines SQL types and values (datums) and their wire
// encodings.
//
// A Datum is a plain Go value; the Go type is fixed by the SQL type family:
//
//	NULL                         nil
//	boolean                      bool
//	smallint/integer/bigint/oid  int64   (range enforced on assignment/cast)
//	real/double precision        float64
//	numeric                      *apd.Decimal (never mutated once built)
//	text/varchar/char/name/json  string
//	bytea                        []byte  (never mutated once built)
//	date                         time.Time (midnight UTC)
//	timestamp                    time.Time (wall clock, location UTC)
//	timestamptz                  time.Time (instant, location UTC)
//	interval                     IntervalValue
//
// Datums are immutable: functions return new values and never modify their
// arguments, so rows can be shared between operators without copying.
package types

// Datum is one SQL value; see the package comment for the Go types used.
type Datum = any
