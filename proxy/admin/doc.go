// Package admin serves the proxy's admin HTTP API (DESIGN.md section 2):
//
//	GET  /health               {"status":"ok"} while the proxy runs
//	GET  /nodes                every node as the proxy sees it (JSON array)
//	GET  /metrics              Prometheus text format
//	POST /nodes/{name}/enable  include the node in routing again
//	POST /nodes/{name}/disable exclude the node from routing
//	POST /switchover           501: not implemented yet
//
// Each /nodes entry has name, address, role (as the node reports it:
// primary, standby or unknown), configured_role, healthy, enabled,
// last_check (RFC 3339, null before the first probe), failure_count,
// last_error, latency_ms, term, lsn ("X/Y") and replication_lag_bytes.
// Errors are JSON {"error": "..."} with 404 for an unknown node.
//
// Handler only reads and flips state through the Nodes interface; it
// starts no goroutines.
package admin
