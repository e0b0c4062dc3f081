package proxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heliosdb/nano/internal/pgauth"
	"github.com/heliosdb/nano/pgwire/pgfront"
	"github.com/heliosdb/nano/proxy/backend"
	"github.com/heliosdb/nano/proxy/classify"
	"github.com/heliosdb/nano/proxy/config"
	"github.com/heliosdb/nano/proxy/health"
	"github.com/heliosdb/nano/proxy/route"
)

// nodeView is what sessions need from the health checker.
type nodeView interface {
	View() []route.Node
	AppendView(dst []route.Node) []route.Node
	Addr(name string) (string, bool)
	ReportFailure(name string, err error)
	Params() map[string]string
	// Refresh re-probes every node now (see health.Checker.Refresh).
	Refresh(ctx context.Context)
	// Expedite re-probes the nodes every PollInterval until released
	// (see health.Checker.Expedite).
	Expedite() (release func())
	// Changed is closed when a probe next changes a node.
	Changed() <-chan struct{}
}

var _ nodeView = (*health.Checker)(nil)

// Server accepts PostgreSQL clients and runs one session per connection.
// Its lifecycle follows net/http: Serve, Shutdown, Close.
type Server struct {
	cfg     Config
	log     *slog.Logger
	nodes   nodeView
	policy  route.Policy
	classes *classify.Classifier
	dialer  *backend.Dialer
	users   map[string]string // client user → password (also used towards the nodes)
	front   *pgfront.Front    // startup, client auth, cancel keys, limits, drain
	metrics *metrics
	gate    *writeGate
	// renewLease grants the primary its failover lease now (nil: no
	// automatic failover); see retryReadOnly.
	renewLease func(ctx context.Context, node string) bool
	causal     *causalReads  // nil unless read_consistency = "causal"
	rr         atomic.Uint64 // round-robin position for reads
	closing    chan struct{} // closed by Shutdown and Close
	closeMu    sync.Once
	sessWG     sync.WaitGroup
	mu         sync.Mutex
	lns        map[net.Listener]struct{}
}

func newServer(cfg Config, nodes nodeView, m *metrics) (*Server, error) {
	users := cfg.Credentials()
	front, err := pgfront.New(pgfront.Config{
		Rules: pgfront.SingleRule{Use: pgfront.Method(cfg.AuthMethod), RequireTLS: cfg.TLSRequired},
		Users: pgfront.UsersFunc(func(user string) (pgauth.Secret, bool) {
			p, ok := users[user]
			return pgauth.PlainSecret(p), ok
		}),
		TLS:            cfg.clientTLS,
		StartupTimeout: cfg.StartupTimeout,
		MaxConnections: cfg.MaxConnections,
		CheckStartup:   refuseReplication,
		Logger:         cfg.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	return &Server{
		cfg: cfg, log: cfg.Logger, nodes: nodes, metrics: m,
		policy:  policyOf(cfg),
		classes: classify.New(), dialer: newDialer(cfg), users: users, front: front,
		gate:    newWriteGate(),
		closing: make(chan struct{}), lns: map[net.Listener]struct{}{},
	}, nil
}

// view is the routing view with the switchover hold applied (and, for
// causal reads, the applied LSNs learned since the last probe).
func (s *Server) view() []route.Node { return s.appendView(nil) }

// appendView is view appending to dst (a session's reused buffer).
func (s *Server) appendView(dst []route.Node) []route.Node {
	v := s.gate.markHeld(s.nodes.AppendView(dst))
	if s.causal != nil {
		v = s.causal.overlay(v)
	}
	return v
}

func policyOf(cfg Config) route.Policy {
	p := route.Policy{ReadFromPrimary: cfg.ReadFromPrimary, MaxLagBytes: cfg.MaxReplicaLagBytes}
	switch cfg.Consistency() {
	case config.ConsistencySession:
		p.Consistency, p.ReadYourWrites = route.ConsistencySession, true
	case config.ConsistencyCausal:
		p.Consistency = route.ConsistencyCausal
	}
	return p
}

// Serve accepts connections on l until Shutdown or Close, and then
// returns ErrServerClosed; other accept errors are returned as they are.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	if s.isClosing() {
		s.mu.Unlock()
		l.Close()
		return ErrServerClosed
	}
	s.lns[l] = struct{}{}
	s.mu.Unlock()
	var delay time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if s.isClosing() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				// A deliberate backoff, as net/http's Serve does: a temporary
				// Accept error (EMFILE) has no event to wait for, and it ends
				// within a second of Close.
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		s.start(nc)
	}
}

func (s *Server) start(nc net.Conn) {
	fc, err := s.front.Accept(nc)
	if err != nil {
		return // closing, or over the connection limit (answered 53300)
	}
	sess := newSession(s, fc)
	s.mu.Lock()
	if s.isClosing() {
		s.mu.Unlock()
		fc.Close()
		return
	}
	s.sessWG.Add(1)
	s.mu.Unlock()
	fc.SetCancel(sess.cancel)
	s.metrics.connections.Inc()
	s.metrics.active.Inc()
	go func() {
		defer s.sessWG.Done()
		defer s.metrics.active.Dec()
		sess.serve()
	}()
}

func (s *Server) isClosing() bool {
	select {
	case <-s.closing:
		return true
	default:
		return false
	}
}

func (s *Server) beginClose() {
	s.closeMu.Do(func() {
		s.mu.Lock()
		close(s.closing)
		for l := range s.lns {
			l.Close()
		}
		s.mu.Unlock()
	})
}

// Shutdown stops accepting, tells idle sessions (and those in startup)
// FATAL 57P01 (57P03) and closes them; busy sessions do the same after
// their current statement or batch (pgfront's drain). When ctx ends first,
// the remaining client connections are closed. It returns once every
// session has ended, with ctx's error if it had to force them.
func (s *Server) Shutdown(ctx context.Context) error {
	s.beginClose()
	s.front.Drain()
	done := make(chan struct{})
	go func() { s.sessWG.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.Close()
		return ctx.Err()
	}
}

// Close closes the listeners and every client connection at once, and
// waits for the sessions to end.
func (s *Server) Close() error {
	s.beginClose()
	s.front.CloseAll()
	s.sessWG.Wait()
	return nil
}

// cancelOn forwards a cancel request to a node.
func (s *Server) cancelOn(addr string, pid uint32, secret []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.ConnectTimeout)
	defer cancel()
	return backend.Cancel(ctx, addr, pid, secret)
}
