package proxy

import (
	"errors"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/heliosdb/nano/proxy/backend"
	"github.com/heliosdb/nano/sql/pgerror"
)

// errorResponse renders err for the client. A *pgerror.Error keeps its
// code and fields; a node's own ErrorResponse (backend.ServerError) is
// passed on, downgraded from FATAL to ERROR since only the proxy decides
// when the client's session ends; anything else is XX000.
func errorResponse(err error, severity string) *pgproto3.ErrorResponse {
	var se *backend.ServerError
	if errors.As(err, &se) {
		r := se.Resp
		r.Severity, r.SeverityUnlocalized = severity, severity
		return &r
	}
	e := pgerror.Flatten(err)
	return &pgproto3.ErrorResponse{Severity: severity, SeverityUnlocalized: severity, Code: string(e.Code),
		Message: e.Message, Detail: e.Detail, Hint: e.Hint}
}
