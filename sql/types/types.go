package types

import "fmt"

// Oid is a PostgreSQL type OID as sent in RowDescription and Parse.
type Oid = uint32

// Type OIDs from PostgreSQL's pg_type.dat.
const (
	OidUnknown      Oid = 705
	OidBool         Oid = 16
	OidBytea        Oid = 17
	OidName         Oid = 19
	OidInt8         Oid = 20
	OidInt2         Oid = 21
	OidInt4         Oid = 23
	OidText         Oid = 25
	OidOid          Oid = 26
	OidJSON         Oid = 114
	OidFloat4       Oid = 700
	OidFloat8       Oid = 701
	OidBpchar       Oid = 1042
	OidVarchar      Oid = 1043
	OidDate         Oid = 1082
	OidTime         Oid = 1083
	OidTimestamp    Oid = 1114
	OidTimestamptz  Oid = 1184
	OidInterval     Oid = 1186
	OidNumeric      Oid = 1700
	OidUUID         Oid = 2950
	OidJSONB        Oid = 3802
	OidPgLSN        Oid = 3220
	OidRegclass     Oid = 2205
	OidRegtype      Oid = 2206
	OidRegproc      Oid = 24
	OidRegprocedure Oid = 2202
	OidRegnamespace Oid = 4089
	OidRegrole      Oid = 4096
	OidTextArray    Oid = 1009
	OidInt4Array    Oid = 1007
	OidInt8Array    Oid = 1016
	OidNameArray    Oid = 1003
	OidInt2Array    Oid = 1005
	OidOidArray     Oid = 1028
	OidCharArray    Oid = 1002
	OidChar         Oid = 18
	OidVoid         Oid = 2278
	OidRecord       Oid = 2249
)

// T is a SQL type: an OID and a type modifier encoded as PostgreSQL encodes
// atttypmod (-1 = none; varchar(n)/char(n) = n+4; numeric(p,s) =
// ((p<<16)|s)+4).
type T struct {
	Oid Oid
	Mod int32
}

// RegName is a result value of an OID-valued reg* type (regclass,
// regnamespace, regrole) as the statement's output gives it to a client:
// its text form is the object's name, its binary form the OID, as
// PostgreSQL's output and send functions give them.
type RegName struct {
	OID  int64
	Name string
}

// Common types without modifiers.
var (
	Unknown     = T{OidUnknown, -1}
	Bool        = T{OidBool, -1}
	Bytea       = T{OidBytea, -1}
	Int2        = T{OidInt2, -1}
	Int4        = T{OidInt4, -1}
	Int8        = T{OidInt8, -1}
	Float4      = T{OidFloat4, -1}
	Float8      = T{OidFloat8, -1}
	Numeric     = T{OidNumeric, -1}
	Text        = T{OidText, -1}
	Varchar     = T{OidVarchar, -1}
	Bpchar      = T{OidBpchar, -1}
	Name        = T{OidName, -1}
	Date        = T{OidDate, -1}
	Timestamp   = T{OidTimestamp, -1}
	Timestamptz = T{OidTimestamptz, -1}
	Interval    = T{OidInterval, -1}
	Oid4        = T{OidOid, -1}
	PgLSN       = T{OidPgLSN, -1}
	Regclass    = T{OidRegclass, -1}
	Regtype     = T{OidRegtype, -1}
	Void        = T{OidVoid, -1}
)

// VarcharN returns varchar(n).
func VarcharN(n int) T { return T{OidVarchar, int32(n) + 4} }

// BpcharN returns char(n).
func BpcharN(n int) T { return T{OidBpchar, int32(n) + 4} }

// NumericPS returns numeric(p,s).
func NumericPS(p, s int) T { return T{OidNumeric, int32(p<<16|s) + 4} }

// Length returns n for varchar(n)/char(n), or -1.
func (t T) Length() int {
	if (t.Oid == OidVarchar || t.Oid == OidBpchar) && t.Mod >= 4 {
		return int(t.Mod - 4)
	}
	return -1
}

