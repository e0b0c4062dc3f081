package parser_test

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/heliosdb/nano/sql/parser"
)

// cpuTime is this process's user+system CPU time: unlike wall time it
// does not grow when other processes load the machine.
func cpuTime(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuPerByte is the CPU time per byte of sql that run takes, the better
// of two runs (a GC or a preemption can land in one).
func cpuPerByte(t *testing.T, sql string, run func(string)) float64 {
	best := time.Duration(1 << 62)
	for range 2 {
		start := cpuTime(t)
		run(sql)
		best = min(best, cpuTime(t)-start)
	}
	return float64(best) / float64(len(sql))
}

// TestParseLinear: parsing a script of many statements costs the same
// per byte at 10× and 100× the size (it was quadratic: each statement's
// character offset was counted from the start of the string, so 80,000
// statements took 12.6 s and 160,000 took 37 s). Multi-byte characters
// make the character counting visible.
func TestParseLinear(t *testing.T) {
	if testing.Short() {
		t.Skip("parses 11,000 statements")
	}
	stmt := "SELECT 'ä" + strings.Repeat("é", 200) + "', 1;\n"
	perByte := func(n int) float64 {
		return cpuPerByte(t, strings.Repeat(stmt, n), func(sql string) {
			if stmts, err := parser.Parse(sql); err != nil || len(stmts) != n {
				t.Fatalf("%d statements: %v, %d parsed", n, err, len(stmts))
			}
		})
	}
	small, large := perByte(1000), perByte(10000)
	ratio := large / small
	t.Logf("CPU per byte: %.1f ns at 10×, %.1f ns at 100× (ratio %.2f)", small, large, ratio)
	if ratio > 3 {
		t.Fatalf("parsing 10× more input costs %.1f× more per byte: not linear", ratio)
	}
}

// TestSplitLinearInSignRuns: a run of + and - signs lexes in linear time
// (it was quadratic: every sign re-scanned the rest of the run before the
// trailing signs were stripped from it, so "0" followed by 40,000 "+" took
// 1.4 s and a 1 MB query minutes, checking for cancellation only once per
// 64 KiB of progress).
func TestSplitLinearInSignRuns(t *testing.T) {
	perByte := func(n int) float64 {
		return cpuPerByte(t, "SELECT 0"+strings.Repeat("+", n)+"1", func(sql string) {
			if _, err := parser.Split(context.Background(), sql); err != nil {
				t.Fatal(err)
			}
		})
	}
	small, large := perByte(20000), perByte(200000)
	ratio := large / small
	t.Logf("CPU per byte: %.1f ns at 20,000 signs, %.1f ns at 200,000 (ratio %.2f)", small, large, ratio)
	if ratio > 3 {
		t.Fatalf("lexing 10× more signs costs %.1f× more per byte: not linear", ratio)
	}
}
