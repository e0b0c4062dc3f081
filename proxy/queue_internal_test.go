package proxy

import (
	"testing"

	"github.com/heliosdb/nano/proxy/wire"
)

// TestQueueBindAllocatesNothing: queuing a Bind, Describe and Execute of a
// statement the client prepared, then a Sync's reset, allocates nothing
// once the batch's buffers have grown (the statement's name is the
// session's own string, not a copy per message).
func TestQueueBindAllocatesNothing(t *testing.T) {
	s := &session{stmts: map[string]*stmt{}}
	s.stmts["P0_1"] = &stmt{name: "P0_1", parse: "x"}
	bind := append(append([]byte("\x00P0_1\x00"), 0, 0, 0, 1, 0, 0, 0, 4, '1', '2', '3', '4'), 0, 0)
	describe := []byte("SP0_1\x00")
	execute := []byte("\x00\x00\x00\x00\x00")
	round := func() {
		for _, m := range []struct {
			typ  byte
			body []byte
		}{{'B', bind}, {'D', describe}, {'E', execute}} {
			if !s.queue(m.typ, m.body) {
				t.Fatalf("queue(%q) refused a valid message", m.typ)
			}
		}
		if got := s.batch.msgs[0].name; got != "P0_1" {
			t.Fatalf("Bind queued for statement %q, want P0_1", got)
		}
		s.batch.reset()
	}
	round()
	if n := testing.AllocsPerRun(100, round); n != 0 {
		t.Fatalf("queuing Bind/Describe/Execute allocates %v times per batch, want 0", n)
	}
	// A statement the client has not prepared is queued by a copy of its name.
	unknown := []byte("\x00other\x00\x00\x00\x00\x00\x00\x00")
	if !s.queue('B', unknown) || s.batch.msgs[0].name != "other" {
		t.Fatalf("Bind of an unknown statement queued as %+v", s.batch.msgs)
	}
	if _, _, ok := wire.CBytes([]byte("no terminator")); ok {
		t.Fatal("CBytes found a NUL in a string without one")
	}
}
