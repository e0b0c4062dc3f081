package replication

import (
	"testing"
	"time"

	"github.com/heliosdb/nano/lsn"
)

func TestLagClock(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }

	var c lagClock
	if got := c.lag(0, at(100)); got != 0 {
		t.Fatalf("no marks: lag = %v, want 0", got)
	}
	c.mark(100, at(1))
	c.mark(200, at(2))
	c.mark(150, at(3)) // goes backwards: ignored
	c.mark(200, at(4)) // does not advance: ignored
	c.mark(300, at(5))

	for _, step := range []struct {
		applied lsn.LSN
		now     int
		want    time.Duration
	}{
		{0, 10, 9 * time.Second},   // lacks everything: the first mark's age
		{99, 10, 9 * time.Second},  // still short of the first mark
		{100, 10, 8 * time.Second}, // reached 100: now lacks what became known at 2
		{250, 12, 7 * time.Second}, // reached 200 (and part of 300)
		{300, 12, 0},               // caught up
		{0, 20, 0},                 // reached marks are forgotten, even if applied goes back
	} {
		if got := c.lag(step.applied, at(step.now)); got != step.want {
			t.Fatalf("lag(%d, t+%ds) = %v, want %v", step.applied, step.now, got, step.want)
		}
	}

	// Once every mark is reached, a new mark starts the clock again.
	c.mark(400, at(30))
	if got := c.lag(300, at(31)); got != time.Second {
		t.Fatalf("after a new mark: lag = %v, want 1s", got)
	}
}

// TestLagClockBounded marks far more positions than the clock keeps and
// checks that it stays bounded, keeps the oldest mark exact, and never
// reports less lag than the follower really has.
func TestLagClockBounded(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	const n = 5000
	var c lagClock
	for i := 1; i <= n; i++ { // position 100*i became known at second i
		c.mark(lsn.LSN(100*i), t0.Add(time.Duration(i)*time.Second))
		if len(c.marks) > maxLagMarks {
			t.Fatalf("after %d marks the clock holds %d, more than %d", i, len(c.marks), maxLagMarks)
		}
	}
	now := t0.Add((n + 10) * time.Second)
	if got, want := c.lag(0, now), (n+9)*time.Second; got != want {
		t.Fatalf("lag of a follower at 0 = %v, want %v (the oldest mark is kept)", got, want)
	}
	// A follower that has applied up to position 100*k lacks the data that
	// became known at second k+1. The clock may round that up (thinned
	// marks), but must not hide lag: it must never answer less.
	for _, k := range []int{1, 2, 10, 500, 2500, 4000, 4990} {
		truth := now.Sub(t0.Add(time.Duration(k+1) * time.Second))
		got := c.lag(lsn.LSN(100*k), now)
		if got < truth {
			t.Fatalf("applied %d: lag = %v, less than the real lag %v", 100*k, got, truth)
		}
		if got > 2*truth+time.Minute {
			t.Fatalf("applied %d: lag = %v, far more than the real lag %v", 100*k, got, truth)
		}
	}
}
