package pgwire_test

import (
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
)

// rawConn is a pgproto3 frontend over a plain socket, for tests that need
// exact messages.
type rawConn struct {
	t  *testing.T
	nc net.Conn
	fe *pgproto3.Frontend
}

func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(20 * time.Second))
	return &rawConn{t: t, nc: nc, fe: pgproto3.NewFrontend(nc, nc)}
}

// startupRaw dials and completes a trust startup.
func startupRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	rc := dialRaw(t, addr)
	rc.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30,
		Parameters: map[string]string{"user": testUser, "database": "heliosdb"}})
	got := rc.untilReady()
	if got[0] != "AuthenticationOk" || got[len(got)-1] != "ReadyForQuery I" || !slices.Contains(got, "BackendKeyData") {
		t.Fatalf("startup got %v", got)
	}
	return rc
}

func (rc *rawConn) send(msgs ...pgproto3.FrontendMessage) {
	rc.t.Helper()
	for _, m := range msgs {
		rc.fe.Send(m)
	}
	if err := rc.fe.Flush(); err != nil {
		rc.t.Fatalf("send: %v", err)
	}
}

// sendBytes writes raw bytes.
func (rc *rawConn) sendBytes(b []byte) {
	rc.t.Helper()
	if _, err := rc.nc.Write(b); err != nil {
		rc.t.Fatalf("write: %v", err)
	}
}

// untilReady receives messages up to and including ReadyForQuery and
// returns their summaries.
func (rc *rawConn) untilReady() []string {
	rc.t.Helper()
	var out []string
	for {
		m, err := rc.fe.Receive()
		if err != nil {
			rc.t.Fatalf("receive after %v: %v", out, err)
		}
		out = append(out, summarize(m))
		if _, ok := m.(*pgproto3.ReadyForQuery); ok {
			return out
		}
	}
}

// untilClosed receives messages until the server closes the connection.
func (rc *rawConn) untilClosed() []string {
	rc.t.Helper()
	var out []string
	for {
		m, err := rc.fe.Receive()
		if err != nil {
			return out
		}
		out = append(out, summarize(m))
	}
}

// summarize renders a backend message as a short comparable string.
func summarize(m pgproto3.BackendMessage) string {
	switch m := m.(type) {
	case *pgproto3.ReadyForQuery:
		return "ReadyForQuery " + string(m.TxStatus)
	case *pgproto3.CommandComplete:
		return "CommandComplete " + string(m.CommandTag)
	case *pgproto3.ErrorResponse:
		return fmt.Sprintf("ErrorResponse %s %s", m.Severity, m.Code)
	case *pgproto3.NoticeResponse:
		return "NoticeResponse " + m.Message
	case *pgproto3.ParameterStatus:
		return "ParameterStatus " + m.Name + "=" + m.Value
	case *pgproto3.DataRow:
		vals := make([]string, len(m.Values))
		for i, v := range m.Values {
			if v == nil {
				vals[i] = "NULL"
			} else {
				vals[i] = string(v)
			}
		}
		return "DataRow " + strings.Join(vals, ",")
	case *pgproto3.RowDescription:
		names := make([]string, len(m.Fields))
		for i, f := range m.Fields {
			names[i] = fmt.Sprintf("%s:%d:%d", f.Name, f.DataTypeOID, f.Format)
		}
		return "RowDescription " + strings.Join(names, ",")
	case *pgproto3.ParameterDescription:
		return fmt.Sprintf("ParameterDescription %v", m.ParameterOIDs)
	}
	return strings.TrimPrefix(fmt.Sprintf("%T", m), "*pgproto3.")
}
