// Package proxycli builds the heliosdb-proxy command line: the root
// command runs the proxy from a TOML file (--config or
// HELIOSDB_PROXY_CONFIG; a flag beats the environment), logs with slog
// (--log-level/--log-format or HELIOSDB_PROXY_LOG_LEVEL/_FORMAT), and shuts
// down gracefully on SIGTERM or SIGINT; `health` asks a running proxy's
// admin API for /health, so a container needs no curl; `version` prints
// the version. A bad configuration exits 2 with the key and the reason.
// cmd/heliosdb-proxy only calls Main.
package proxycli
