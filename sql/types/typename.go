package types

import (
	"strings"

	"github.com/heliosdb/nano/sql/pgerror"
)

// More types without modifiers (the common ones are in types.go).
var (
	UUID  = T{OidUUID, -1}
	JSON  = T{OidJSON, -1}
	JSONB = T{OidJSONB, -1}
	Char  = T{OidChar, -1}
	Time  = T{OidTime, -1}
)

// typeNames maps the names pg_query and users write to types.
var typeNames = map[string]T{
	"int2": Int2, "smallint": Int2,
	"int4": Int4, "int": Int4, "integer": Int4,
	"int8": Int8, "bigint": Int8,
	"text": Text, "varchar": Varchar, "character varying": Varchar,
	"bpchar": Bpchar, "char": Bpchar, "character": Bpchar,
	"numeric": Numeric, "decimal": Numeric,
	"float4": Float4, "real": Float4,
	"float8": Float8, "double precision": Float8, "float": Float8,
	"bool": Bool, "boolean": Bool,
	"timestamp": Timestamp, "timestamp without time zone": Timestamp,
	"timestamptz": Timestamptz, "timestamp with time zone": Timestamptz,
	"date": Date, "bytea": Bytea, "interval": Interval, "name": Name,
	"oid": Oid4, "json": {OidJSON, -1}, "jsonb": {OidJSONB, -1},
	"uuid": {OidUUID, -1}, "pg_lsn": PgLSN, "regclass": Regclass, "regtype": Regtype, "regproc": {OidRegproc, -1}, "regprocedure": {OidRegprocedure, -1},
	"regnamespace": {OidRegnamespace, -1}, "regrole": {OidRegrole, -1},
	"unknown": Unknown, "void": Void, "record": {OidRecord, -1},
	"\"char\"": {OidChar, -1},
	"time":     {OidTime, -1}, "time without time zone": {OidTime, -1},
	"_text": {OidTextArray, -1},
	"_int4": {OidInt4Array, -1},
	"_int8": {OidInt8Array, -1},
	"_int2": {OidInt2Array, -1},
	"_name": {OidNameArray, -1},
	"_oid":  {OidOidArray, -1},
	"_char": {OidCharArray, -1},
}

// ParseTypeName resolves a type name as pg_query reports it (the last
// element of TypeName.Names, or "pg_catalog.int4"; case-insensitive) plus
// its integer modifiers: varchar(n), char(n) (char without a length is
// char(1)), numeric(p[,s]), float(p), timestamp(p). Unknown names fail with
// 42704 `type "x" does not exist`; bad modifiers with 22023 or 42601.
func ParseTypeName(name string, mods []int32) (T, error) {
	n := strings.Join(strings.Fields(strings.ToLower(name)), " ")
	n = strings.TrimPrefix(n, "pg_catalog.")
	t, ok := typeNames[n]
	if n == "timetz" || n == "time with time zone" {
		return Unknown, pgerror.New(pgerror.FeatureNotSupported, "type time with time zone is not supported")
	}
	if !ok && strings.HasSuffix(n, "[]") {
		et, err := ParseTypeName(strings.TrimSpace(strings.TrimSuffix(n, "[]")), mods)
		if err != nil {
			return Unknown, err
		}
		if at, ok := ArrayOf(et); ok {
			return at, nil
		}
		return Unknown, pgerror.Newf(pgerror.UndefinedObject, "could not find array type for data type %s", et)
	}
	if !ok && strings.HasPrefix(n, "_") {
		if et, err := ParseTypeName(n[1:], nil); err == nil {
			if at, ok := ArrayOf(et); ok {
				return at, nil
			}
		}
	}
	if !ok {
		return Unknown, pgerror.Newf(pgerror.UndefinedObject, "type \"%s\" does not exist", name)
	}
	if (n == "char" || n == "character") && len(mods) == 0 {
		return BpcharN(1), nil
	}
	if len(mods) == 0 {
		return t, nil
	}
	switch t.Oid {
	case OidVarchar, OidBpchar:
		return lengthMod(t, n, mods)
	case OidNumeric:
		return numericMod(mods)
	case OidFloat4, OidFloat8:
		return floatMod(mods)
	case OidTimestamp, OidTimestamptz, OidTime, OidInterval:
		if len(mods) == 1 && mods[0] >= 0 {
			if t.Oid == OidInterval {
				return t, nil
			}
			return T{t.Oid, min(mods[0], 6)}, nil
		}
	}
	return Unknown, pgerror.Newf(pgerror.SyntaxError, "type modifier is not allowed for type \"%s\"", n)
}

