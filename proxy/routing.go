package proxy

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/heliosdb/nano/proxy/route"
	"github.com/heliosdb/nano/sql/pgerror"
)

// waiter tracks one statement's wait for a node.
type waiter struct {
	start, deadline time.Time
	reason          string // why the wait began
	release         func() // ends the fast health probes the wait asked for
}

// done ends the wait's fast health probes, if any.
func (w *waiter) done() {
	if w.release != nil {
		w.release()
		w.release = nil
	}
}

func waitLevel(d route.Decision) slog.Level {
	if d.Reason == route.ReasonSwitchover {
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

// acquire routes ex and returns a backend connection for it. With no
// suitable node it waits, re-checking every PollInterval (and at once
// when a switchover releases its hold), up to WriteTimeout; then, or when
// cancelled or shutting down, it returns the error for the client. A
// statement routed to the primary as a write is entered in the write gate
// (ex.gated); the caller leaves it when the statement is done.
func (s *session) acquire(ex *exchange) (*bconn, route.Decision, error) {
	var w waiter
	defer w.done()
	var cw causalWait
	s.beginCausal(ex.kind)
	var failures map[string]int // failed connects by node (made on the first)
	for {
		wake := s.srv.gate.changed() // before the view: a release after it still wakes us
		nodesChanged := s.srv.nodes.Changed()
		lsnChanged := s.lsnChanged()
		s.viewBuf = s.srv.appendView(s.viewBuf[:0])
		s.causalFloor(s.viewBuf)
		d := route.Decide(s.srv.policy, s.viewBuf, s.rs, ex.kind, s.srv.rr.Load())
		if d.Reason == route.ReasonCausalWait {
			if err := s.waitCausal(&cw, lsnChanged, nodesChanged); err != nil {
				return nil, d, err
			}
			continue
		}
		if !d.Wait() {
			if gated(d) && !s.srv.gate.enter(d.Node) {
				continue // a hold began after the view was read: decide again
			}
			if d.Reason == route.ReasonRoundRobin {
				s.srv.rr.Add(1)
			}
			bc, err := s.backendFor(d.Node)
			if err == nil {
				if gated(d) {
					ex.gated = d.Node
				}
				s.waited(&w, "ok", d)
				if s.log.Enabled(context.Background(), slog.LevelDebug) { // spare the arguments' allocations
					s.log.Debug("routing: selected node", "node", d.Node, "kind", kindName(ex.kind),
						"reason", d.Reason, "class", ex.class.Reason)
				}
				return bc, d, nil
			}
			if gated(d) {
				s.srv.gate.leave(d.Node)
			}
			if d.Reason == route.ReasonTransaction {
				return nil, d, lostError(d.Node, err, true)
			}
			if !nodeFault(err) {
				return nil, d, err
			}
			s.log.Debug("routing: node failed to connect", "node", d.Node, "err", err)
			if failures == nil {
				failures = map[string]int{}
			}
			if failures[d.Node]++; failures[d.Node] < 2 {
				continue // it is marked unhealthy now: decide again at once
			}
			d.Reason = route.ReasonNoNode
			if ex.kind == route.Write {
				d.Reason = route.ReasonNoPrimary
			}
		}
		if err := s.wait(&w, ex, d, wake, nodesChanged); err != nil {
			return nil, d, err
		}
	}
}

// gated reports whether d sends a statement to the primary because it
// needs the primary (a write, or a session pinned there): those are
// counted by the write gate and held during a switchover.
func gated(d route.Decision) bool {
	return d.Reason == route.ReasonPrimary || d.Reason == route.ReasonPinned
}

// wait sleeps one poll interval (less near the deadline) or until wake
// (a switchover release) or nodesChanged (a probe changed a node) is
// closed, or returns the error that ends the wait.
func (s *session) wait(w *waiter, ex *exchange, d route.Decision, wake, nodesChanged <-chan struct{}) error {
	now := time.Now()
	if w.deadline.IsZero() {
		w.start, w.deadline, w.reason = now, now.Add(s.srv.cfg.WriteTimeout), d.Reason
		// Re-probe the nodes every PollInterval while we wait, not every
		// health_check_interval_secs: a returning primary is used at once.
		w.release = s.srv.nodes.Expedite()
		select { // a cancel sent before this wait is not for it
		case <-s.cancelWait:
		default:
		}
		// A switchover holds every writer for a moment: not worth a line each.
		s.log.Log(context.Background(), waitLevel(d), "routing: no node available; waiting", "kind", kindName(ex.kind),
			"reason", d.Reason, "timeout", s.srv.cfg.WriteTimeout)
	}
	if !now.Before(w.deadline) {
		s.srv.metrics.writeWaits.WithLabelValues("timeout").Inc()
		s.log.Info("routing: gave up waiting for a node", "kind", kindName(ex.kind), "reason", d.Reason, "waited", now.Sub(w.start))
		return s.timeoutError(ex.kind, d, now.Sub(w.start))
	}
	t := time.NewTimer(min(s.srv.cfg.PollInterval, w.deadline.Sub(now)))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-wake:
		return nil
	case <-nodesChanged:
		return nil
	case <-s.cancelWait:
		s.srv.metrics.writeWaits.WithLabelValues("canceled").Inc()
		return pgerror.New(pgerror.QueryCanceled, "canceling statement due to user request")
	case <-s.srv.closing:
		s.srv.metrics.writeWaits.WithLabelValues("shutdown").Inc()
		return pgerror.New(pgerror.AdminShutdown, "terminating statement: the proxy is shutting down")
	}
}

// waited records the end of a successful wait.
func (s *session) waited(w *waiter, outcome string, d route.Decision) {
	if w.deadline.IsZero() {
		return
	}
	s.srv.metrics.writeWaits.WithLabelValues(outcome).Inc()
	s.log.Log(context.Background(), waitLevel(route.Decision{Reason: w.reason}), "routing: node available after waiting",
		"node", d.Node, "waited", time.Since(w.start).Round(time.Millisecond))
}

// timeoutError is the client's error after WriteTimeout: 57P03
// cannot_connect_now, which tells drivers and pools to retry later without
// implying that this connection is broken (it is not).
func (s *session) timeoutError(k route.Kind, d route.Decision, waited time.Duration) error {
	msg := fmt.Sprintf("no primary available: waited %s (write_timeout_secs) for a healthy primary", waited.Round(time.Millisecond))
	if k != route.Write {
		msg = fmt.Sprintf("no healthy node available: waited %s (write_timeout_secs)", waited.Round(time.Millisecond))
	}
	var nodes []string
	for _, n := range s.srv.view() {
		state := "healthy"
		switch {
		case !n.Enabled:
			state = "disabled"
		case !n.Healthy:
			state = "unhealthy"
		case n.Held:
			state = "healthy, writes held for a switchover"
		}
		nodes = append(nodes, fmt.Sprintf("%s: %s, role %s, term %d", n.Name, state, n.Role, n.Term))
	}
	return pgerror.New(pgerror.CannotConnectNow, msg).
		WithDetail("Routing reason: %s. Nodes: %s.", d.Reason, strings.Join(nodes, "; ")).
		WithHint("The statement was not executed. Retry when a primary is available; this session is still usable.")
}

func kindName(k route.Kind) string {
	switch k {
	case route.Read:
		return "read"
	case route.Write:
		return "write"
	}
	return "any"
}
