package types_test

import (
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

// mustParse parses s as t or fails the test.
func mustParse(t *testing.T, typ types.T, s string) types.Datum {
	t.Helper()
	d, err := types.ParseText(typ, s)
	if err != nil {
		t.Fatalf("ParseText(%s, %q): %v", typ, s, err)
	}
	return d
}

// dec parses a numeric literal or fails the test.
func dec(t *testing.T, s string) *apd.Decimal {
	t.Helper()
	d, err := types.NewNumeric(s)
	if err != nil {
		t.Fatalf("NewNumeric(%q): %v", s, err)
	}
	return d
}

// wantCode checks that err is a *pgerror.Error with code.
func wantCode(t *testing.T, err error, code pgerror.Code) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	var pe *pgerror.Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T) is not a *pgerror.Error", err, err)
	}
	if pe.Code != code {
		t.Fatalf("code = %s (%q), want %s", pe.Code, pe.Message, code)
	}
}

func ts(s string) time.Time {
	v, err := time.Parse("2006-01-02 15:04:05.999999", s)
	if err != nil {
		panic(err)
	}
	return v
}

func bigInt(v int64) *big.Int { return big.NewInt(v) }
