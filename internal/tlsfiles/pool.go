package tlsfiles

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"sync/atomic"
)

// Certificate returns the current certificate (for a client presenting
// the server's certificate, as nodes do to each other with mutual TLS).
func (s *Server) Certificate() *tls.Certificate { return s.cert.Load() }

// Pool is a set of CA certificates loaded from a PEM file. Reload reads
// the file again (on SIGHUP); a failed reload keeps the current pool. It
// is safe for concurrent use.
type Pool struct {
	file string
	pool atomic.Pointer[x509.CertPool]
}

// LoadPool reads the CA certificates (PEM) in file.
func LoadPool(file string) (*Pool, error) {
	p := &Pool{file: file}
	if err := p.Reload(); err != nil {
		return nil, err
	}
	return p, nil
}

// Reload reads the file again; on error the current pool stays.
func (p *Pool) Reload() error {
	pem, err := os.ReadFile(p.file)
	if err != nil {
		return fmt.Errorf("tlsfiles: CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return fmt.Errorf("tlsfiles: %s holds no PEM certificate", p.file)
	}
	p.pool.Store(pool)
	return nil
}

// Get returns the current pool.
func (p *Pool) Get() *x509.CertPool { return p.pool.Load() }
