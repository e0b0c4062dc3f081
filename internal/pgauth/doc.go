// Package pgauth verifies PostgreSQL client passwords on the server side:
// SCRAM-SHA-256 (RFC 5802/7677, as PostgreSQL implements it, without channel
// binding), md5 and cleartext. It knows nothing about sockets: callers feed
// it the bytes of the client's SASL/password messages and send back what it
// returns, so both pgwire and the proxy can use it.
//
// Passwords are plain strings obtained from a credential callback; SCRAM
// verifiers (salt, StoredKey, ServerKey) are derived from them with 4096
// PBKDF2 iterations and cached per (user, password) by a SCRAM value, so a
// reconnecting client does not pay the key derivation again. Unknown users
// get a verifier derived from a random password, so the exchange runs to the
// end and fails exactly like a wrong password (PostgreSQL's "mock"
// authentication), without revealing whether the user exists.
package pgauth
