package node

import "github.com/heliosdb/nano/replication"

// nativeTLS is the native port's TLS (Config.NativeTLS) for the server and
// every client of a peer's native port, or nil without it. The
// certificate and CAs are the current ones at each handshake, so
// ReloadTLS (SIGHUP) applies to new connections.
func (n *Node) nativeTLS() *replication.TLS {
	if n.nativeCA == nil || n.tls == nil {
		return nil
	}
	return &replication.TLS{
		Certificate: n.tls.Certificate,
		Roots:       n.nativeCA.Get,
		ClientAuth:  n.cfg.NativeTLSClientAuth,
	}
}
