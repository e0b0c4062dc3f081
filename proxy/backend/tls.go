package backend

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"

	"github.com/jackc/pgx/v5/pgproto3"
)

// startTLS negotiates TLS with the node as libpq does: SSLRequest, then a
// handshake on 'S'; on 'N' the node is refused when TLS is required, else
// used in plaintext. Nothing is sent behind the SSLRequest before the
// answer (a server refuses pipelined bytes, CVE-2021-23214).
func (c *Conn) startTLS(d *Dialer) error {
	if d.TLS == nil {
		return nil
	}
	req, err := (&pgproto3.SSLRequest{}).Encode(nil)
	if err != nil {
		return fmt.Errorf("%w: encode SSLRequest: %v", ErrProtocol, err)
	}
	if _, err := c.raw.Write(req); err != nil {
		return err
	}
	var answer [1]byte
	if _, err := io.ReadFull(c.raw, answer[:]); err != nil {
		return err
	}
	switch answer[0] {
	case 'S':
	case 'N':
		if d.TLSRequired {
			return fmt.Errorf("%w: node %s does not support SSL, but SSL was required", ErrTLS, c.Addr)
		}
		return nil
	default:
		return fmt.Errorf("%w: answer %q to SSLRequest", ErrProtocol, answer[0])
	}
	cfg := d.TLS.Clone()
	if cfg.ServerName == "" {
		if host, _, err := net.SplitHostPort(c.Addr); err == nil {
			cfg.ServerName = host
		}
	}
	tc := tls.Client(c.raw, cfg)
	if err := tc.Handshake(); err != nil {
		return fmt.Errorf("%w: node %s: %w", ErrTLS, c.Addr, err)
	}
	c.nc = tc
	return nil
}
