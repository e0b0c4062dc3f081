package pgwire

import (
	"bufio"
	"io"
	"maps"
	"slices"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/heliosdb/nano/internal/sockio"
	"github.com/heliosdb/nano/sql/result"
)

// startup runs the startup phase (pgfront: negotiation, authentication,
// limits), then creates the session and greets the client. It returns
// false when the connection must end (the client has been told why when
// it could).
func (c *conn) startup() bool {
	info, err := c.fc.Startup()
	if err != nil {
		return false
	}
	c.rw = c.fc.NetConn()
	c.log = c.fc.Logger()
	var rd io.Reader = c.fc.Reader()
	if !c.fc.TLS() {
		// A plain socket is read and written with raw system calls
		// (internal/sockio): net.Conn's Read and Write enter the
		// scheduler's system-call state on every message.
		if sc := sockio.New(c.fc.Socket()); sc != nil {
			c.rw, rd = sc, &startupReader{br: c.fc.Reader(), raw: sc}
		}
	}
	c.be = pgproto3.NewBackend(rd, nil)
	c.be.SetMaxBodyLen(c.srv.cfg.MaxMessageSize)
	sess, err := c.srv.sessions.NewSession(c.ctx, result.StartupInfo{
		User: info.User, Database: info.Database, Params: info.Params,
		ProcessID: c.fc.PID(), RemoteAddr: c.nc.RemoteAddr().String(),
	})
	if err != nil {
		c.sendFatal(err)
		return false
	}
	c.sess = sess
	c.greet()
	return c.werr == nil
}

// greet sends AuthenticationOk, the parameters, BackendKeyData and the
// first ReadyForQuery.
func (c *conn) greet() {
	c.appendMsg(&pgproto3.AuthenticationOk{})
	params := c.sess.ParameterStatus()
	c.reported = make(map[string]string, len(params))
	for _, k := range slices.Sorted(maps.Keys(params)) {
		c.reported[k] = params[k]
		c.appendMsg(&pgproto3.ParameterStatus{Name: k, Value: params[k]})
		if k == "TimeZone" {
			c.setTimeZone(params[k])
		}
	}
	secret := c.fc.Secret()
	c.appendMsg(&pgproto3.BackendKeyData{ProcessID: c.fc.PID(), SecretKey: secret[:]})
	c.wbuf = append(c.wbuf, 'Z', 0, 0, 0, 5, byte(c.sess.TxStatus()))
	c.flush()
}

// startupReader reads what pgfront's reader buffered during the startup
// (a client may pipeline its first query behind the startup message),
// then the socket through raw.
type startupReader struct {
	br  *bufio.Reader // nil once drained
	raw io.Reader
}

func (r *startupReader) Read(p []byte) (int, error) {
	if r.br != nil {
		if r.br.Buffered() > 0 {
			return r.br.Read(p)
		}
		r.br = nil
	}
	return r.raw.Read(p)
}
