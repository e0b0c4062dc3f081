// Package types defines SQL types and values (datums), their PostgreSQL
// text and binary I/O, comparison, casts and arithmetic.
//
// A Datum is a plain Go value; the Go type is fixed by the SQL type family:
//
//	NULL                         nil
//	boolean                      bool
//	smallint/integer/bigint/oid  int64   (range enforced on assignment/cast)
//	pg_lsn, regclass             int64
//	real/double precision        float64 (real values are float32-exact)
//	numeric                      *apd.Decimal (never mutated once built)
//	text/varchar/char/name/json  string  (char(n) stored blank-padded,
//	                             jsonb normalized as PostgreSQL prints it)
//	uuid                         string  (canonical lower-case form)
//	bytea                        []byte  (never mutated once built)
//	date                         time.Time (midnight UTC)
//	timestamp                    time.Time (wall clock, location UTC)
//	timestamptz                  time.Time (instant, location UTC)
//	interval                     IntervalValue
//
// The interval datum type is IntervalValue because the name Interval is
// the T of the interval type (like Int4, Text).
//
// Datums are immutable: functions return new values and never modify their
// arguments, so rows can be shared between operators without copying.
//
// Numerics built here are canonical: exponent <= 0 (-exponent is
// PostgreSQL's dscale, so 1.50 keeps its scale), zero is never negative,
// NaN and ±Infinity use apd's forms. Addition, subtraction and
// multiplication are exact (scale = max / sum of the operand scales, as
// PostgreSQL); division rounds half away from zero to PostgreSQL's
// select_div_scale: at least 16 significant digits, at least either
// operand's scale, at most 1000 digits after the point.
//
// Errors are *pgerror.Error with PostgreSQL's SQLSTATE and message text
// (22P02 invalid input syntax, 22003 out of range, 22001 value too long,
// 22012 division by zero, 22007/22008 date/time input, 22P03 binary
// format, 42846 cannot cast, 42704 unknown type).
//
// Not supported (yet): infinite dates/timestamps, 'now'/'today' literals
// (the executor owns the clock), time/timetz values, arrays, IntervalStyle
// other than postgres, DateStyle other than ISO, MDY, collations other than
// C (strings compare bytewise; char(n) compares with its padding).
package types

// Datum is one SQL value; see the package comment for the Go types used.
type Datum = any
