package exec

import (
	"fmt"
	"time"
)

// EXPLAIN ANALYZE: the plan is run to completion (its rows discarded) with
// every operator started through startPlan, which counts what it returned
// and how long it took; explainer.child then writes those figures on the
// operator's line as PostgreSQL does with COSTS OFF:
//
//	Seq Scan on t (actual time=0.010..0.015 rows=3 loops=1)
//
// Times are inclusive of the operator's inputs and averaged per loop (a
// rescan is a loop), rows are per loop.

// opStats is what one operator did during an EXPLAIN ANALYZE run.
type opStats struct {
	loops   int64
	rows    int64
	startup time.Duration // until the first row (or the end) of each loop, summed
	total   time.Duration // summed over loops
	// method: how a sort sorted (its "Sort Method:" line), if it says.
	method string
}

// noteSortMethod records, under EXPLAIN ANALYZE, how sort p sorted.
func (e *env) noteSortMethod(p plan, method string) {
	if s := e.stats[p]; s != nil {
		s.method = method
	}
}

// annotation is the text PostgreSQL appends to an operator's line.
func (s *opStats) annotation(timing bool) string {
	if s == nil || s.loops == 0 {
		return " (never executed)"
	}
	rows := (s.rows + s.loops/2) / s.loops
	if !timing {
		return fmt.Sprintf(" (actual rows=%d loops=%d)", rows, s.loops)
	}
	return fmt.Sprintf(" (actual time=%s..%s rows=%d loops=%d)",
		millis(s.startup/time.Duration(s.loops)), millis(s.total/time.Duration(s.loops)), rows, s.loops)
}

func millis(d time.Duration) string { return fmt.Sprintf("%.3f", float64(d)/float64(time.Millisecond)) }

// startPlan starts p; under EXPLAIN ANALYZE (e.stats set) it also counts
// what p does. Operators start their inputs through it.
func startPlan(e *env, p plan) (iter, error) {
	return startPlanWith(e, p, func() (iter, error) { return p.start(e) })
}

// startPlanWith is startPlan with start doing p's start.
func startPlanWith(e *env, p plan, start func() (iter, error)) (iter, error) {
	if e.stats == nil {
		return start()
	}
	s := e.stats[p]
	if s == nil {
		s = &opStats{}
		e.stats[p] = s
	}
	s.loops++
	t0 := time.Now()
	it, err := start()
	if err != nil {
		return nil, err
	}
	d := time.Since(t0)
	s.total += d
	return &analyzeIter{in: it, s: s, first: d}, nil
}

// analyzeIter counts an operator's rows and time.
type analyzeIter struct {
	in    iter
	s     *opStats
	first time.Duration // time of the loop until its first row; <0 once taken
}

func (a *analyzeIter) next() ([]Datum, error) {
	t0 := time.Now()
	row, err := a.in.next()
	d := time.Since(t0)
	a.s.total += d
	if a.first >= 0 {
		a.s.startup += a.first + d
		a.first = -1
	}
	if row != nil {
		a.s.rows++
	}
	return row, err
}

func (a *analyzeIter) close() { a.in.close() }
