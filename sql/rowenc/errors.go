package rowenc

import (
	"errors"
	"fmt"

	"github.com/heliosdb/nano/sql/pgerror"
)

// ErrCorrupt is wrapped by every decoding error: the bytes are not a valid
// encoding for the given types. The returned error is a *pgerror.Error with
// code XX001 (data_corrupted); test with errors.Is(err, ErrCorrupt).
var ErrCorrupt = errors.New("rowenc: corrupt encoding")

// ErrUnsupportedType is wrapped when a type has no key or row encoding
// (code 0A000).
var ErrUnsupportedType = errors.New("rowenc: unsupported type")

func corrupt(format string, args ...any) error {
	return pgerror.Wrapf(ErrCorrupt, pgerror.DataCorrupted, format, args...)
}

func errCorruptAt(what string, off int) error {
	return corrupt("%s at offset %d", what, off)
}

func unsupported(t fmt.Stringer) error {
	return pgerror.Wrapf(ErrUnsupportedType, pgerror.FeatureNotSupported, "type %s", t)
}
