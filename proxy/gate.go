package proxy

import (
	"sync"

	"github.com/heliosdb/nano/proxy/route"
	"github.com/heliosdb/nano/proxy/switchover"
)

// writeGate counts what runs on each node as the primary (write
// statements, and transactions open on a node) and holds new writes to a
// node during a planned switchover. Sessions call enter/leave around each
// write statement they route to the primary, and setTx when the node of
// their open transaction changes; proxy/switchover calls Hold, Busy and
// Release. All methods are safe for concurrent use.
type writeGate struct {
	mu      sync.Mutex
	held    string         // node whose new writes wait; "" when none
	writes  map[string]int // write statements running, by node
	txs     map[string]int // open transactions, by node
	drained chan struct{}  // closed when nothing runs on held
	wake    chan struct{}  // closed (and replaced) by Release
}

var _ switchover.Gate = (*writeGate)(nil)

func newWriteGate() *writeGate {
	return &writeGate{writes: map[string]int{}, txs: map[string]int{}, wake: make(chan struct{})}
}

// heldNode is the node whose writes are held, "" when none.
func (g *writeGate) heldNode() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.held
}

// changed returns a channel closed at the next Release: a statement
// waiting for a primary takes it before reading the view, so a release
// in between still wakes it.
func (g *writeGate) changed() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.wake
}

// enter records a write statement starting on node, the primary. It
// returns false, recording nothing, when node's writes are held.
func (g *writeGate) enter(node string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if node == g.held {
		return false
	}
	g.writes[node]++
	return true
}

// leave records the end of a write statement entered on node.
func (g *writeGate) leave(node string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.writes[node]--; g.writes[node] <= 0 {
		delete(g.writes, node)
	}
	g.checkDrained()
}

// setTx moves a session's open transaction from node from to node to
// ("" for none).
func (g *writeGate) setTx(from, to string) {
	if from == to {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if from != "" {
		if g.txs[from]--; g.txs[from] <= 0 {
			delete(g.txs, from)
		}
	}
	if to != "" {
		g.txs[to]++
	}
	g.checkDrained()
}

// checkDrained closes drained once nothing runs on the held node. Called
// with mu held.
func (g *writeGate) checkDrained() {
	if g.held != "" && g.drained != nil && g.writes[g.held] == 0 && g.txs[g.held] == 0 {
		close(g.drained)
		g.drained = nil
	}
}

// Hold implements switchover.Gate.
func (g *writeGate) Hold(node string) <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	ch := make(chan struct{})
	g.held, g.drained = node, ch
	g.checkDrained()
	return ch
}

// Busy implements switchover.Gate.
func (g *writeGate) Busy(node string) (writes, transactions int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.writes[node], g.txs[node]
}

// Release implements switchover.Gate; it is idempotent.
func (g *writeGate) Release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.held == "" {
		return
	}
	g.held, g.drained = "", nil
	close(g.wake)
	g.wake = make(chan struct{})
}

// markHeld sets Held on the held node of a routing view.
func (g *writeGate) markHeld(view []route.Node) []route.Node {
	h := g.heldNode()
	if h == "" {
		return view
	}
	for i := range view {
		if view[i].Name == h {
			view[i].Held = true
		}
	}
	return view
}
