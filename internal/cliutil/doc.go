// Package cliutil holds what both command lines (heliosdb-nano and
// heliosdb-proxy) need alike: the slog logger built from --log-level and
// --log-format, and a context that ends on SIGTERM/SIGINT. It imports only
// the standard library.
package cliutil
