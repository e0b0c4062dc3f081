package node

import (
	"math"
	"testing"
)

func TestStatementMemoryLimit(t *testing.T) {
	for _, tc := range []struct{ configured, available, want int64 }{
		{512 << 20, 64 << 30, 512 << 20}, // explicit
		{-1, 64 << 30, 0},                // unlimited
		{0, 24 << 30, 3 << 30},           // auto: an eighth
		{0, 1 << 30, MinStatementMemoryLimit},
		{0, 0, MinStatementMemoryLimit}, // unknown machine
	} {
		if got := statementMemoryLimit(tc.configured, tc.available); got != tc.want {
			t.Errorf("statementMemoryLimit(%d, %d) = %d, want %d", tc.configured, tc.available, got, tc.want)
		}
	}
	if availableMemory() <= 0 {
		t.Error("availableMemory found nothing on Linux")
	}
}

func TestSoftMemoryLimit(t *testing.T) {
	for _, tc := range []struct {
		name                        string
		configured, stmt, available int64
		env                         bool
		want                        int64
		apply                       bool
	}{
		{"explicit", 1 << 30, 3 << 30, 24 << 30, false, 1 << 30, true},
		{"explicit beats GOMEMLIMIT", 1 << 30, 3 << 30, 24 << 30, true, 1 << 30, true},
		{"none", -1, 3 << 30, 24 << 30, false, math.MaxInt64, true},
		{"auto: half the machine", 0, 3 << 30, 24 << 30, false, 12 << 30, true},
		{"auto: twice a statement's ceiling", 0, 256 << 20, 256 << 20, false, 512 << 20, true},
		{"auto: twice an explicit ceiling", 0, 8 << 30, 4 << 30, false, 16 << 30, true},
		{"auto, unlimited statements", 0, 0, 4 << 30, false, 2 << 30, true},
		{"auto, nothing known", 0, 0, 0, false, 2 * MinStatementMemoryLimit, true},
		{"auto yields to GOMEMLIMIT", 0, 3 << 30, 24 << 30, true, 0, false},
	} {
		got, apply := softMemoryLimit(tc.configured, tc.stmt, tc.available, tc.env)
		if got != tc.want || apply != tc.apply {
			t.Errorf("%s: softMemoryLimit(%d, %d, %d, %v) = %d, %v; want %d, %v",
				tc.name, tc.configured, tc.stmt, tc.available, tc.env, got, apply, tc.want, tc.apply)
		}
	}
}
