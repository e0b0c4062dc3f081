package pgwire_test

import (
	"encoding/binary"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/heliosdb/nano/pgwire"
	"github.com/heliosdb/nano/pgwire/pgwiretest"
)

// header returns a typed message header with the given length field.
func header(typ byte, length uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte{typ}, length)
}

// startupPacket returns a startup packet with version and body.
func startupPacket(version uint32, body []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(8+len(body)))
	b = binary.BigEndian.AppendUint32(b, version)
	return append(b, body...)
}

func assertServing(t *testing.T, addr string) {
	t.Helper()
	rc := startupRaw(t, addr)
	rc.send(&pgproto3.Query{String: pgwiretest.SelectOne})
	if got := rc.untilReady(); !slices.Contains(got, "DataRow 1") {
		t.Fatalf("server no longer serves: %q", got)
	}
}

func TestBadMessagesAfterStartup(t *testing.T) {
	_, addr, _ := startServer(t, pgwire.Config{AuthMethod: pgwire.AuthTrust, MaxMessageSize: 1024})
	cases := []struct {
		name  string
		bytes []byte
		want  []string
	}{
		{"oversized", append(header('Q', 4+2000), make([]byte, 2000)...), []string{"ErrorResponse FATAL 54000"}},
		{"oversized length only", header('Q', 0x7fffffff), []string{"ErrorResponse FATAL 54000"}},
		{"negative length", header('Q', 0xffffffff), []string{"ErrorResponse FATAL 08P01"}},
		{"length below 4", header('Q', 2), []string{"ErrorResponse FATAL 08P01"}},
		{"unknown type", header('z', 4), []string{"ErrorResponse FATAL 08P01"}},
		{"password message after startup", append(header('p', 7), 'a', 'b', 0), []string{"ErrorResponse FATAL 08P01"}},
		{"malformed bind", append(header('B', 4+4), 0, 0, 0xff, 0xff), []string{"ErrorResponse FATAL 08P01"}},
		{"query without terminator", append(header('Q', 4+3), 'a', 'b', 'c'), []string{"ErrorResponse FATAL 08P01"}},
		{"truncated then hang up", header('Q', 100), nil},
		{"terminate", header('X', 4), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rc := startupRaw(t, addr)
			rc.sendBytes(tc.bytes)
			if tc.want == nil {
				rc.nc.(interface{ CloseWrite() error }).CloseWrite()
			}
			if got := rc.untilClosed(); !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			assertServing(t, addr)
		})
	}
}

func TestBadStartup(t *testing.T) {
	_, addr, _ := startServer(t, pgwire.Config{AuthMethod: pgwire.AuthTrust, StartupTimeout: 300 * time.Millisecond})
	cases := []struct {
		name  string
		bytes []byte
		want  []string
	}{
		// As PostgreSQL 15: a startup packet of an invalid length is only
		// logged (COMMERROR) and the connection closed; an unsupported
		// protocol is 0A000.
		{"huge length", []byte{0x7f, 0, 0, 0, 0, 3, 0, 0}, nil},
		{"negative length", []byte{0xff, 0xff, 0xff, 0xff}, nil},
		{"protocol 2.0", startupPacket(2<<16, []byte("user\x00u\x00\x00")), []string{"ErrorResponse FATAL 0A000"}},
		{"protocol 4.0", startupPacket(4<<16, []byte("user\x00u\x00\x00")), []string{"ErrorResponse FATAL 0A000"}},
		{"no user", startupPacket(pgproto3.ProtocolVersion30, []byte("database\x00d\x00\x00")), []string{"ErrorResponse FATAL 28000"}},
		{"unterminated parameters", startupPacket(pgproto3.ProtocolVersion30, []byte("user\x00u")), []string{"ErrorResponse FATAL 08P01"}},
		{"truncated", []byte{0, 0, 0, 100, 0, 3}, nil},
		{"silent client times out", nil, nil},
		{"garbage", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), nil}, // "GET " is the length: invalid
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rc := dialRaw(t, addr)
			if tc.bytes != nil {
				rc.sendBytes(tc.bytes)
			}
			start := time.Now()
			if got := rc.untilClosed(); !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("server took %v to drop the client", d)
			}
			assertServing(t, addr)
		})
	}
}

func TestEncryptionNegotiation(t *testing.T) {
	_, addr, _ := startServer(t, pgwire.Config{AuthMethod: pgwire.AuthTrust})
	rc := dialRaw(t, addr)
	for _, req := range []pgproto3.FrontendMessage{&pgproto3.GSSEncRequest{}, &pgproto3.SSLRequest{}} {
		rc.send(req)
		b := make([]byte, 1)
		if _, err := rc.nc.Read(b); err != nil || b[0] != 'N' {
			t.Fatalf("%T answered %q, %v", req, b, err)
		}
	}
	rc.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "u"}})
	if got := rc.untilReady(); got[0] != "AuthenticationOk" {
		t.Fatalf("startup after negotiation got %q", got)
	}
}

func TestProtocol32IsNegotiatedDown(t *testing.T) {
	_, addr, _ := startServer(t, pgwire.Config{AuthMethod: pgwire.AuthTrust})
	rc := dialRaw(t, addr)
	rc.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion32,
		Parameters: map[string]string{"user": "u", "_pq_.extension": "x"}})
	got := rc.untilReady()
	if got[0] != "NegotiateProtocolVersion" || got[1] != "AuthenticationOk" {
		t.Fatalf("got %q", got)
	}
}
