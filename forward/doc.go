// Package forward is write forwarding (--write-forwarding,
// docs/replication.md): a standby runs its clients' writes on the primary
// instead of refusing them with 25006. It owns the whole contract: the
// gRPC service and its messages (proto/forward.proto, generated into
// proto/forwardpb), the standby's Client and the primary's Server. The
// SQL side of the contract is sql/session's Forwarder and ForwardTxn
// (Client and Txn implement them) and sql/result's values; the only
// translation is between those and the wire messages (codec.go).
//
// # Protocol
//
// One Forward call is one forwarded transaction. The standby sends Open
// (its node id, the client's user and database, the session parameters
// that change how SQL reads — TimeZone, search_path, statement_timeout,
// … — and the BEGIN to run first for an explicit block), then
// Statements, each answered by an optional Columns, any number of Rows
// (batched to about 256 KiB) and Notices, and exactly one Complete,
// Description (DescribeOnly) or Error; then End, answered by Ended (with
// the commit record's end LSN) or Error. A Statement with Commit set
// commits after it ran (an autocommit statement in one round trip). Values
// travel in PostgreSQL's binary format, or its text format for types that
// have none. Errors and notices carry their SQLSTATE and every field
// (detail, hint, position, table, column, constraint).
//
// # Primary side
//
// Server runs each call in an ordinary session.Session (the node's
// session configuration, without forwarding) through the extended
// protocol, so a forwarded transaction behaves exactly as one of the
// primary's own clients: row locks wait, 40001/40P01/23505 come back as
// they are, statement_timeout applies, conflicts of implicit blocks are
// retried there. A call that ends without a successful End — the standby
// closed it, its client went away, the connection broke, the server is
// closing — closes the session, which rolls the transaction back. A node
// that does not take writes refuses the call (FailedPrecondition), so
// that the standby looks for the primary again.
//
// # Standby side
//
// Client dials the primary the node follows now (re-read for every
// transaction; the connection is shared and replaced after a switchover)
// and retries reaching it for up to ClientConfig.Timeout, but only while
// nothing can have run there. Transport failures become SQL errors:
// 08001 unreachable, 25006 no primary, 08006 lost (rolled back), 08007
// lost during a commit (outcome unknown, never retried). A forwarded
// commit is answered only once this node has applied its LSN
// (ClientConfig.Applied.WaitApplied, a wait woken by storage, not a poll),
// so the client reads its own write on the standby; running out of time
// there is a WARNING, not an error, since the commit is durable on the
// primary.
//
// # Authentication
//
// The service is registered on the native port's gRPC server
// (replication.Server.GRPCServer) and the client dials with
// replication.DialOption: the same cluster-key challenge–response and
// AES-GCM records, inside TLS with --native-tls, as the Replication
// service. A connection that has not completed the handshake never
// reaches a handler, and the server's interceptors refuse any call on a
// connection without its AuthInfo.
//
// # Concurrency
//
// Client is safe for concurrent use; a Txn is used by one goroutine at a
// time (its session's). Each Server call has one handler goroutine (it
// runs the requests in order) and one receiving goroutine; Server.Close
// cancels every call and waits for their sessions to close.
package forward
