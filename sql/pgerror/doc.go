// Package pgerror owns PostgreSQL SQLSTATE codes and the error type that
// carries them. Errors get their code where they are created; only the wire
// layers (pgwire, the proxy's client side, the HTTP API) render them.
// An error without a code is reported as XX000 internal_error.
package pgerror
