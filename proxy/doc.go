// Package proxy is heliosdb-proxy: a PostgreSQL-protocol proxy in front
// of a HeliosDB Nano cluster that sends writes to the current primary
// (TWR), spreads reads over healthy nodes (TRR), keeps sessions and
// transactions on one backend, and holds writes while no primary is
// available (DESIGN.md section 6, tutorial Parts 3–5).
//
// New composes the parts and Run serves them: proxy/health probes the
// nodes, Server accepts clients, proxy/admin serves /health, /nodes,
// /metrics and POST /switchover (run by proxy/switchover). Statements are classified by proxy/classify (the real
// PostgreSQL parser) and routed by proxy/route (a pure function of the
// health view and the session's pins); proxy/backend speaks to the nodes.
//
// # Authentication
//
// The client side of the startup (encryption negotiation, StartupMessage,
// authentication, cancel keys, max_connections with 53300, the drain) is
// pgwire/pgfront, the same code as the nodes'. Clients authenticate to the
// proxy with Config.AuthMethod (scram-sha-256 by default, or md5, or
// password) against the configured users (config.Config.Credentials). The
// proxy then logs in to each node it needs as that same user with that
// same password (whatever method the node asks for). Health probes log in
// as Config.User. GSSENCRequest is answered 'N'.
//
// # TLS
//
// With tls_cert_file/tls_key_file, SSLRequest is answered 'S' and the
// client's connection upgraded (the files are re-read on SIGHUP);
// tls_required refuses clients without TLS with FATAL 28000. Towards the
// nodes, backend_sslmode works as libpq's sslmode for every connection the
// proxy opens (sessions, health probes, causal-read watchers): prefer
// falls back to plaintext when a node answers 'N', require and stricter
// refuse it (the node counts as failed), verify-ca/verify-full check the
// node's certificate against backend_sslrootcert (verify-full also its
// host name as configured in [[nodes]]). CancelRequests to nodes are sent
// in plaintext, as libpq does before PostgreSQL 17 (they carry only the
// cancel key). admin_tls serves the admin API over HTTPS with the client
// port's certificate; node_http_tls makes the calls to the nodes' HTTP
// APIs (switchover.HTTPNodes) HTTPS, verified against backend_sslrootcert
// and the configured host.
//
// # Sessions
//
// Each client connection has one goroutine (session.serve) that does
// everything in line: read a client message, classify and route it, open
// a backend connection if the session has none to that node (replaying
// the session's SET statements on it), forward, relay the answers up to
// ReadyForQuery, and only then read the next client message (honouring
// the pgproto3 rule that a message is valid until the next read: frames
// are copied before anything else is read). Frames are relayed as they
// arrive (never decoded and re-encoded, except an ErrorResponse, which is
// inspected), the answer up to ReadyForQuery is written to the client in
// one write (or in 32 KiB pieces for large results), and a batch goes to
// the backend in one write; the send buffer, the batch's tracker and the
// routing view are reused, so a statement costs no allocation in the
// steady state (pprof: GET /debug/pprof/ on the admin API, behind its
// credentials). Plain (non-TLS) sockets on both sides are read and written
// with raw non-blocking system calls (internal/sockio), which spares the Go
// scheduler's system-call hand-offs: a select-only transaction costs the
// proxy two reads and two writes, plus a read that finds nothing when the
// client has not sent its next query yet. The request to a node is
// written inside the read that waits for its answer
// (backend.Conn.Request), which waits on the poller without first trying
// a read that could only find nothing; a client may pipeline, so its
// socket is always tried first. Backend connections belong to
// the session and are closed with it; there is no pooling across
// sessions. The client sees the proxy's own process ID and secret
// (BackendKeyData); a CancelRequest for them is forwarded to the backend
// that is running the session's statement at that moment, or ends the
// session's wait for a primary.
//
// The greeting's ParameterStatus values come from the session's first
// backend, opened during startup on the node its reads will use (so a
// login the nodes reject fails the startup, as it would without the
// proxy). in_hot_standby is always reported off: the proxy is a
// read-write endpoint.
//
// # Routing (see proxy/route for the exact rules)
//
// Writes go to the primary the nodes themselves report (role + highest
// term), never the configured role. A transaction stays on its backend
// from BEGIN (or its first statement) to the ReadyForQuery that ends it;
// BEGIN READ ONLY may start it on a standby. Reads go round robin over
// healthy nodes, sticky per session; after a session writes, its reads go
// to the primary (read_your_writes). Extended-protocol messages are
// queued up to Sync and sent as one batch, routed by the statements'
// SQL; named prepared statements are tracked and re-prepared (Parse
// injected, its ParseComplete swallowed) on a backend that lacks them. A
// Flush sends the queue early; the rest of that batch then follows it to
// the same backend. COPY FROM STDIN/TO STDOUT data is relayed both ways
// (tested against a scripted node; pgbench -i, psql \copy and psycopg2's
// copy_expert run through the proxy against real nodes).
//
// With read_consistency = "causal" (proxy/causal, causalreads.go) the
// read-your-writes rule is replaced by a stronger one: a read sees every
// commit the proxy acknowledged to any client before it arrived. Node
// connections ask for commit LSNs (helios.report_commit_lsn); relay
// records each helios.commit_lsn ParameterStatus before relaying the
// ReadyForQuery that follows it, and strips it. A read that finds no
// candidate caught up — the primary included: in sync mode a standby can
// apply a commit a moment before the primary's release makes it visible
// there — waits for the watcher to report one, up to causal_wait_ms, then
// goes to the primary.
//
// # Waiting, failures and SQLSTATEs
//
//   - No healthy primary for a write (or no node at all for a read): the
//     statement waits, re-checking every PollInterval (500 ms), up to
//     WriteTimeout, then fails with 57P03 cannot_connect_now ("no primary
//     available: waited 30s …", the nodes' states in the detail). The
//     statement was not run and the session stays usable. 57P03 rather
//     than a class 08 code because the client's connection is fine; pools
//     should not discard it.
//   - A cancel during that wait: 57014. Shutdown during it: 57P01.
//   - A backend lost mid-statement: 08006 connection_failure naming the
//     node, then ReadyForQuery 'I' (an open transaction is gone); the
//     session stays usable. A read, or any statement the node refused
//     with FATAL 57P0x before running it, that had sent nothing to the
//     client yet is retried on another node instead; writes are never run
//     twice.
//   - The client disconnects (no Terminate, no cancel) while its statement
//     runs or waits for a primary: noticed within 250 ms (its socket is
//     checked without reading, clientwatch.go); a CancelRequest goes to the
//     node and the backend connection is dropped, so the node stops at
//     once; the statement is not retried and the node not marked failed.
//   - A backend connection the node closed while idle is noticed before
//     reuse (a non-blocking peek, when it has been idle 10 ms or more) and
//     replaced transparently. One used less than 10 ms ago is not peeked
//     at: a node that shuts down says FATAL 57P01 before answering, and the
//     statement then runs elsewhere as above.
//   - A failed connect to a node counts as a health failure at once.
//   - A write the proxy sent to the node it took for the primary that is
//     refused with 25006 read_only_sql_transaction (the node was demoted
//     behind the proxy's back, or just before a switchover's hold) makes
//     the proxy re-probe every node at once (health.Checker.Refresh). If
//     the node no longer reports itself primary, and the statement was
//     sent outside a transaction, completed nothing before the error and
//     nothing of its answer reached the client yet (the answer is held
//     back until ReadyForQuery), the statement is run again on the new
//     primary (or waits for one) and the old backend connection is
//     closed. Otherwise the client gets the 25006, as from PostgreSQL.
//
// # Planned switchover
//
// POST /switchover {"target": "standby-sync"} on the admin API
// (proxy/switchover has the steps and errors): after checking the nodes
// over their HTTP API (the address each node advertises in helios_node,
// on its configured host; per-node http_port overrides it), the proxy holds
// new writes and new transactions that would go to the primary (they wait
// in the write-timeout loop above, with reason "switchover"; reads and
// open transactions go on), waits up to SwitchoverDrainTimeout (5s) for
// writes and transactions already running on the primary, demotes it
// towards the target's native address (per-node native_port, else what
// the target advertises, else 5433), waits until the target has applied
// the old primary's last LSN, promotes it, re-points the other enabled
// standbys, re-probes every node so routing sees the new primary, and
// releases the held statements, which run on the new primary. Sessions
// keep their connections: their next write opens (or reuses) a backend on
// the new primary. The write pause is typically tens of milliseconds, and
// held statements wait at most write_timeout_secs, so keep that above
// the pause (write_timeout_secs = 0 makes held writes fail at once).
// The write gate (gate.go) counts write statements and open transactions
// per node; it is what the drain waits on.
//
// # Automatic failover
//
// With auto_failover (default true) the switchover coordinator also runs
// the failover loop (proxy/switchover/failover.go): a lease granted to the
// primary every second, promotion of the safe sync standby once the
// primary has renewed nothing for failover_timeout_secs and its last lease
// has expired, re-pointing of the other standbys, demotion of an old
// primary that comes back. A write the primary refuses with 25006 because
// its lease lapsed (after its restart, say) makes the session renew the
// lease at once and retry the statement under the same conditions as
// above. Rules and limits: docs/replication.md, "Automatic failover".
//
// # Shutdown
//
// Server follows net/http: Serve returns ErrServerClosed after Shutdown;
// Shutdown stops accepting, sends FATAL 57P01 to idle sessions, lets busy
// ones finish their current statement or batch, and closes whatever is
// left when its context ends; Close is immediate.
//
// # Known limits of this cut
//
// One proxy per cluster may run automatic failover; LISTEN/NOTIFY notifications arriving
// between statements are lost; SQL-level PREPARE/EXECUTE, cursors and
// temporary objects pin to the primary (and so a session holding them
// loses them at a switchover); a Query message in the middle of an
// unfinished extended batch drops that batch; COPY inside the extended
// protocol is relayed but untested. A switchover refuses (409) while a
// transaction stays open on the primary longer than the drain timeout,
// rather than failing it.
package proxy
