package wire_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/heliosdb/nano/proxy/wire"
)

func TestFrames(t *testing.T) {
	var stream []byte
	stream, _ = wire.AppendMsg(stream, &pgproto3.Query{String: "SELECT 1"})
	stream = wire.Append(stream, 'S', nil)
	r := wire.NewReader(bytes.NewReader(stream), 0)
	typ, body, err := r.Next()
	if err != nil || typ != 'Q' {
		t.Fatalf("query frame: %q %v", typ, err)
	}
	if s, rest, ok := wire.CString(body); !ok || s != "SELECT 1" || len(rest) != 0 {
		t.Errorf("CString = %q %q %v", s, rest, ok)
	}
	if typ, body, err = r.Next(); err != nil || typ != 'S' || len(body) != 0 {
		t.Fatalf("sync frame: %q %v", typ, err)
	}
	if _, _, err = r.Next(); err != io.EOF {
		t.Errorf("at end: %v", err)
	}
}

func TestBadFrames(t *testing.T) {
	cases := []struct {
		name   string
		stream []byte
		want   error
	}{
		{"short length", []byte{'Q', 0, 0, 0, 3}, wire.ErrBadLength},
		{"too large", []byte{'Q', 0, 0, 1, 0}, wire.ErrTooLarge},
		{"truncated", []byte{'Q', 0, 0, 0, 9, 'a'}, io.ErrUnexpectedEOF},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := wire.NewReader(bytes.NewReader(tc.stream), 100).Next()
			if !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}
