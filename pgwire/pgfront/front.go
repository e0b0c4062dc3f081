package pgfront

import (
	"bufio"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/heliosdb/nano/internal/pgauth"
)

// readBufferSize is the size of the buffered reader a Conn hands over
// (bufio.NewReaderSize of at most this size reuses it rather than adding
// a second buffer).
const readBufferSize = 32 << 10

// Front is the server side of the PostgreSQL startup, shared by every
// connection of one server: the cancel-key registry, the connection
// slots and the drain. It is safe for concurrent use.
type Front struct {
	cfg   Config
	log   *slog.Logger
	scram *pgauth.SCRAM

	mu       sync.Mutex
	conns    map[*Conn]struct{}
	byPID    map[uint32]*Conn
	slots    map[*Conn]struct{} // connections holding a session slot (limits.go)
	draining bool
}

// New validates cfg and returns a Front.
func New(cfg Config) (*Front, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	return &Front{
		cfg: cfg, log: cfg.Logger, scram: pgauth.NewSCRAM(),
		conns: make(map[*Conn]struct{}), byPID: make(map[uint32]*Conn), slots: make(map[*Conn]struct{}),
	}, nil
}

// connState says what a connection is doing, for the drain.
type connState int

const (
	stateStartup connState = iota // negotiating, authenticating
	stateIdle                     // waiting for the first message of a query or batch
	stateBusy                     // running a query or in the middle of a batch
)

// Conn is one client connection from accept to close. Startup runs the
// startup phase; afterwards the server reads from Reader and writes to
// NetConn. Only the connection's own goroutine calls Startup, Reader,
// NetConn and EnterIdle/EnterBusy; Cancel, drain and Close may come from
// any goroutine.
type Conn struct {
	f      *Front
	nc     net.Conn // the accepted socket
	rw     net.Conn // nc, or the TLS connection over it
	br     *bufio.Reader
	tls    bool
	log    *slog.Logger
	pid    uint32
	secret [4]byte

	mu       sync.Mutex // guards the fields below
	state    connState
	draining bool
	onCancel func()
}

// Accept registers a new connection and gives it a cancel key (as
// PostgreSQL's postmaster does before the startup packet). A connection
// over the raw limit (limits.go) is answered FATAL 53300 and closed in the
// background: ErrTooManyConnections. After Drain: ErrClosed, nc closed.
func (f *Front) Accept(nc net.Conn) (*Conn, error) {
	c := &Conn{f: f, nc: nc, rw: nc, br: bufio.NewReaderSize(nc, readBufferSize)}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.draining {
		nc.Close()
		return nil, ErrClosed
	}
	if f.overloaded() {
		go turnAway(nc)
		return nil, ErrTooManyConnections
	}
	var b [8]byte
	for {
		_, _ = rand.Read(b[:])
		pid := binary.BigEndian.Uint32(b[:4]) & 0x7fffffff
		if pid != 0 && f.byPID[pid] == nil {
			c.pid = pid
			copy(c.secret[:], b[4:])
			break
		}
	}
	f.byPID[c.pid] = c
	f.conns[c] = struct{}{}
	c.log = f.log.With("conn_id", c.pid, "remote", nc.RemoteAddr().String())
	return c, nil
}

// PID and Secret are the connection's cancel key (BackendKeyData).
func (c *Conn) PID() uint32 { return c.pid }

// Secret is the secret half of the cancel key.
func (c *Conn) Secret() [4]byte { return c.secret }

// Logger is the connection's logger (conn_id, remote; user and database
// once known).
func (c *Conn) Logger() *slog.Logger { return c.log }

// NetConn is what the server writes to (and closes through Close): the
// TLS connection when one was negotiated, else the socket.
func (c *Conn) NetConn() net.Conn { return c.rw }

// Socket is the accepted socket under any TLS, for checks that must not
// read (internal/peer) and for deadlines.
func (c *Conn) Socket() net.Conn { return c.nc }

// Reader is the buffered reader of the connection after startup; it may
// already hold bytes the client pipelined.
func (c *Conn) Reader() *bufio.Reader { return c.br }

// TLS reports whether the connection is encrypted.
func (c *Conn) TLS() bool { return c.tls }

// SetCancel sets what a CancelRequest carrying this connection's key does
// (called on the canceller's goroutine). nil: nothing.
func (c *Conn) SetCancel(fn func()) {
	c.mu.Lock()
	c.onCancel = fn
	c.mu.Unlock()
}

// Close forgets the connection (its key, its slot) and closes it. It may
// be called more than once and from any goroutine.
func (c *Conn) Close() error {
	f := c.f
	f.mu.Lock()
	delete(f.conns, c)
	delete(f.slots, c)
	if f.byPID[c.pid] == c {
		delete(f.byPID, c.pid)
	}
	f.mu.Unlock()
	return c.nc.Close()
}

// EnterIdle marks the connection idle before it waits for a new query; it
// returns false when the server is draining and the connection must end
// (with 57P01).
func (c *Conn) EnterIdle() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.draining {
		return false
	}
	c.state = stateIdle
	return true
}

// EnterBusy marks the connection busy after a message arrived. A message
// that arrived while the drain was waking it is served to the end of its
// batch, so the drain's read deadline is lifted.
func (c *Conn) EnterBusy() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == stateIdle && c.draining {
		_ = c.nc.SetReadDeadline(time.Time{})
	}
	c.state = stateBusy
}

// Draining reports whether the server is draining.
func (c *Conn) Draining() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.draining
}

// drain wakes an idle or starting connection from its read (its goroutine
// then ends with 57P01 or 57P03); a busy one ends at its next EnterIdle.
func (c *Conn) drain() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.draining = true
	if c.state != stateBusy {
		_ = c.nc.SetReadDeadline(time.Now())
	}
}

// Terminate drains this connection alone (pg_terminate_backend): an idle
// one is woken from its read, a busy one ends at its next EnterIdle.
func (c *Conn) Terminate() { c.drain() }

// Drain refuses new connections (Accept returns ErrClosed) and drains the
// open ones: see Conn.EnterIdle. Connections that become idle later are
// drained then.
func (f *Front) Drain() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.draining = true
	for c := range f.conns {
		c.drain()
	}
}

// CloseAll closes every connection's socket (their goroutines then end).
func (f *Front) CloseAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.draining = true
	for c := range f.conns {
		_ = c.nc.Close()
	}
}

// cancel serves a CancelRequest: the connection with pid and secret runs
// its cancel function; unknown keys are ignored, as in PostgreSQL.
func (f *Front) cancel(pid uint32, secret []byte) {
	f.mu.Lock()
	c := f.byPID[pid]
	f.mu.Unlock()
	if c == nil || subtle.ConstantTimeCompare(c.secret[:], secret) != 1 {
		f.log.Debug("pgfront: cancel request for an unknown key", "pid", pid)
		return
	}
	c.mu.Lock()
	fn := c.onCancel
	c.mu.Unlock()
	if fn != nil {
		fn()
	}
}
