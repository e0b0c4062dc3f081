package proxy

import (
	"context"
	"slices"

	"github.com/heliosdb/nano/proxy/classify"
	"github.com/heliosdb/nano/proxy/route"
	"github.com/heliosdb/nano/proxy/wire"
)

// finish updates the session after an exchange completed on bc: pins,
// prepared statements, session settings, metrics.
func (s *session) finish(bc *bconn, ex *exchange, out outcome, wasIdle bool) {
	if ex.flush { // the batch goes on, on bc; the session changes at its Sync
		s.ext = &extState{bc: bc, d: ex.d, tr: ex.tr, v: ex.v, class: ex.class}
		return
	}
	s.ext = nil
	s.txStatus = out.status
	s.rs.LastNode = bc.node
	if out.status == 'I' {
		s.rs.TxNode = ""
	} else {
		s.rs.TxNode = bc.node
	}
	if ex.kind == route.Read && (ex.d.Reason == route.ReasonRoundRobin || ex.d.Reason == route.ReasonSticky) {
		s.rs.ReadNode = bc.node
	}
	if ex.class.Modifies() && !out.hadErr {
		s.rs.Wrote = true
	}
	if ex.class.Temp && !out.hadErr {
		s.rs.PinPrimary = true
	}
	if ex.simple { // a simple Query destroys the unnamed statement
		delete(bc.prepared, "")
		delete(s.stmts, "")
	}
	if ex.tr != nil {
		s.applyOutcomes(bc, ex.tr)
	}
	s.sessionEffects(bc, ex.class, out, wasIdle)
	s.srv.metrics.query(&s.qc, bc.node, kindName(ex.kind), ex.d.Reason)
}

// applyOutcomes records which statements bc and the client now hold.
func (s *session) applyOutcomes(bc *bconn, tr *tracker) {
	for _, m := range tr.msgs {
		switch {
		case m.typ == 'P' && m.done:
			bc.prepared[m.name] = m.parse
			if !m.injected {
				s.stmts[m.name] = &stmt{name: m.name, parse: m.parse, class: s.srv.classes.Classify(parseSQL(m.parse))}
			}
		case m.typ == 'P' && m.name == "": // a failed unnamed Parse drops the old one
			delete(bc.prepared, "")
			if !m.injected {
				delete(s.stmts, "")
			}
		case m.typ == 'C' && m.stmt && m.done:
			delete(bc.prepared, m.name)
			if !m.injected {
				delete(s.stmts, m.name)
			}
		}
	}
}

// parseSQL extracts the SQL text of a Parse frame.
func parseSQL(frame string) string {
	_, rest, _ := wire.CString([]byte(frame[5:]))
	sql, _, _ := wire.CString(rest)
	return sql
}

// sessionEffects applies SET/RESET, DISCARD ALL and DEALLOCATE. SETs take
// effect for the session once they can no longer be rolled back (at once
// outside a transaction, at COMMIT inside one); then they are replayed on
// the session's other backends and on every backend it opens later.
func (s *session) sessionEffects(bc *bconn, cl classify.Class, out outcome, wasIdle bool) {
	if len(cl.Set) > 0 && !out.hadErr {
		s.pendingSets = append(s.pendingSets, cl.Set...)
	}
	if out.status == 'I' {
		if len(s.pendingSets) > 0 && ((wasIdle && !out.hadErr) || out.committed) {
			s.commitSets(bc, s.pendingSets)
		}
		s.pendingSets = nil
	}
	if out.hadErr {
		return
	}
	if cl.DiscardAll {
		s.sets, s.pendingSets = nil, nil
		clear(s.stmts)
		clear(bc.prepared)
		for name := range s.backends {
			if name != bc.node {
				s.dropBackend(name) // a fresh connection is a discarded session
			}
		}
	}
	for _, name := range cl.Deallocate {
		if name == "*" {
			clear(s.stmts)
			clear(bc.prepared)
			continue
		}
		delete(s.stmts, name)
		delete(bc.prepared, name)
	}
}

// commitSets records sets for replay and applies them to the session's
// other backends; one that fails is dropped (and reopened, with the
// replay, when next needed).
func (s *session) commitSets(ran *bconn, sets []string) {
	for _, q := range sets {
		if i := slices.Index(s.sets, q); i >= 0 { // keep the list short: the latest position wins
			s.sets = slices.Delete(s.sets, i, i+1)
		}
		s.sets = append(s.sets, q)
	}
	for name, bc := range s.backends {
		if bc == ran {
			continue
		}
		for _, q := range sets {
			ctx, cancel := context.WithTimeout(context.Background(), s.srv.cfg.ConnectTimeout)
			_, err := bc.SimpleQuery(ctx, q)
			cancel()
			if err != nil {
				s.log.Warn("proxy: applying a SET on another backend failed; dropping that connection", "node", name, "sql", q, "err", err)
				s.dropBackend(name)
				break
			}
		}
	}
}
