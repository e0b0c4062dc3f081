package pgerror_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/heliosdb/nano/sql/pgerror"
)

func TestCodeOf(t *testing.T) {
	base := pgerror.New(pgerror.UniqueViolation, "duplicate key")
	wrapped := fmt.Errorf("insert: %w", base)
	cases := []struct {
		name string
		err  error
		want pgerror.Code
	}{
		{"nil", nil, ""},
		{"plain", errors.New("boom"), pgerror.InternalError},
		{"direct", base, pgerror.UniqueViolation},
		{"wrapped", wrapped, pgerror.UniqueViolation},
		{"withcode keeps", pgerror.WithCode(wrapped, pgerror.SyntaxError), pgerror.UniqueViolation},
		{"withcode sets", pgerror.WithCode(errors.New("x"), pgerror.SyntaxError), pgerror.SyntaxError},
		{"wrapf keeps", pgerror.Wrapf(base, pgerror.InternalError, "ctx"), pgerror.UniqueViolation},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := pgerror.CodeOf(tc.err); got != tc.want {
				t.Fatalf("CodeOf = %q, want %q", got, tc.want)
			}
		})
	}
}
