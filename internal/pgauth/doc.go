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
// get a mock verifier — a salt derived from a per-process random key and
// the user name (stable across attempts, like a real user's), a password
// nobody knows — cached and derived the same way, so the exchange runs to
// the end, takes the same time and fails exactly like a wrong password
// (PostgreSQL's scram_mock_salt), revealing nothing about whether the user
// exists.
package pgauth
