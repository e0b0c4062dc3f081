package forward

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	gbackoff "google.golang.org/grpc/backoff"
	"google.golang.org/grpc/keepalive"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/replication"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/result"
	"github.com/heliosdb/nano/sql/session"
	"github.com/heliosdb/nano/sql/types"
)

// Applied is the standby's storage as the client waits on it: a forwarded
// commit is answered only once this node has applied its LSN
// (storage.DB implements it).
type Applied interface {
	AppliedLSN() lsn.LSN
	// WaitApplied waits until AppliedLSN reaches at or ctx ends (then
	// ctx's error).
	WaitApplied(ctx context.Context, at lsn.LSN) error
}

// ClientConfig configures the standby's side.
type ClientConfig struct {
	// Secret, NodeID and TLS authenticate this node to the primary's
	// native port (replication.DialOption).
	Secret string
	NodeID string
	TLS    *replication.TLS
	// Primary returns the native address ("host:port") of the primary the
	// node follows now, or "" when it follows none. Required.
	Primary func() string
	// NoPrimaryHint is the hint of the 25006 a write gets when the node
	// follows no primary (a primary that refuses writes: fenced, lease
	// lapsed). nil: a generic one.
	NoPrimaryHint func() string
	// Applied is waited on after a forwarded commit (read-your-writes).
	// nil: commits are answered at once (a client that never commits).
	Applied Applied
	// Timeout bounds how long a transaction looks for the primary, and how
	// long a forwarded commit waits to be applied here. Default 10s.
	Timeout time.Duration
	// ApplyWait observes how long forwarded commits waited to be applied
	// here (seconds); nil: not observed.
	ApplyWait prometheus.Observer
	// Logger; nil discards.
	Logger *slog.Logger
}

// Client opens forwarded transactions on whatever primary the node follows
// at that moment; it is the session.Forwarder of a standby with write
// forwarding on. Safe for concurrent use; transactions share one gRPC
// connection to the current primary. When the node starts following
// another primary, new transactions go there and the old connection is
// closed once its last transaction has ended (a transaction open across
// the switch then fails with the old primary's own error, 25006, rather
// than a broken connection).
type Client struct {
	cfg ClientConfig

	mu     sync.Mutex
	cur    *conn // connection to the primary followed now
	closed bool
}

var _ session.Forwarder = (*Client)(nil)

// conn is a connection and the number of transactions using it.
type conn struct {
	addr  string
	cc    *grpc.ClientConn
	users int
}

// NewClient returns a client; nothing is dialled until used.
func NewClient(cfg ClientConfig) *Client {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Client{cfg: cfg}
}

// Close closes the current connection; transactions in progress fail.
func (c *Client) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if c.cur != nil {
		c.cur.cc.Close()
		c.cur = nil
	}
}

// Begin implements session.Forwarder: a transaction for a session that
// logged in with info, on the primary followed now. Nothing is sent until
// its first request, which carries the Open with it. On a node that
// follows no primary every call fails at once with 25006.
func (c *Client) Begin(_ context.Context, info result.StartupInfo, params map[string]string, begin string) session.ForwardTxn {
	if c.cfg.Primary() == "" {
		hint := "This node follows no primary."
		if c.cfg.NoPrimaryHint != nil {
			hint = c.cfg.NoPrimaryHint()
		}
		return refusedTxn{pgerror.New(pgerror.ReadOnlySQLTransaction, "cannot execute a write: this node refuses writes and follows no primary to forward them to").WithHint("%s", hint)}
	}
	return c.begin(info.User, info.Database, params, begin)
}

func (c *Client) begin(user, database string, params map[string]string, begin string) *Txn {
	return &Txn{c: c, open: openMsg(c.cfg.NodeID, user, database, params, begin)}
}

// acquire returns a connection to the current primary, dialling it when
// the node now follows another one. The caller releases it.
func (c *Client) acquire() (*conn, string, error) {
	addr := c.cfg.Primary()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, addr, errors.New("node is shutting down")
	}
	if addr == "" {
		return nil, "", errors.New("this node follows no primary")
	}
	if c.cur != nil && c.cur.addr == addr {
		c.cur.users++
		return c.cur, addr, nil
	}
	if old := c.cur; old != nil {
		c.cfg.Logger.Info("write forwarding: following a new primary", "primary", addr, "previous", old.addr)
		c.cur = nil
		if old.users == 0 {
			old.cc.Close()
		}
	}
	cc, err := grpc.NewClient(addr,
		replication.DialOption(c.cfg.Secret, c.cfg.NodeID, c.cfg.TLS),
		grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: 10 * time.Second, Timeout: 5 * time.Second}),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20)),
		grpc.WithConnectParams(grpc.ConnectParams{MinConnectTimeout: c.cfg.Timeout, Backoff: gbackoff.Config{
			BaseDelay: 50 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: time.Second}}),
	)
	if err != nil {
		return nil, addr, err
	}
	c.cur = &conn{addr: addr, cc: cc, users: 1}
	return c.cur, addr, nil
}

// release ends a transaction's use of fc, closing it when it is no longer
// the current connection and nobody uses it.
func (c *Client) release(fc *conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fc.users--
	if fc.users == 0 && fc != c.cur {
		fc.cc.Close()
	}
}

// refusedTxn fails every call with err.
type refusedTxn struct{ err error }

func (r refusedTxn) Describe(context.Context, string, []types.Oid) (result.StatementDescription, error) {
	return result.StatementDescription{}, r.err
}
func (r refusedTxn) Exec(context.Context, session.ForwardStatement, result.Writer) error {
	return r.err
}
func (r refusedTxn) Commit(context.Context, result.Writer) error { return r.err }
func (r refusedTxn) Close()                                      {}
