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
// The package declares the Backend interface it needs; the node implements
// it. It knows nothing of storage or SQL execution.
package httpapi