func lengthMod(t T, name string, mods []int32) (T, error) {
	short := "varchar"
	if t.Oid == OidBpchar {
		short = "char"
	}
	switch {
	case len(mods) != 1:
		return Unknown, pgerror.Newf(pgerror.InvalidParameterValue, "invalid type modifier")
	case mods[0] < 1:
		return Unknown, pgerror.Newf(pgerror.InvalidParameterValue, "length for type %s must be at least 1", short)
	case mods[0] > 10485760:
		return Unknown, pgerror.Newf(pgerror.InvalidParameterValue, "length for type %s cannot exceed 10485760", short)
	}
	return T{t.Oid, mods[0] + 4}, nil
}

func numericMod(mods []int32) (T, error) {
	if len(mods) > 2 {
		return Unknown, pgerror.New(pgerror.InvalidParameterValue, "invalid NUMERIC type modifier")
	}
	p, s := mods[0], int32(0)
	if len(mods) == 2 {
		s = mods[1]
	}
	if p < 1 || p > 1000 {
		return Unknown, pgerror.Newf(pgerror.InvalidParameterValue, "NUMERIC precision %d must be between 1 and 1000", p)
	}
	if s < 0 || s > p {
		return Unknown, pgerror.Newf(pgerror.InvalidParameterValue, "NUMERIC scale %d must be between 0 and precision %d", s, p)
	}
	return NumericPS(int(p), int(s)), nil
}

func floatMod(mods []int32) (T, error) {
	switch p := mods[0]; {
	case len(mods) != 1:
		return Unknown, pgerror.New(pgerror.InvalidParameterValue, "invalid type modifier")
	case p < 1:
		return Unknown, pgerror.New(pgerror.InvalidParameterValue, "precision for type float must be at least 1 bit")
	case p > 53:
		return Unknown, pgerror.New(pgerror.InvalidParameterValue, "precision for type float must be less than 54 bits")
	case p <= 24:
		return Float4, nil
	}
	return Float8, nil
}

// numericRank orders the numeric types for implicit widening, following
// PostgreSQL's implicit casts: int2 < int4 < int8 < numeric < float4 <
// float8.
func numericRank(o Oid) int {
	switch o {
	case OidInt2:
		return 1
	case OidInt4:
		return 2
	case OidInt8:
		return 3
	case OidNumeric:
		return 4
	case OidFloat4:
		return 5
	case OidFloat8:
		return 6
	case OidOid, OidRegclass, OidRegproc, OidRegprocedure, OidRegnamespace, OidRegrole:
		return 3
	}
	return 0
}

// CommonType returns the type both a and b convert to implicitly, for
// UNION, CASE, COALESCE and comparisons: equal types keep their modifier
// only when both agree; unknown adopts the other side (both unknown gives
// text); numbers widen int2<int4<int8<numeric<float4<float8; different
// string types give text; date/timestamp/timestamptz widen to the later of
// those. ok is false when there is no common type.
func CommonType(a, b T) (T, bool) {
	switch {
	case a.Oid == OidUnknown && b.Oid == OidUnknown:
		return Text, true
	case a.Oid == b.Oid:
		if a.Mod != b.Mod {
			a.Mod = -1
		}
		return a, true
	case a.Oid == OidUnknown:
		return b, true
	case b.Oid == OidUnknown:
		return a, true
	}
	if ea, ok := ElemOf(a); ok {
		if eb, ok := ElemOf(b); ok {
			if e, ok := CommonType(ea, eb); ok {
				return ArrayOf(e)
			}
		}
		return Unknown, false
	}
	ra, rb := numericRank(a.Oid), numericRank(b.Oid)
	if ra > 0 && rb > 0 {
		if (a.Oid == OidOid) != (b.Oid == OidOid) && ra == rb {
			return Int8, true
		}
		if ra >= rb {
			return T{a.Oid, -1}, true
		}
		return T{b.Oid, -1}, true
	}
	fa, fb := a.Family(), b.Family()
	if fa == FamString && fb == FamString {
		return Text, true
	}
	if ta, tb := timeRank(fa), timeRank(fb); ta > 0 && tb > 0 {
		return [...]T{Date, Timestamp, Timestamptz}[max(ta, tb)-1], true
	}
	return Unknown, false
}

func timeRank(f Family) int {
	switch f {
	case FamDate:
		return 1
	case FamTimestamp:
		return 2
	case FamTimestamptz:
		return 3
	}
	return 0
}
