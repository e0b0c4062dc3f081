package rowenc

import (
	"fmt"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/heliosdb/nano/sql/types"
)

// kind is the Go representation of a type's datums.
type kind uint8

const (
	kindUnsupported kind = iota
	kindBool
	kindInt
	kindFloat
	kindNumeric
	kindString
	kindBytes
	kindTime
	kindInterval
	kindArray
)

// kindOf maps a SQL type to its datum kind (see the types package comment).
func kindOf(t types.T) kind {
	switch t.Oid {
	case types.OidUUID, types.OidJSON, types.OidJSONB, types.OidUnknown:
		return kindString
	case types.OidPgLSN, types.OidTime:
		return kindInt
	}
	switch t.Family() {
	case types.FamBool:
		return kindBool
	case types.FamInt:
		return kindInt
	case types.FamFloat:
		return kindFloat
	case types.FamNumeric:
		return kindNumeric
	case types.FamString:
		return kindString
	case types.FamBytes:
		return kindBytes
	case types.FamDate, types.FamTimestamp, types.FamTimestamptz:
		return kindTime
	case types.FamInterval:
		return kindInterval
	case types.FamArray:
		if et, _ := types.ElemOf(t); kindOf(et) != kindUnsupported {
			return kindArray
		}
	}
	return kindUnsupported
}

// datumKind is the kind of a datum's Go type.
func datumKind(d types.Datum) kind {
	switch d.(type) {
	case bool:
		return kindBool
	case int64:
		return kindInt
	case float64:
		return kindFloat
	case *apd.Decimal:
		return kindNumeric
	case string:
		return kindString
	case []byte:
		return kindBytes
	case time.Time:
		return kindTime
	case types.IntervalValue:
		return kindInterval
	case *types.Array:
		return kindArray
	}
	return kindUnsupported
}

// coerce returns d in t's kind, converting the lossless mismatches an
// executor may leave (int64 for numeric/float, float for numeric via its
// value). Any other mismatch is a caller bug and panics: encoders have no
// error path and must not write a value that cannot be decoded.
func coerce(d types.Datum, t types.T) (types.Datum, kind) {
	want, have := kindOf(t), datumKind(d)
	if want == have && want != kindUnsupported {
		return d, have
	}
	switch {
	case want == kindNumeric && have == kindInt:
		return apd.New(d.(int64), 0), kindNumeric
	case want == kindFloat && have == kindInt:
		return float64(d.(int64)), kindFloat
	case want == kindBytes && have == kindString:
		return []byte(d.(string)), kindBytes
	case want == kindString && have == kindBytes:
		return string(d.([]byte)), kindString
	case want == kindArray && have == kindString:
		if a, err := types.AsArray(d, t); err == nil {
			return a, kindArray
		}
	}
	panic(fmt.Sprintf("rowenc: datum %v of Go type %T cannot be encoded as %s", d, d, t))
}
