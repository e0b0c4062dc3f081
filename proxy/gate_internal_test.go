package proxy

import (
	"testing"

	"github.com/heliosdb/nano/proxy/route"
)

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// TestWriteGate: a hold refuses new writes to the held node, drains when
// the writes and transactions already there end, and Release wakes the
// waiters.
func TestWriteGate(t *testing.T) {
	g := newWriteGate()
	for i := 0; i < 2; i++ { // two writes in flight
		if !g.enter("p") {
			t.Fatal("enter refused without a hold")
		}
	}
	g.setTx("", "p")
	wake := g.changed()
	drained := g.Hold("p")
	if g.enter("p") {
		t.Error("enter allowed on a held node")
	}
	if !g.enter("s") {
		t.Error("enter refused on another node")
	}
	if v := g.markHeld([]route.Node{{Name: "p"}, {Name: "s"}}); !v[0].Held || v[1].Held {
		t.Errorf("view %+v", v)
	}
	g.leave("p")
	g.leave("p")
	if w, tx := g.Busy("p"); closed(drained) || w != 0 || tx != 1 {
		t.Fatalf("drained with a transaction open (writes %d, transactions %d)", w, tx)
	}
	g.setTx("p", "") // the transaction ends
	if !closed(drained) {
		t.Fatal("not drained")
	}
	if closed(wake) {
		t.Fatal("woken before Release")
	}
	g.Release()
	g.Release() // idempotent
	if !closed(wake) || !g.enter("p") || g.heldNode() != "" {
		t.Error("Release did not end the hold")
	}
	if closed(g.changed()) {
		t.Error("the next wake channel is already closed")
	}
	if !closed(g.Hold("idle")) {
		t.Error("a hold on an idle node is not drained at once")
	}
	g.Release()
}
