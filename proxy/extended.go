package proxy

import (
	"github.com/heliosdb/nano/proxy/classify"
	"github.com/heliosdb/nano/proxy/route"
	"github.com/heliosdb/nano/proxy/wire"
	"github.com/heliosdb/nano/sql/pgerror"
)

// batch holds the extended-protocol messages received since the last
// Sync (or Flush), as raw frames.
type batch struct {
	buf  []byte
	msgs []qmsg
}

// qmsg is one queued client message.
type qmsg struct {
	typ        byte
	start, end int    // its frame in batch.buf
	stmt       bool   // Describe/Close of a statement
	name       string // statement (Parse, Bind, Describe/Close 'S') or portal name
	sql        string // Parse
}

func (b *batch) reset() { b.buf, b.msgs = b.buf[:0], b.msgs[:0] }

// extState is an extended batch that a Flush already started on a
// backend: the rest of it, up to Sync, must go to the same backend.
type extState struct {
	bc    *bconn
	d     route.Decision
	tr    *tracker
	v     *virtual
	class classify.Class
}

// virtual is the prepared statements a backend will hold once the
// messages built so far have run. Its maps are made on first use: most
// batches (Bind/Execute of statements the backend has) need none.
type virtual struct {
	over    map[string]string // name → Parse frame
	gone    map[string]bool
	touched map[string]bool // parsed or closed by the client in this batch
}

// reset empties v for the next batch, keeping its maps.
func (v *virtual) reset() {
	clear(v.over)
	clear(v.gone)
	clear(v.touched)
}

func (v *virtual) get(bc *bconn, name string) (string, bool) {
	if p, ok := v.over[name]; ok {
		return p, true
	}
	if v.gone[name] {
		return "", false
	}
	p, ok := bc.prepared[name]
	return p, ok
}

func (v *virtual) set(name, parse string) {
	if v.over == nil {
		v.over = map[string]string{}
	}
	v.over[name] = parse
	delete(v.gone, name)
}

func (v *virtual) del(name string) {
	if v.gone == nil {
		v.gone = map[string]bool{}
	}
	delete(v.over, name)
	v.gone[name] = true
}

func (v *virtual) touch(name string) {
	if v.touched == nil {
		v.touched = map[string]bool{}
	}
	v.touched[name] = true
}

// queue appends a Parse, Bind, Describe, Execute or Close to the batch.
// A malformed message ends the session (FATAL 08P01), as in PostgreSQL.
func (s *session) queue(typ byte, body []byte) bool {
	m := qmsg{typ: typ, start: len(s.batch.buf)}
	ok := true
	switch typ {
	case 'P':
		var rest []byte
		m.name, rest, ok = wire.CString(body)
		if ok {
			m.sql, _, ok = wire.CString(rest)
		}
	case 'B':
		var rest, name []byte
		if _, rest, ok = wire.CBytes(body); ok {
			name, _, ok = wire.CBytes(rest)
			m.name = s.stmtName(name)
		}
	case 'D', 'C':
		ok = len(body) >= 2 && (body[0] == 'S' || body[0] == 'P')
		if ok {
			var name []byte
			m.stmt = body[0] == 'S'
			name, _, ok = wire.CBytes(body[1:])
			m.name = s.stmtName(name)
		}
	}
	if !ok {
		s.sendFatal(pgerror.Newf(pgerror.ProtocolViolation, "invalid message format (type %q)", typ))
		return false
	}
	s.batch.buf = wire.Append(s.batch.buf, typ, body)
	m.end = len(s.batch.buf)
	s.batch.msgs = append(s.batch.msgs, m)
	return true
}

// stmtName returns name as a string: the client's prepared statement's
// own when it has one by that name (a Bind of a prepared statement, the
// common case, then allocates nothing), else a copy.
func (s *session) stmtName(name []byte) string {
	if st := s.stmts[string(name)]; st != nil {
		return st.name
	}
	return string(name)
}

// syncBatch runs the batch up to the client's Sync.
func (s *session) syncBatch() {
	defer s.batch.reset()
	if s.skipToSync {
		s.skipToSync = false
		s.readyForQuery()
		return
	}
	if len(s.batch.msgs) == 0 && s.ext == nil {
		s.readyForQuery() // a lone Sync: nothing to run
		return
	}
	ex := s.batchExchange(false)
	s.run(&ex)
}

// flushBatch sends what is queued with a Flush and relays the answers.
func (s *session) flushBatch() {
	defer s.batch.reset()
	if len(s.batch.msgs) == 0 {
		s.flush()
		return
	}
	ex := s.batchExchange(true)
	s.run(&ex)
}

// batchExchange builds the exchange for the queued messages.
func (s *session) batchExchange(flush bool) exchange {
	ex := exchange{flush: flush, ext: s.ext}
	ex.class = s.batchClass()
	if s.ext != nil {
		ex.class = combine(s.ext.class, ex.class)
	}
	ex.kind = routeKind(ex.class.Kind)
	return ex
}

