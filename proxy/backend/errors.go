package backend

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgproto3"
)

var (
	// ErrProtocol is returned for a message the proxy did not expect from
	// a node.
	ErrProtocol = errors.New("backend: protocol violation")
	// ErrUnsupportedAuth is returned when a node asks for an
	// authentication method the proxy does not speak.
	ErrUnsupportedAuth = errors.New("backend: unsupported authentication method")
	// ErrTLS is returned when TLS with a node fails: the node refused it
	// while it is required, or the handshake (certificate check) failed.
	ErrTLS = errors.New("backend: TLS")
)

// ServerError is an ErrorResponse a node sent: during login (wrong
// password, shutting down) or in answer to SimpleQuery.
type ServerError struct {
	Resp pgproto3.ErrorResponse
}

func (e *ServerError) Error() string {
	return fmt.Sprintf("backend: %s %s: %s", e.Resp.Severity, e.Resp.Code, e.Resp.Message)
}

func serverError(body []byte) error {
	var resp pgproto3.ErrorResponse
	if err := resp.Decode(body); err != nil {
		return fmt.Errorf("%w: bad ErrorResponse: %v", ErrProtocol, err)
	}
	return &ServerError{Resp: resp}
}
