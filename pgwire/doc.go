// Package pgwire is the PostgreSQL v3 frontend/backend protocol server. It
// decodes client messages with pgproto3, authenticates clients, and drives a
// Session (declared in session.go, implemented by sql/session) one call at a
// time, streaming results back through a result.Writer. It never imports
// the executor or storage: values are encoded with sql/types, errors are
// rendered from sql/pgerror.
//
// # Connection lifecycle
//
// Server.Serve accepts connections and starts one goroutine per connection
// (conn.serve). That goroutine does everything for the connection, in line:
//
//  1. Startup and authentication, done by pgwire/pgfront (shared with the
//     proxy): encryption negotiation (TLS when Config.TLSConfig is set),
//     the StartupMessage, a session slot (Config.MaxConnections, 53300),
//     the method Config.Rules (or AuthMethod/RequireTLS) chooses against
//     Config.Users (or Credentials), bounded by Config.StartupTimeout.
//     The cancel key is assigned when the socket is accepted; a
//     CancelRequest cancels the matching connection's statement. Refusals
//     carry PostgreSQL's SQLSTATEs (see pgfront.Conn.Startup).
//  2. Reserved slots for non-superusers (53300) are checked after
//     authentication, by pgfront too.
//  3. SessionFactory.NewSession, then AuthenticationOk, ParameterStatus for
//     every reported parameter, BackendKeyData and ReadyForQuery.
//  4. The message loop: read one message, run it against the Session, and
//     buffer the output. Output is flushed at ReadyForQuery, at Flush, and
//     whenever more than 32 KiB of rows are buffered. Simple Query runs
//     Session.Query and ends with ReadyForQuery. Extended-protocol messages
//     (Parse, Bind, Describe, Execute, Close) run the matching Session call;
//     after an error every message is discarded until Sync, which calls
//     Session.Sync and sends ReadyForQuery. Before every ReadyForQuery,
//     parameters whose values changed (SET TimeZone, application_name...)
//     are reported with ParameterStatus. A plain (non-TLS) socket is read
//     and written with raw non-blocking system calls (internal/sockio),
//     parking on the runtime's poller only when there is nothing to read:
//     net.Conn's Read and Write put the scheduler in its system-call state
//     around each call, and its monitor then kept handing processors to
//     other threads (0.70 nanosleep and 0.29 futex calls per select-only
//     transaction; 0.06 and 0.10 without).
//
// A connection ends when the client sends Terminate or hangs up, when a
// message is malformed, of an unknown type or larger than
// Config.MaxMessageSize (FATAL 08P01 or 54000), when a write fails, when the
// session panics (logged with its stack; FATAL XX000 to that client only),
// when pg_terminate_backend names it (Server.Signal: FATAL 57P01, as in
// PostgreSQL — at once when idle, woken from its read like a drained
// connection; instead of the result when a statement runs, which is
// cancelled with that cause), or at shutdown. On the way out the goroutine closes the Session (which
// rolls back an open transaction), then the socket, and deregisters the
// connection.
//
// # Goroutines, cancellation and who closes what
//
// No goroutine other than the connection's own reads or writes its socket,
// except that Shutdown and Close may set its read deadline or close it, and
// that the client check below inspects it without reading. Each Session
// call that runs a statement gets a statement context (the same one as the
// call before, unless that one was cancelled; not a child of the
// connection's context, which would register and unregister it there on
// every message: forceClose cancels the running one itself); Bind and Sync
// get the connection's context; a
// CancelRequest (served on the canceller's own connection goroutine)
// cancels the context of the call running at that moment, and the Session
// fails the statement with 57014. A cancel that arrives between statements
// does nothing.
//
// While a Session call runs, a timer (time.AfterFunc, so a goroutine only
// when it fires) checks every client_connection_check_interval (the
// Session's ConnectionChecker, else DefaultClientCheckInterval, 250 ms;
// zero = off, as in PostgreSQL) whether the client closed or reset the
// socket: internal/peer polls for POLLRDHUP and peeks with MSG_PEEK, so no
// protocol byte is consumed and a live client's pipelined messages are
// not a disconnect. A client that is gone has the call's context
// cancelled with 08006 "connection to client lost" (wrapping
// peer.ErrGone, which write forwarding tests for), and the connection ends
// when the call returns, without running anything the client sent before
// going (PostgreSQL does the same with the setting on). The timer stays
// armed when the call returns (stopping and re-arming it per statement
// cost a timer-heap update each): a check that finds no call running
// disarms it, and a check of an older call moves on to the running one.
//
// Shutdown closes the listeners, then drains (pgfront.Front.Drain): a
// connection waiting for a new query (idle, or still in startup) has its
// read deadline set to now,
// so its goroutine wakes, sends FATAL 57P01 (57P03 during startup) and
// closes; a busy connection finishes its current query or its batch up to
// Sync, and then does the same. When Shutdown's context ends first, the
// remaining connections' contexts are cancelled and their sockets closed.
// Shutdown and Close return only after every connection goroutine has
// ended, so the Session's backing store can be closed right after; Sessions
// must therefore return promptly once their context is cancelled.
//
// # Session contract reminders
//
// Bind's parameter byte slices alias the read buffer and are valid only
// during the call. The result.Writer passed to Query and Execute is valid
// only during that call, and its AddRow encodes the row before returning.
package pgwire
