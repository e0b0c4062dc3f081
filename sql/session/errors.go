package session

import (
	"errors"

	"github.com/heliosdb/nano/sql/pgerror"
)

var (
	// ErrNoEngine is returned by Config.Validate when Engine is nil.
	ErrNoEngine = errors.New("session: Config.Engine is required")
	// ErrClosed is returned by every method of a closed Session.
	ErrClosed = pgerror.New(pgerror.ConnectionFailure, "session: closed")
)

// errStatementTimeout is the cancellation cause of statement_timeout.
var errStatementTimeout = pgerror.New(pgerror.QueryCanceled, "canceling statement due to statement timeout")

func errUserCancel() *pgerror.Error {
	return pgerror.New(pgerror.QueryCanceled, "canceling statement due to user request")
}

func errReadOnlyTx(what string) *pgerror.Error {
	return pgerror.Newf(pgerror.ReadOnlySQLTransaction, "cannot execute %s in a read-only transaction", what)
}

func errNoStatement(name string) *pgerror.Error {
	return pgerror.Newf(pgerror.InvalidSQLStatementName, "prepared statement %q does not exist", name)
}

func errNoPortal(name string) *pgerror.Error {
	return pgerror.Newf(pgerror.InvalidCursorName, "portal %q does not exist", name)
}
