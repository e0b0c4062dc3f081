package backend

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/heliosdb/nano/internal/sockio"
	"github.com/heliosdb/nano/proxy/wire"
)

// Options says how to reach and log in to a node.
type Options struct {
	Addr     string // host:port
	User     string
	Password string
	Database string
	// Params are extra startup parameters (application_name,
	// client_encoding, DateStyle…); user and database are set from the
	// fields above.
	Params map[string]string
	// Timeout bounds the dial and the login together (0: only ctx).
	Timeout time.Duration
	// MaxMessageSize bounds messages read from the node (0: the wire
	// default).
	MaxMessageSize int
}

// Conn is a logged-in connection to a node.
type Conn struct {
	Addr     string
	PID      uint32
	Secret   []byte
	Params   map[string]string // ParameterStatus values reported at login
	TxStatus byte              // from the last ReadyForQuery read by Conn itself

	nc  net.Conn // the TLS connection when negotiated, else raw
	raw net.Conn // the socket
	// rw reads and writes the connection: raw system calls on the socket
	// (internal/sockio) without TLS, else nc.
	rw io.ReadWriter
	// Alive's state (alive_unix.go), made by its first call.
	rc     syscall.RawConn // raw's
	peekFn func(fd uintptr) bool
	alive  bool
	r      *wire.Reader
	wbuf   []byte
}

// Dialer opens Conns. Its zero value is ready to use; it caches SCRAM key
// derivations across logins and is safe for concurrent use.
type Dialer struct {
	// TLS, when set, makes every Dial send SSLRequest and, when the node
	// answers 'S', speak TLS with this configuration (its ServerName set
	// to the node's host). nil: no TLS (sslmode=disable).
	TLS *tls.Config
	// TLSRequired refuses a node that answers 'N' (sslmode=require and
	// stricter); otherwise such a node is used in plaintext (prefer).
	TLSRequired bool

	scram scramCache
}

// tcpConnectTimeout bounds the TCP handshake with a node.
const tcpConnectTimeout = 2 * time.Second

// Dial connects to o.Addr and logs in. Errors are network errors, a
// *ServerError (the node refused: bad password, shutting down…),
// ErrUnsupportedAuth or ErrProtocol.
func (d *Dialer) Dial(ctx context.Context, o Options) (*Conn, error) {
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	// The TCP handshake alone gets tcpConnectTimeout: a node whose host is
	// gone (a stopped container keeps its address, so SYNs go unanswered)
	// must not hold a session for the whole login timeout before the
	// statement is routed elsewhere.
	nd := net.Dialer{Timeout: tcpConnectTimeout}
	nc, err := nd.DialContext(ctx, "tcp", o.Addr)
	if err != nil {
		return nil, err
	}
	c := &Conn{Addr: o.Addr, nc: nc, raw: nc, Params: map[string]string{}}
	stop := c.watch(ctx)
	err = c.startTLS(d)
	if err == nil {
		c.rw = c.nc
		if c.nc == c.raw {
			if sc := sockio.New(c.raw); sc != nil {
				c.rw = sc
			}
		}
		c.r = wire.NewReader(c.rw, o.MaxMessageSize)
		err = c.login(o, &d.scram)
	}
	if stop() && err != nil {
		err = fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	if err != nil {
		c.nc.Close()
		return nil, err
	}
	return c, nil
}

// watch applies ctx to the socket until the returned stop is called; stop
// reports whether ctx ended first.
func (c *Conn) watch(ctx context.Context) (stop func() bool) {
	if dl, ok := ctx.Deadline(); ok {
		_ = c.nc.SetDeadline(dl)
	}
	after := context.AfterFunc(ctx, func() { _ = c.nc.SetDeadline(time.Unix(1, 0)) })
	return func() bool {
		fired := !after()
		_ = c.nc.SetDeadline(time.Time{})
		return fired
	}
}

func (c *Conn) login(o Options, sc *scramCache) error {
	params := map[string]string{"user": o.User, "database": o.Database}
	for k, v := range o.Params {
		if k != "user" && k != "database" {
			params[k] = v
		}
	}
	if err := c.sendMsg(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: params}); err != nil {
		return err
	}
	auth := authenticator{user: o.User, password: o.Password, cache: sc}
	for {
		typ, body, err := c.r.Next()
		if err != nil {
			return err
		}
		switch typ {
		case 'R':
			reply, err := auth.step(body)
			if err != nil {
				return err
			}
			if reply != nil {
				if err := c.sendMsg(reply); err != nil {
					return err
				}
			}
		case 'S':
			name, rest, _ := wire.CString(body)
			value, _, _ := wire.CString(rest)
			c.Params[name] = value
		case 'K':
			if len(body) < 8 {
				return fmt.Errorf("%w: short BackendKeyData", ErrProtocol)
			}
			c.PID, c.Secret = binary.BigEndian.Uint32(body), append([]byte(nil), body[4:]...)
		case 'Z':
			if len(body) != 1 {
				return fmt.Errorf("%w: bad ReadyForQuery", ErrProtocol)
			}
			c.TxStatus = body[0]
			return nil
		case 'E':
			return serverError(body)
		case 'N', 'v':
			// Notices and NegotiateProtocolVersion need no answer.
		default:
			return fmt.Errorf("%w: unexpected message %q during login", ErrProtocol, typ)
		}
	}
}

func (c *Conn) sendMsg(msg wire.Encoder) error {
	b, err := wire.AppendMsg(c.wbuf[:0], msg)
	if err != nil {
		return err
	}
	c.wbuf = b
	return c.Send(b)
}

// Send writes raw frames to the node.
func (c *Conn) Send(frames []byte) error {
	_, err := c.rw.Write(frames)
	return err
}

// Request sends frames whose answer the caller reads next with Next: on
// a plain socket, with nothing of an earlier answer left unread, the
// frames are written by that Next, which then waits for the answer
// without first trying a read that would find nothing yet
// (sockio.Conn.WriteBeforeRead); errors writing them are then Next's.
// Otherwise it is Send. frames must stay unchanged until that Next.
func (c *Conn) Request(frames []byte) error {
	if sc, ok := c.rw.(*sockio.Conn); ok && c.r.Buffered() == 0 && len(frames) > 0 {
		sc.WriteBeforeRead(frames)
		return nil
	}
	return c.Send(frames)
}

// Next reads one frame from the node; body is valid until the next call.
func (c *Conn) Next() (typ byte, body []byte, err error) { return c.r.Next() }

// SetDeadline sets the socket's read and write deadline.
func (c *Conn) SetDeadline(t time.Time) error { return c.nc.SetDeadline(t) }

// Close sends Terminate (best effort) and closes the socket.
func (c *Conn) Close() error {
	_ = c.nc.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	_, _ = c.nc.Write([]byte{'X', 0, 0, 0, 4})
	return c.nc.Close()
}

// Cancel asks the node at addr to cancel what the session (pid, secret) is
// running, as PostgreSQL's CancelRequest does: on a connection of its own.
func Cancel(ctx context.Context, addr string, pid uint32, secret []byte) error {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer nc.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = nc.SetDeadline(dl)
	}
	b, err := wire.AppendMsg(nil, &pgproto3.CancelRequest{ProcessID: pid, SecretKey: secret})
	if err != nil {
		return err
	}
	_, err = nc.Write(b)
	return err
}