// PrecisionScale returns (p, s, true) for numeric(p,s).
func (t T) PrecisionScale() (int, int, bool) {
	if t.Oid != OidNumeric || t.Mod < 4 {
		return 0, 0, false
	}
	m := t.Mod - 4
	return int(m >> 16), int(m & 0xffff), true
}

// Size is the typlen PostgreSQL reports in RowDescription (-1 = varlena).
func (t T) Size() int16 {
	switch t.Oid {
	case OidBool, OidChar:
		return 1
	case OidInt2:
		return 2
	case OidInt4, OidFloat4, OidDate, OidOid, OidRegclass, OidRegtype, OidRegproc, OidRegprocedure, OidRegnamespace, OidRegrole:
		return 4
	case OidInt8, OidFloat8, OidTimestamp, OidTimestamptz, OidTime, OidPgLSN:
		return 8
	case OidInterval, OidUUID:
		return 16
	case OidName:
		return 64
	}
	return -1
}

// Family groups types that convert implicitly and compare with each other.
type Family int

const (
	FamUnknown Family = iota
	FamBool
	FamInt
	FamFloat
	FamNumeric
	FamString
	FamBytes
	FamDate
	FamTimestamp
	FamTimestamptz
	FamInterval
	FamOther
	FamArray
	FamTime // time without time zone
)

// Family returns t's family.
func (t T) Family() Family {
	switch t.Oid {
	case OidBool:
		return FamBool
	case OidInt2, OidInt4, OidInt8, OidOid, OidRegclass, OidRegproc, OidRegprocedure, OidRegnamespace, OidRegrole:
		return FamInt
	case OidFloat4, OidFloat8:
		return FamFloat
	case OidNumeric:
		return FamNumeric
	case OidText, OidVarchar, OidBpchar, OidName, OidChar, OidJSON, OidJSONB, OidRegtype:
		return FamString
	case OidBytea:
		return FamBytes
	case OidDate:
		return FamDate
	case OidTimestamp:
		return FamTimestamp
	case OidTimestamptz:
		return FamTimestamptz
	case OidInterval:
		return FamInterval
	case OidTime:
		return FamTime
	case OidUnknown:
		return FamUnknown
	}
	if t.IsArray() {
		return FamArray
	}
	return FamOther
}

// String returns the SQL name PostgreSQL's format_type would print.
func (t T) String() string {
	switch t.Oid {
	case OidBool:
		return "boolean"
	case OidBytea:
		return "bytea"
	case OidName:
		return "name"
	case OidInt8:
		return "bigint"
	case OidInt2:
		return "smallint"
	case OidInt4:
		return "integer"
	case OidText:
		return "text"
	case OidOid:
		return "oid"
	case OidFloat4:
		return "real"
	case OidFloat8:
		return "double precision"
	case OidBpchar:
		if n := t.Length(); n >= 0 {
			return fmt.Sprintf("character(%d)", n)
		}
		return "character"
	case OidVarchar:
		if n := t.Length(); n >= 0 {
			return fmt.Sprintf("character varying(%d)", n)
		}
		return "character varying"
	case OidDate:
		return "date"
	case OidTime:
		return "time without time zone"
	case OidTimestamp:
		return "timestamp without time zone"
	case OidTimestamptz:
		return "timestamp with time zone"
	case OidInterval:
		return "interval"
	case OidNumeric:
		if p, s, ok := t.PrecisionScale(); ok {
			return fmt.Sprintf("numeric(%d,%d)", p, s)
		}
		return "numeric"
	case OidUnknown:
		return "unknown"
	case OidJSON:
		return "json"
	case OidJSONB:
		return "jsonb"
	case OidUUID:
		return "uuid"
	case OidPgLSN:
		return "pg_lsn"
	case OidRegclass:
		return "regclass"
	case OidRegtype:
		return "regtype"
	case OidRegproc:
		return "regproc"
	case OidRegprocedure:
		return "regprocedure"
	case OidRegnamespace:
		return "regnamespace"
	case OidRegrole:
		return "regrole"
	case OidVoid:
		return "void"
	case OidChar:
		return "\"char\""
	case OidRecord:
		return "record"
	}
	if et, ok := ElemOf(t); ok {
		return et.String() + "[]"
	}
	return fmt.Sprintf("oid%d", t.Oid)
}
