package session_test

import (
	"github.com/heliosdb/nano/pgwire"
	"github.com/heliosdb/nano/sql/session"
)

// *Session implements pgwire.Session without the package importing pgwire.
var _ pgwire.Session = (*session.Session)(nil)
