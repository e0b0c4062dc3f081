package node

import (
	"context"
	"testing"
	"time"
)

// drain waits for the calls in flight without polling, and gives up when
// its context ends (a cancelled demotion, or its timeout).
func TestDrainWaitsForCallsInFlight(t *testing.T) {
	c := &committer{}
	if !c.drain(context.Background()) {
		t.Fatal("nothing in flight, yet drain did not return at once")
	}
	c.flight.enter()
	c.flight.enter()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan bool)
	go func() { done <- c.drain(ctx) }()
	c.flight.exit()
	select {
	case <-done:
		t.Fatal("drained with a call still in flight")
	case <-time.After(20 * time.Millisecond):
	}
	cancel()
	if <-done {
		t.Fatal("a cancelled drain reported success")
	}
	go func() { done <- c.drain(context.Background()) }()
	c.flight.exit()
	if !<-done {
		t.Fatal("drain did not see the last call end")
	}
	// A new call after an idle period is waited for again.
	c.flight.enter()
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if c.drain(ctx) {
		t.Fatal("drained with a call in flight")
	}
	c.flight.exit()
}
