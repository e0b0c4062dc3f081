// Package pgfront is the server side of the PostgreSQL connection startup,
// shared by the node (pgwire) and the proxy so that encryption, startup,
// authentication, cancel keys, connection limits and the drain are written
// once and behave as PostgreSQL's postmaster and ClientAuthentication do.
//
// # Use
//
// A server makes one Front (New) and, for each accepted socket:
//
//	fc, err := front.Accept(nc)  // cancel key assigned; raw limit (53300)
//	fc.SetCancel(cancelRunningStatement)
//	defer fc.Close()             // key and slot released, socket closed
//	info, err := fc.Startup()    // negotiation, StartupMessage, slot, auth
//	// greet: AuthenticationOk, ParameterStatus..., BackendKeyData{fc.PID(),
//	// fc.Secret()}, ReadyForQuery; then read fc.Reader(), write
//	// fc.NetConn(), calling fc.EnterIdle before waiting for a query and
//	// fc.EnterBusy when one arrives.
//
// Startup documents the steps and the SQLSTATE of each refusal; they are
// PostgreSQL 15's, texts included (checked against it). Bytes sent before
// a TLS handshake ends are never read as protocol: a client that pipelines
// anything after SSLRequest (or GSSENCRequest) is refused with 08P01
// "received unencrypted data after SSL request" (CVE-2021-23214).
//
// # Pluggable parts
//
// Config.Rules decides the method for (address, user, database, TLS): the
// pg_hba.conf seam (SingleRule is one method for everyone, optionally
// refusing unencrypted clients with 28000 as hostssl-only rules do).
// Config.Users returns a user's stored secret (pgauth.Secret: a plain
// password, an md5 hash or a SCRAM verifier). An unknown user runs the
// same exchange as a known one and fails like a wrong password (28P01);
// SCRAM uses a stable mock salt (internal/pgauth). md5 with a SCRAM
// verifier runs SCRAM, as PostgreSQL does, and so does md5 for an unknown
// user (PostgreSQL pretends it has a password of password_encryption's
// type, scram-sha-256 by default).
//
// # Concurrency, drain and who closes what
//
// Startup, Reader, NetConn, EnterIdle and EnterBusy belong to the
// connection's goroutine. A CancelRequest arrives on another connection's
// goroutine and calls the target's SetCancel function. Front.Drain (the
// server's Shutdown) refuses new connections and sets the read deadline
// of every connection that is starting up or idle to now: a starting one
// then ends with FATAL 57P03 (Config.ShutdownMessage), an idle one finds
// EnterIdle false and ends with 57P01 (sent by the server); a busy one
// ends at its next EnterIdle. Front.CloseAll closes every socket. Close
// is the connection owner's; it may be called again safely.
package pgfront
