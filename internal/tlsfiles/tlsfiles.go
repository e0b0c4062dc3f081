package tlsfiles

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
)

// ErrNoCertificate is wrapped by Load and Reload when the files do not
// hold a usable certificate and key.
var ErrNoCertificate = errors.New("tlsfiles: no usable certificate")

// Server is a server certificate loaded from files. It is safe for
// concurrent use.
type Server struct {
	certFile, keyFile string
	cert              atomic.Pointer[tls.Certificate]
}

// Load reads certFile (PEM, the certificate and any intermediates) and
// keyFile (PEM private key).
func Load(certFile, keyFile string) (*Server, error) {
	s := &Server{certFile: certFile, keyFile: keyFile}
	if err := s.Reload(); err != nil {
		return nil, err
	}
	return s, nil
}

// Reload reads the files again; on error the current certificate stays.
func (s *Server) Reload() error {
	cert, err := tls.LoadX509KeyPair(s.certFile, s.keyFile)
	if err != nil {
		return fmt.Errorf("%w: %s, %s: %w", ErrNoCertificate, s.certFile, s.keyFile, err)
	}
	s.cert.Store(&cert)
	return nil
}

// Config returns the server's TLS configuration (TLS 1.2 or later). Each
// handshake uses the certificate current at that moment. No session
// tickets are sent, as PostgreSQL (SSL_OP_NO_TICKET): after the handshake
// a client finds only protocol bytes on the socket.
func (s *Server) Config() *tls.Config {
	return &tls.Config{
		MinVersion:             tls.VersionTLS12,
		SessionTicketsDisabled: true,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return s.cert.Load(), nil
		},
	}
}

// Mode is a client's sslmode, as libpq's.
type Mode string

// The modes.
const (
	ModeDisable    Mode = "disable"
	ModePrefer     Mode = "prefer"
	ModeRequire    Mode = "require"
	ModeVerifyCA   Mode = "verify-ca"
	ModeVerifyFull Mode = "verify-full"
)

// ParseMode checks a mode name.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case ModeDisable, ModePrefer, ModeRequire, ModeVerifyCA, ModeVerifyFull:
		return m, nil
	}
	return "", fmt.Errorf("tlsfiles: sslmode %q is not one of disable, prefer, require, verify-ca, verify-full", s)
}

// Enabled reports whether the client asks for TLS at all.
func (m Mode) Enabled() bool { return m != ModeDisable && m != "" }

// Required reports whether a server that refuses TLS must be refused.
func (m Mode) Required() bool { return m.Enabled() && m != ModePrefer }

// ClientConfig returns the configuration of a client in mode m
// connecting to serverName (a host name or IP address), trusting the CAs
// in rootCertFile (PEM; required for verify-ca and verify-full). nil for
// ModeDisable.
func ClientConfig(m Mode, rootCertFile, serverName string) (*tls.Config, error) {
	if !m.Enabled() {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: serverName}
	if m == ModePrefer || m == ModeRequire {
		// libpq: no certificate check unless a root certificate is given
		// (then require behaves as verify-ca); we keep it simple: none.
		cfg.InsecureSkipVerify = true
		return cfg, nil
	}
	pem, err := os.ReadFile(rootCertFile)
	if err != nil {
		return nil, fmt.Errorf("tlsfiles: root certificate: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("tlsfiles: %s holds no PEM certificate", rootCertFile)
	}
	cfg.RootCAs = pool
	if m == ModeVerifyCA {
		// Check the chain but not the name: verify by hand.
		cfg.InsecureSkipVerify = true
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("tlsfiles: server sent no certificate")
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter})
			return err
		}
	}
	return cfg, nil
}
