// Package httpapi is a node's HTTP API: health, SQL over JSON, status and
// Prometheus metrics (and, with roles, promote/demote).
//
//	GET  /health   200 {"status":"ok","role":…,"term":…,"lsn":…}; 503 when not serving
//	POST /query    {"sql":"…","params":[…]} → {"columns":[…],"rows":[[…]],"command":"SELECT 1"}
//	               errors: 400/409/500 {"error":{"code":"42P01","message":…,"detail":…,"hint":…,"position":…}}
//	GET  /status   the node's status document
//	GET  /metrics  Prometheus text format
//
// Values in rows are JSON numbers for integer and floating-point types
// (NaN/Infinity as strings), strings for numeric (exact) and every other
// type in PostgreSQL's text format, true/false and null.
//
// Authentication (internal/httpauth): GET /health, and GET /metrics unless
// Options.ProtectMetrics, answer anyone; every other endpoint needs HTTP
// Basic with the database's user and password (the node's user store, as
// on the PostgreSQL port) or "Authorization: Bearer <admin token>", else
// 401 {"error": {"code": "28000", …}} and nothing runs. /query runs as the
// Basic user (the node's configured user for the token); promote, demote
// and lease are logged with the caller. A /query body that is not UTF-8 or
// holds a NUL gets 22021, as PostgreSQL refuses such text.
//
// The package declares the Backend interface it needs; the node implements
// it. It knows nothing of storage or SQL execution.
package httpapi
