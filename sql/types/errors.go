package types

import (
	"github.com/heliosdb/nano/sql/pgerror"
)

// msgName is the type name PostgreSQL uses in input-function error
// messages (no modifiers, "timestamp" rather than "timestamp without time
// zone").
func msgName(t T) string {
	switch t.Oid {
	case OidTimestamp:
		return "timestamp"
	case OidTime:
		return "time"
	case OidVarchar:
		return "character varying"
	case OidBpchar:
		return "character"
	case OidNumeric:
		return "numeric"
	}
	return t.String()
}

// errSyntax is 22P02 `invalid input syntax for type X: "s"`.
func errSyntax(t T, s string) error {
	return pgerror.Newf(pgerror.InvalidTextRepresentation,
		"invalid input syntax for type %s: \"%s\"", msgName(t), s)
}

// errDatetimeSyntax is 22007 for the date/time input functions.
func errDatetimeSyntax(t T, s string) error {
	return pgerror.Newf(pgerror.InvalidDatetimeFormat,
		"invalid input syntax for type %s: \"%s\"", msgName(t), s)
}

// errFieldRange is 22008 `date/time field value out of range: "s"`.
func errFieldRange(s string) error {
	return pgerror.Newf(pgerror.DatetimeFieldOverflow,
		"date/time field value out of range: \"%s\"", s)
}

// errIntRange is 22003 "integer out of range" for the result type t.
func errIntRange(t T) error {
	switch t.Oid {
	case OidInt2:
		return pgerror.New(pgerror.NumericValueOutOfRange, "smallint out of range")
	case OidInt8:
		return pgerror.New(pgerror.NumericValueOutOfRange, "bigint out of range")
	case OidOid, OidRegclass, OidRegproc, OidRegprocedure, OidRegnamespace, OidRegrole:
		return pgerror.New(pgerror.NumericValueOutOfRange, "OID out of range")
	}
	return pgerror.New(pgerror.NumericValueOutOfRange, "integer out of range")
}

func errDivZero() error {
	return pgerror.New(pgerror.DivisionByZero, "division by zero")
}

func errFloatOverflow() error {
	return pgerror.New(pgerror.NumericValueOutOfRange, "value out of range: overflow")
}

func errFloatUnderflow() error {
	return pgerror.New(pgerror.NumericValueOutOfRange, "value out of range: underflow")
}

func errBinary(t T, format string, args ...any) error {
	e := pgerror.Newf(pgerror.InvalidBinaryRepresentation, format, args...)
	return e.WithDetail("while decoding binary %s", t.String())
}

func errCannotCast(from, to T) error {
	return pgerror.Newf(pgerror.CannotCoerce, "cannot cast type %s to %s", from, to)
}

func errTimestampRange() error {
	return pgerror.New(pgerror.DatetimeFieldOverflow, "timestamp out of range")
}

func errIntervalRange() error {
	return pgerror.New(pgerror.DatetimeFieldOverflow, "interval out of range")
}
