// Package tlsfiles turns certificate and key files into TLS configurations
// for the servers (the PostgreSQL ports of node and proxy) and the clients
// (the proxy's connections to the nodes), with PostgreSQL's names for the
// client modes (sslmode).
//
// A Server holds a certificate loaded from PEM files and hands out a
// tls.Config whose GetCertificate returns the current one, so Reload
// (called on SIGHUP) replaces the certificate for new handshakes without
// restarting anything; a Reload that fails keeps the old certificate.
//
// A Pool holds CA certificates loaded from a PEM file, reloadable the same
// way (the nodes' native port verifies its peers against one).
//
// ClientConfig follows libpq: require encrypts without checking the
// server's certificate, verify-ca checks it against a CA file, verify-full
// also checks that it names the host. prefer and require fall back
// differently when the server answers 'N' (the caller decides; see
// Mode.Required).
//
// This package imports nothing of the module (a leaf).
package tlsfiles
