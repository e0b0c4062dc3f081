// Package admin serves the proxy's admin HTTP API (DESIGN.md section 2):
//
//	GET  /health               {"status":"ok"} while the proxy runs
//	GET  /nodes                every node as the proxy sees it (JSON array)
//	GET  /metrics              Prometheus text format
//	POST /nodes/{name}/enable  include the node in routing again
//	POST /nodes/{name}/disable exclude the node from routing
//	POST /switchover           {"target": "standby-sync"}: planned switchover (proxy/switchover)
//	GET  /debug/pprof/...      Go's profiler (net/http/pprof): profile, heap, allocs, goroutine…
//
// Each /nodes entry has name, address, role (as the node reports it:
// primary, standby or unknown), configured_role, healthy, enabled,
// last_check (RFC 3339, null before the first probe), failure_count,
// last_error, latency_ms, term, lsn ("X/Y") and replication_lag_bytes.
// Errors are JSON {"error": "..."} with 404 for an unknown node.
//
// POST /switchover answers {"status": "ok", "old_primary", "new_primary",
// "term", "write_pause_ms"} (plus "warnings" when a standby could not be
// re-pointed) once the target is the primary and held writes run on it.
// Errors: 400 for a body without "target", 404 for an unknown node, 409
// when the switchover was refused or stopped before the old primary was
// demoted (nothing changed: a check failed, another switchover is
// running, or open transactions did not finish in time), 500 when a step
// after the demotion failed (the message says what state it left), 501
// when the proxy has no switchover configured.
//
// Authentication (internal/httpauth): GET /health, and the read-only status
// endpoints GET /metrics, /nodes and /failover unless Options.ProtectMetrics,
// answer anyone; every other endpoint needs HTTP
// Basic with one of the proxy's client users (user/password, [[users]]) or
// "Authorization: Bearer <admin_token>", else 401 {"error": {"code":
// "28000", …}} and nothing changes. Switchovers and enable/disable are
// logged with the caller's user and address.
//
// Handler only reads and flips state through the Nodes interface; it
// starts no goroutines.
package admin
