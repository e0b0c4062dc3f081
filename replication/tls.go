package replication

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
)

// TLS configures TLS on the native port. With it, every connection is a
// TLS connection first (the handshake of handshake.go then runs inside
// it, so the secret is proved as before): the client checks the server's
// certificate against Roots and the host name it dialled; with
// ClientAuth, the server requires a client certificate that chains to
// Roots (mutual TLS). A peer speaking without TLS is refused. nil means no
// TLS.
type TLS struct {
	// Certificate returns this node's current certificate: the one it
	// serves, and the one it presents when a peer asks for a client
	// certificate. Called at every handshake (so a reload takes effect on
	// the next connection).
	Certificate func() *tls.Certificate
	// Roots returns the CAs a peer's certificate must chain to; called at
	// every handshake.
	Roots func() *x509.CertPool
	// ClientAuth makes the server require and verify a client certificate.
	ClientAuth bool
}

// errNoCertificate: a TLS with no certificate source is a programming error.
var errNoCertificate = errors.New("replication: native TLS has no certificate")

func (t *TLS) certificate() (*tls.Certificate, error) {
	if t.Certificate == nil {
		return nil, errNoCertificate
	}
	if c := t.Certificate(); c != nil {
		return c, nil
	}
	return nil, errNoCertificate
}

// serverConfig returns the server side's configuration for one handshake.
func (t *TLS) serverConfig() *tls.Config {
	cfg := &tls.Config{
		MinVersion:             tls.VersionTLS12,
		SessionTicketsDisabled: true,
		GetCertificate:         func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return t.certificate() },
		// gRPC over TLS negotiates h2; the handshake of handshake.go runs
		// inside, so no ALPN is needed (and none is checked).
	}
	if t.ClientAuth {
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
		cfg.ClientCAs = t.Roots()
	}
	return cfg
}

// clientConfig returns the client side's configuration for dialling the
// server named serverName (host name or IP address of the native address).
func (t *TLS) clientConfig(serverName string) *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		ServerName: serverName,
		RootCAs:    t.Roots(),
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return t.certificate()
		},
	}
}

// ErrPeerNotVerified is returned by the client side when the peer's TLS
// certificate does not verify (another CA, another host name) or the peer
// does not speak TLS. Nothing but a TLS ClientHello was sent to it.
var ErrPeerNotVerified = errors.New("replication: native TLS: the peer's certificate did not verify (or it does not speak TLS); nothing was sent to it")

// client runs the TLS client handshake on conn towards authority
// (host:port as dialled).
func (t *TLS) client(ctx context.Context, conn net.Conn, authority string) (net.Conn, error) {
	host := authority
	if h, _, err := net.SplitHostPort(authority); err == nil {
		host = h
	}
	tc := tls.Client(conn, t.clientConfig(host))
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPeerNotVerified, err)
	}
	return tc, nil
}

// errTLSRefused wraps the server side's TLS handshake failures.
var errTLSRefused = errors.New("replication: native TLS handshake failed")

// server runs the TLS server handshake on conn.
func (t *TLS) server(ctx context.Context, conn net.Conn) (net.Conn, error) {
	tc := tls.Server(conn, t.serverConfig())
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, fmt.Errorf("%w: %v", errTLSRefused, err)
	}
	return tc, nil
}
