package types

import "github.com/heliosdb/nano/sql/pgerror"

var errTODO = pgerror.New(pgerror.FeatureNotSupported, "not implemented yet")

// AppendBinary appends the binary send format of d.
func AppendBinary(buf []byte, d Datum, t T) ([]byte, error) { return buf, errTODO }

// DecodeBinary decodes the binary recv format.
func DecodeBinary(t T, b []byte) (Datum, error) { return nil, errTODO }

// HasBinary reports whether oid has binary I/O.
func HasBinary(oid Oid) bool { return false }

// Compare compares two non-nil datums of the same family.
func Compare(a, b Datum) int { return 0 }

// Cast converts d from one type to another.
func Cast(d Datum, from, to T, explicit bool) (Datum, error) { return nil, errTODO }

// ParseTypeName resolves a type name.
func ParseTypeName(name string, mods []int32) (T, error) { return Unknown, errTODO }

// CommonType returns the common type of a and b.
func CommonType(a, b T) (T, bool) { return a, a == b }

// Add returns a+b.
func Add(a, b Datum, t T) (Datum, error) { return nil, errTODO }

// Sub returns a-b.
func Sub(a, b Datum, t T) (Datum, error) { return nil, errTODO }

// Mul returns a*b.
func Mul(a, b Datum, t T) (Datum, error) { return nil, errTODO }

// Div returns a/b.
func Div(a, b Datum, t T) (Datum, error) { return nil, errTODO }

// Mod returns a%b.
func Mod(a, b Datum, t T) (Datum, error) { return nil, errTODO }

// Neg returns -a.
func Neg(a Datum, t T) (Datum, error) { return nil, errTODO }
