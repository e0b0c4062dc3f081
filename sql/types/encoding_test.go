package types_test

import (
	"testing"

	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

// Messages checked against PostgreSQL 15 (SELECT, Bind text and binary).
func TestVerifyEncoding(t *testing.T) {
	for _, tc := range []struct {
		in, msg string
	}{
		{"plain ascii", ""},
		{"héllo ✓ 😀", ""},
		{"a\xffb", `invalid byte sequence for encoding "UTF8": 0xff`},
		{"SELECT 'a\xc3'", `invalid byte sequence for encoding "UTF8": 0xc3 0x27`},
		{"a\x00b", `invalid byte sequence for encoding "UTF8": 0x00`},
		{"\xe2\x82", `invalid byte sequence for encoding "UTF8": 0xe2 0x82`},
		{"\xed\xa0\x80", `invalid byte sequence for encoding "UTF8": 0xed 0xa0 0x80`}, // a surrogate
		{"\xc0\xaf", `invalid byte sequence for encoding "UTF8": 0xc0 0xaf`},          // overlong
	} {
		err := types.VerifyEncoding(tc.in)
		if tc.msg == "" {
			if err != nil {
				t.Errorf("%q: %v", tc.in, err)
			}
			continue
		}
		pe := pgerror.Flatten(err)
		if err == nil || pe.Code != pgerror.CharacterNotInRepertoire || pe.Message != tc.msg {
			t.Errorf("%q: %v, want 22021 %s", tc.in, err, tc.msg)
		}
		if err2 := types.VerifyEncoding([]byte(tc.in)); err2 == nil || err2.Error() != err.Error() {
			t.Errorf("%q as bytes: %v", tc.in, err2)
		}
	}
}
