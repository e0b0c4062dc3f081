package proxy

import "fmt"

// tracked is one message sent to a backend in an extended-protocol batch.
type tracked struct {
	typ      byte   // 'P', 'B', 'D', 'E', 'C' or 'S'
	stmt     bool   // Describe/Close of a statement (not a portal)
	name     string // statement name (Parse, Describe/Close of a statement)
	parse    string // Parse: the frame
	injected bool   // sent by the proxy (re-prepare): its answer is not the client's
	done     bool   // answered successfully
}

// tracker matches a backend's answers to the messages of a batch, so the
// answers to injected messages can be swallowed, a Flush can be answered
// without waiting for ReadyForQuery, and the outcome of each Parse and
// Close is known. It is a pure state machine.
type tracker struct {
	msgs []tracked
	next int // first message not yet answered
}

// reset empties t for the next batch, keeping its storage.
func (t *tracker) reset() { t.msgs, t.next = t.msgs[:0], 0 }

func (t *tracker) add(m tracked) { t.msgs = append(t.msgs, m) }

// answered reports whether every message added so far has its answer.
func (t *tracker) answered() bool { return t.next >= len(t.msgs) }

// response consumes the type of one backend message and reports whether
// it goes to the client. An answer that fits no pending message is an
// error (the backend and the proxy disagree; the connection is unusable).
func (t *tracker) response(typ byte) (forward bool, err error) {
	switch typ {
	case 'N', 'S', 'A': // asynchronous: notice, parameter status, notification
		return true, nil
	case 'E': // the backend skips everything up to Sync
		for t.next < len(t.msgs) && t.msgs[t.next].typ != 'S' {
			t.next++
		}
		return true, nil
	}
	want, advance := answers(typ)
	if want == 0 {
		return true, nil
	}
	if t.next >= len(t.msgs) || t.msgs[t.next].typ != want {
		return false, fmt.Errorf("proxy: backend sent message type %q with no matching request", typ)
	}
	m := &t.msgs[t.next]
	if advance {
		m.done = true
		t.next++
	}
	return !m.injected, nil
}

// answers maps a backend message type to the request type it answers and
// whether it completes that request.
func answers(typ byte) (req byte, completes bool) {
	switch typ {
	case '1':
		return 'P', true
	case '2':
		return 'B', true
	case '3':
		return 'C', true
	case 't':
		return 'D', false // ParameterDescription, then RowDescription or NoData
	case 'T', 'n':
		return 'D', true
	case 'D', 'd', 'c', 'G', 'H':
		return 'E', false // rows and COPY data of an Execute
	case 'C', 'I', 's':
		return 'E', true
	case 'Z':
		return 'S', true
	}
	return 0, false
}
