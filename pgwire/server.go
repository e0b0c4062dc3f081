package pgwire

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/heliosdb/nano/pgwire/pgfront"
)

// Server accepts PostgreSQL v3 protocol connections and runs each one
// against a Session from its SessionFactory. See the package documentation
// for the connection lifecycle.
type Server struct {
	cfg      Config
	sessions SessionFactory
	log      *slog.Logger
	metrics  *metrics
	front    *pgfront.Front // startup, authentication, cancel keys, limits, drain

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	closing   bool          // Shutdown or Close started
	done      chan struct{} // closed when closing becomes true
	wg        sync.WaitGroup
}

// NewServer validates cfg and returns a Server that has not started
// serving.
func NewServer(cfg Config, sessions SessionFactory) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if sessions == nil {
		return nil, fmt.Errorf("%w: nil SessionFactory", ErrInvalidConfig)
	}
	cfg = cfg.withDefaults()
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	front, err := pgfront.New(cfg.front())
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	return &Server{
		cfg:       cfg,
		sessions:  sessions,
		log:       cfg.Logger,
		metrics:   m,
		front:     front,
		listeners: make(map[net.Listener]struct{}),
		conns:     make(map[*conn]struct{}),
		done:      make(chan struct{}),
	}, nil
}

// Serve accepts connections on l until Shutdown or Close, and then returns
// ErrServerClosed; it returns other errors from l.Accept that are not
// temporary. l is closed when Serve returns.
func (s *Server) Serve(l net.Listener) error {
	if !s.trackListener(l, true) {
		l.Close()
		return ErrServerClosed
	}
	defer s.trackListener(l, false)
	var delay time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if s.isClosing() {
				return ErrServerClosed
			}
			var te interface{ Temporary() bool }
			if errors.As(err, &te) && te.Temporary() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.log.Warn("pgwire: accept error; retrying", "err", err, "delay", delay)
				select {
				case <-time.After(delay):
				case <-s.done:
				}
				continue
			}
			return fmt.Errorf("pgwire: accept: %w", err)
		}
		delay = 0
		s.startConn(nc)
	}
}

// Addr returns the address of a listener being served, or nil.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	for l := range s.listeners {
		return l.Addr()
	}
	return nil
}

// Shutdown stops accepting connections and drains the open ones: idle
// connections get FATAL 57P01 and are closed at once; busy ones finish their
// current query or extended-protocol batch first. When ctx ends before all
// are gone, the remaining statements are cancelled and their connections
// closed; Shutdown then waits for their goroutines and returns ctx.Err().
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.beginClosing()
	s.mu.Unlock()
	s.front.Drain()
	finished := make(chan struct{})
	go func() { s.wg.Wait(); close(finished) }()
	select {
	case <-finished:
		return nil
	case <-ctx.Done():
	}
	s.forceCloseAll()
	<-finished
	return ctx.Err()
}

// Close closes the listeners and every connection at once, cancelling
// running statements, and waits for the connection goroutines to end.
func (s *Server) Close() error {
	s.mu.Lock()
	s.beginClosing()
	s.mu.Unlock()
	s.forceCloseAll()
	s.wg.Wait()
	return nil
}

// beginClosing marks the server closing and closes its listeners. s.mu is
// held.
func (s *Server) beginClosing() {
	if !s.closing {
		s.closing = true
		close(s.done)
	}
	for l := range s.listeners {
		l.Close()
	}
}

func (s *Server) forceCloseAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.forceClose()
	}
}

// Signal serves pg_cancel_backend (terminate false: the running statement
// of the connection with pid is cancelled, as by a CancelRequest) and
// pg_terminate_backend (the connection ends with FATAL 57P01, as in
// PostgreSQL: at once when idle, else instead of its statement's
// result; see conn.terminate). It reports whether a
// connection has pid. Safe from any goroutine.
func (s *Server) Signal(pid int, terminate bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if int(c.fc.PID()) != pid {
			continue
		}
		if terminate {
			c.terminate()
		} else {
			c.cancelStatement()
		}
		return true
	}
	return false
}

func (s *Server) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

func (s *Server) trackListener(l net.Listener, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if add {
		if s.closing {
			return false
		}
		s.listeners[l] = struct{}{}
		return true
	}
	delete(s.listeners, l)
	l.Close()
	return true
}

// startConn registers nc and starts its goroutine, or closes it when the
// server is closing (or answers 53300 when over the raw connection limit).
func (s *Server) startConn(nc net.Conn) {
	fc, err := s.front.Accept(nc)
	if err != nil {
		return
	}
	c := newConn(s, fc)
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		fc.Close()
		return
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	fc.SetCancel(c.cancelStatement)
	s.metrics.conns.Inc()
	s.metrics.connsTotal.Inc()
	go c.serve()
}

// removeConn forgets c; called by c's goroutine as it ends.
func (s *Server) removeConn(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.metrics.conns.Dec()
	s.wg.Done()
}
