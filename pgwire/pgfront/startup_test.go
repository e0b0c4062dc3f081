package pgfront_test

import (
	"slices"
	"testing"

	"github.com/heliosdb/nano/pgwire/pgfront"
)

// TestStartupRefusalsMatchPostgreSQL: what the client sees for each
// malformed or refused startup, as PostgreSQL 15 answers it (each case
// was run against a PostgreSQL 15 server; its answers are the wants).
func TestStartupRefusalsMatchPostgreSQL(t *testing.T) {
	s := startServer(t, pgfront.Config{Rules: pgfront.SingleRule{Use: pgfront.MethodTrust}})
	mitm := " (This could be either a client-software bug or evidence of an attempted man-in-the-middle attack.)"
	cases := []struct {
		name    string
		send    []byte
		answers string // encryption answers expected first
		then    []byte // sent after the answers
		want    []string
	}{
		{name: "huge length", send: []byte{0x7f, 0, 0, 0, 0, 3, 0, 0}},
		{name: "negative length", send: []byte{0xff, 0xff, 0xff, 0xff}},
		{name: "http request", send: []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")},
		{name: "protocol 4.0", send: packet(4<<16, "user\x00u\x00\x00"),
			want: []string{"FATAL 0A000 unsupported frontend protocol 4.0: server supports 3.0 to 3.0"}},
		{name: "protocol 3.1 negotiated down", send: packet(3<<16|1, "user\x00u\x00\x00"),
			want: []string{"NegotiateProtocolVersion", "AuthenticationOk", "BackendKeyData", "ReadyForQuery"}},
		{name: "no user", send: packet(protocol30, "database\x00d\x00\x00"),
			want: []string{"FATAL 28000 no PostgreSQL user name specified in startup packet"}},
		{name: "unterminated parameters", send: packet(protocol30, "user\x00u"),
			want: []string{"FATAL 08P01 invalid startup packet layout: expected terminator as last byte"}},
		{name: "second SSLRequest", send: packet(sslRequest, ""), answers: "N", then: packet(sslRequest, ""),
			want: []string{"FATAL 0A000 unsupported frontend protocol 1234.5679: server supports 3.0 to 3.0"}},
		{name: "second GSSENCRequest", send: packet(gssEncRequest, ""), answers: "N", then: packet(gssEncRequest, ""),
			want: []string{"FATAL 0A000 unsupported frontend protocol 1234.5680: server supports 3.0 to 3.0"}},
		{name: "GSSENCRequest then SSLRequest", send: packet(gssEncRequest, ""), answers: "N", then: packet(sslRequest, ""),
			want: nil}, // answered N below, then the client hangs up
		// CVE-2021-23214: bytes after the request, before its answer, are
		// not read as protocol.
		{name: "startup pipelined after SSLRequest", send: append(packet(sslRequest, ""), startupPacket("u")...), answers: "N",
			want: []string{"FATAL 08P01 received unencrypted data after SSL request" + mitm}},
		{name: "startup pipelined after GSSENCRequest", send: append(packet(gssEncRequest, ""), startupPacket("u")...), answers: "N",
			want: []string{"FATAL 08P01 received unencrypted data after GSSAPI encryption request" + mitm}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			nc := dial(t, s.addr)
			if _, err := nc.Write(tc.send); err != nil {
				t.Fatal(err)
			}
			for i := range len(tc.answers) {
				if got := readByte(t, nc); got != tc.answers[i] {
					t.Fatalf("encryption answer %q, want %q", got, tc.answers[i])
				}
			}
			if tc.then != nil {
				if _, err := nc.Write(tc.then); err != nil {
					t.Fatal(err)
				}
			}
			if tc.name == "GSSENCRequest then SSLRequest" {
				if got := readByte(t, nc); got != 'N' {
					t.Fatalf("SSLRequest after GSSENCRequest answered %q", got)
				}
				return
			}
			if got := messages(nc, nc); !slices.Equal(got, tc.want) {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
		})
	}
}
