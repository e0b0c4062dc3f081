package pgwire

import (
	"context"

	"github.com/heliosdb/nano/sql/result"
	"github.com/heliosdb/nano/sql/types"
)

// SessionFactory creates one Session per authenticated connection.
type SessionFactory interface {
	NewSession(ctx context.Context, info result.StartupInfo) (Session, error)
}

// Session executes SQL for one connection. pgwire calls it from the
// connection's goroutine only, one call at a time. Every error returned
// should carry a SQLSTATE (pgerror); ctx is cancelled by a CancelRequest
// (the session then fails the statement with 57014) or by shutdown.
//
// Prepared statements and portals live in the session; names are as the
// client sent them ("" = unnamed).
type Session interface {
	// Query runs a simple-protocol query string, which may hold several
	// statements; each statement's results go to w in order. It stops at
	// the first error and returns it. Outside an explicit transaction the
	// whole string runs as one implicit transaction, as in PostgreSQL.
	// An empty string completes with no call on w and returns result.ErrEmptyQuery.
	Query(ctx context.Context, sql string, w result.Writer) error

	// Prepare parses sql as statement name. paramTypes are the types the
	// client gave (0 = infer). Re-preparing the unnamed statement replaces it.
	Prepare(ctx context.Context, name, sql string, paramTypes []types.Oid) (result.StatementDescription, error)
	// DescribeStatement returns a prepared statement's description.
	DescribeStatement(name string) (result.StatementDescription, error)
	// Bind creates portal from statement stmt with raw parameter values
	// (nil = NULL) in the given formats (0 text, 1 binary; a single entry
	// applies to all; none means text) and the requested result formats.
	// The params slices alias pgwire's read buffer: decode or copy them
	// before returning. Bind runs no statement: its ctx is the
	// connection's, not one a CancelRequest cancels.
	Bind(ctx context.Context, portal, stmt string, params [][]byte, paramFormats, resultFormats []int16) error
	// DescribePortal returns the columns a portal produces (nil for none),
	// with the result formats chosen at Bind.
	DescribePortal(name string) ([]result.Column, []int16, error)
	// Execute runs a portal, sending at most maxRows rows (0 = all). It
	// returns suspended=true when rows remain (PortalSuspended); w gets no
	// SetColumns call (RowDescription belongs to Describe) and Complete only
	// when the portal finished.
	Execute(ctx context.Context, portal string, maxRows int, w result.Writer) (suspended bool, err error)
	// CloseStatement and ClosePortal drop a name; unknown names are not an
	// error.
	CloseStatement(name string) error
	ClosePortal(name string) error
	// Sync ends an extended-protocol batch: it commits the implicit
	// transaction (or marks it aborted after an error) and drops the unnamed
	// portal when not in an explicit transaction.
	Sync(ctx context.Context) error

	// TxStatus reports the status for ReadyForQuery.
	TxStatus() result.TxStatus
	// ParameterStatus returns the parameters to report at startup and after
	// a SET of a reported parameter (server_version, client_encoding,
	// DateStyle, TimeZone, integer_datetimes, standard_conforming_strings,
	// application_name, IntervalStyle, is_superuser, session_authorization,
	// server_encoding, transaction_read_only, in_hot_standby).
	// It is called before every ReadyForQuery to detect changes; pgwire
	// only reads the map during the call, so the session may return its own
	// map without copying.
	ParameterStatus() map[string]string
	// Close releases the session; an open transaction is rolled back.
	Close() error
}

// ParamChangeReporter is implemented by a Session that can tell, without
// allocating, whether a reported parameter may have changed since its
// previous answer. pgwire asks before every ReadyForQuery and calls
// ParameterStatus (which builds a map) only when the answer is yes — on
// most statements nothing changed. A yes that turns out to change nothing
// is harmless: pgwire still sends only the values that differ.
type ParamChangeReporter interface {
	ParametersChanged() bool
}

// SyncWorkReporter is implemented by a Session that can tell whether its
// next Sync has work that a cancellation could interrupt (an implicit
// transaction to commit). When it has none — every Sync inside an
// explicit transaction block, and after a lone BEGIN or COMMIT — pgwire
// runs Sync under the connection's context instead of arming a
// statement context (a cancellable context, the peer check, the running
// gauge) for it: pgbench's prepared transaction sends five Syncs, none
// of which commits.
type SyncWorkReporter interface {
	SyncHasWork() bool
}