// batchClass classifies the queued messages: Parse by its SQL, Bind and
// Describe by the statement they use. What a statement does to the
// session (SET, temporary objects…) counts only when it is bound.
func (s *session) batchClass() classify.Class {
	out := classify.Class{Kind: classify.Any, Reason: classify.ReasonEmpty}
	var parsed map[string]classify.Class // made at the first Parse: most batches have none
	for _, m := range s.batch.msgs {
		var c classify.Class
		switch {
		case m.typ == 'P':
			c = s.srv.classes.Classify(m.sql)
			if parsed == nil {
				parsed = map[string]classify.Class{}
			}
			parsed[m.name] = c
			c = classify.Class{Kind: c.Kind, Reason: c.Reason}
		case m.typ == 'B' || (m.typ == 'D' && m.stmt):
			var ok bool
			if c, ok = parsed[m.name]; !ok {
				st := s.stmts[m.name]
				if st == nil {
					continue
				}
				c = st.class
			}
			if m.typ == 'D' {
				c = classify.Class{Kind: c.Kind, Reason: c.Reason}
			}
		default:
			continue
		}
		out = combine(out, c)
	}
	return out
}

// combine merges b into a: the stronger kind and its reason, and the
// session effects of both.
func combine(a, b classify.Class) classify.Class {
	if b.Kind > a.Kind || a.Reason == classify.ReasonEmpty {
		a.Kind, a.Reason = b.Kind, b.Reason
	}
	a.Set = append(a.Set[:len(a.Set):len(a.Set)], b.Set...)
	a.Deallocate = append(a.Deallocate[:len(a.Deallocate):len(a.Deallocate)], b.Deallocate...)
	a.Temp = a.Temp || b.Temp
	a.DiscardAll = a.DiscardAll || b.DiscardAll
	return a
}

func routeKind(k classify.Kind) route.Kind {
	switch k {
	case classify.Read:
		return route.Read
	case classify.Write:
		return route.Write
	}
	return route.Any
}

// build appends to out the frames to send to bc for the queued messages,
// re-preparing statements bc lacks (and closing stale ones first), and
// records every message sent in tr.
func (s *session) build(out []byte, bc *bconn, tr *tracker, v *virtual, flush bool) []byte {
	for _, m := range s.batch.msgs {
		frame := s.batch.buf[m.start:m.end]
		switch m.typ {
		case 'P':
			if _, has := v.get(bc, m.name); has && m.name != "" && s.stmts[m.name] == nil && !v.touched[m.name] {
				out = s.inject(out, tr, 'C', m.name, "")
			}
			v.set(m.name, string(frame))
			v.touch(m.name)
			tr.add(tracked{typ: 'P', name: m.name, parse: string(frame)})
		case 'B':
			out = s.ensurePrepared(out, bc, tr, v, m.name)
			tr.add(tracked{typ: 'B'})
		case 'D':
			if m.stmt {
				out = s.ensurePrepared(out, bc, tr, v, m.name)
			}
			tr.add(tracked{typ: 'D', stmt: m.stmt, name: m.name})
		case 'E':
			tr.add(tracked{typ: 'E'})
		case 'C':
			if m.stmt {
				v.del(m.name)
				v.touch(m.name)
			}
			tr.add(tracked{typ: 'C', stmt: m.stmt, name: m.name})
		}
		out = append(out, frame...)
	}
	if flush {
		return wire.Append(out, 'H', nil)
	}
	tr.add(tracked{typ: 'S'})
	return wire.Append(out, 'S', nil)
}

// ensurePrepared re-prepares the client's statement name on bc when bc
// does not hold it as the client prepared it.
func (s *session) ensurePrepared(out []byte, bc *bconn, tr *tracker, v *virtual, name string) []byte {
	st := s.stmts[name]
	if st == nil || v.touched[name] {
		return out
	}
	cur, has := v.get(bc, name)
	if has && cur == st.parse {
		return out
	}
	if has && name != "" {
		out = s.inject(out, tr, 'C', name, "")
	}
	v.set(name, st.parse)
	v.touch(name)
	s.log.Debug("routing: re-preparing a statement on another backend", "node", bc.node, "statement", name)
	return s.inject(out, tr, 'P', name, st.parse)
}

// inject appends a proxy-made Close (of a statement) or Parse.
func (s *session) inject(out []byte, tr *tracker, typ byte, name, parse string) []byte {
	if typ == 'P' {
		tr.add(tracked{typ: 'P', name: name, parse: parse, injected: true})
		return append(out, parse...)
	}
	tr.add(tracked{typ: 'C', stmt: true, name: name, injected: true})
	body := append(append([]byte{'S'}, name...), 0)
	return wire.Append(out, 'C', body)
}

// simpleQuery handles a Query message.
func (s *session) simpleQuery(body []byte) {
	sql, _, ok := wire.CBytes(body)
	if !ok {
		s.sendFatal(pgerror.New(pgerror.ProtocolViolation, "invalid Query message"))
		s.werr = errClientGone
		return
	}
	if len(s.batch.msgs) > 0 || s.ext != nil {
		s.log.Debug("proxy: Query inside an unfinished extended batch; the batch is dropped")
		s.batch.reset()
		s.ext = nil
	}
	s.sendBuf = wire.Append(s.sendBuf[:0], 'Q', body)
	cl := s.srv.classes.ClassifyBytes(sql, &s.shapeBuf)
	s.run(&exchange{kind: routeKind(cl.Kind), class: cl, simple: true, frame: s.sendBuf})
}

// functionCall forwards a FunctionCall message to the primary.
func (s *session) functionCall(body []byte) {
	s.sendBuf = wire.Append(s.sendBuf[:0], 'F', body)
	cl := classify.Class{Kind: classify.Write, Reason: "function-call"}
	s.run(&exchange{kind: route.Write, class: cl, frame: s.sendBuf})
}
