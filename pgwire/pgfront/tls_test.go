package pgfront_test

import (
	"crypto/tls"
	"slices"
	"testing"

	"github.com/heliosdb/nano/internal/tlsfiles"
	"github.com/heliosdb/nano/internal/tlsfiles/tlstest"
	"github.com/heliosdb/nano/pgwire/pgfront"
)

func serverTLS(t *testing.T) (*tls.Config, *tlstest.CA) {
	t.Helper()
	ca := tlstest.NewCA(t, "test")
	cert, key := ca.Issue(t, "server", "localhost", "127.0.0.1")
	s, err := tlsfiles.Load(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	return s.Config(), ca
}

// TestPipelinedAfterSSLRequest: a client (or a man in the middle) that
// sends a StartupMessage right behind its SSLRequest gets 'S', the
// handshake, and then FATAL 08P01 over TLS, as from PostgreSQL 15
// (CVE-2021-23214): the plaintext bytes are never read as protocol.
// Before pgfront the node dropped them silently and waited (no error).
func TestPipelinedAfterSSLRequest(t *testing.T) {
	cfg, _ := serverTLS(t)
	s := startServer(t, pgfront.Config{Rules: pgfront.SingleRule{Use: pgfront.MethodTrust}, TLS: cfg})
	nc := dial(t, s.addr)
	if _, err := nc.Write(append(packet(sslRequest, ""), startupPacket("u")...)); err != nil {
		t.Fatal(err)
	}
	if got := readByte(t, nc); got != 'S' {
		t.Fatalf("SSLRequest answered %q", got)
	}
	tc := tls.Client(nc, &tls.Config{InsecureSkipVerify: true})
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	want := []string{"FATAL 08P01 received unencrypted data after SSL request (This could be either a client-software bug or evidence of an attempted man-in-the-middle attack.)"}
	if got := messages(tc, tc); !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestTLSNegotiation: after TLS another SSLRequest or a GSSENCRequest is
// an unsupported protocol (0A000, as PostgreSQL); with RequireTLS a
// plaintext client is refused with 28000 and a TLS one gets in.
func TestTLSNegotiation(t *testing.T) {
	cfg, _ := serverTLS(t)
	s := startServer(t, pgfront.Config{Rules: pgfront.SingleRule{Use: pgfront.MethodTrust, RequireTLS: true}, TLS: cfg})
	upgrade := func(t *testing.T) *tls.Conn {
		nc := dial(t, s.addr)
		if _, err := nc.Write(packet(sslRequest, "")); err != nil {
			t.Fatal(err)
		}
		if got := readByte(t, nc); got != 'S' {
			t.Fatalf("SSLRequest answered %q", got)
		}
		tc := tls.Client(nc, &tls.Config{InsecureSkipVerify: true})
		if err := tc.Handshake(); err != nil {
			t.Fatal(err)
		}
		return tc
	}
	for _, tc := range []struct {
		name string
		code uint32
		want string
	}{
		{"SSLRequest", sslRequest, "FATAL 0A000 unsupported frontend protocol 1234.5679: server supports 3.0 to 3.0"},
		{"GSSENCRequest", gssEncRequest, "FATAL 0A000 unsupported frontend protocol 1234.5680: server supports 3.0 to 3.0"},
	} {
		t.Run(tc.name+" after TLS", func(t *testing.T) {
			c := upgrade(t)
			if _, err := c.Write(packet(tc.code, "")); err != nil {
				t.Fatal(err)
			}
			if got := messages(c, c); !slices.Equal(got, []string{tc.want}) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	t.Run("plaintext refused", func(t *testing.T) {
		nc := dial(t, s.addr)
		if _, err := nc.Write(startupPacket("u")); err != nil {
			t.Fatal(err)
		}
		want := []string{`FATAL 28000 no pg_hba.conf entry for host "127.0.0.1", user "u", database "db", no encryption`}
		if got := messages(nc, nc); !slices.Equal(got, want) {
			t.Errorf("got %q, want %q", got, want)
		}
	})
	t.Run("TLS admitted", func(t *testing.T) {
		c := upgrade(t)
		if _, err := c.Write(startupPacket("u")); err != nil {
			t.Fatal(err)
		}
		if got := messages(c, c); !slices.Equal(got, []string{"AuthenticationOk", "BackendKeyData", "ReadyForQuery"}) {
			t.Errorf("got %q", got)
		}
	})
}
