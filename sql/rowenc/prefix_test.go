package rowenc_test

import (
	"bytes"
	"testing"

	"github.com/heliosdb/nano/sql/rowenc"
	"github.com/heliosdb/nano/sql/types"
)

func TestPrefixEnd(t *testing.T) {
	cases := []struct {
		name   string
		prefix []byte
		want   []byte
	}{
		{"empty", nil, nil},
		{"simple", []byte{1, 2}, []byte{1, 3}},
		{"carry", []byte{1, 0xFF}, []byte{2}},
		{"all ff", []byte{0xFF, 0xFF}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := rowenc.PrefixEnd(tc.prefix); !bytes.Equal(got, tc.want) {
				t.Fatalf("PrefixEnd(%x) = %x, want %x", tc.prefix, got, tc.want)
			}
		})
	}
	// Every composite key extending a prefix sorts inside [prefix, end).
	prefix := rowenc.AppendKey(nil, int64(7), types.Int4)
	end := rowenc.PrefixEnd(prefix)
	for _, s := range []types.Datum{nil, "", "zzz\xff\xff"} {
		k := rowenc.AppendKey(append([]byte(nil), prefix...), s, types.Text)
		if bytes.Compare(k, prefix) < 0 || bytes.Compare(k, end) >= 0 {
			t.Fatalf("key %x outside [%x, %x)", k, prefix, end)
		}
	}
	next := rowenc.AppendKey(nil, int64(8), types.Int4)
	if bytes.Compare(end, next) > 0 {
		t.Fatalf("end %x passes the next value's key %x", end, next)
	}
}
