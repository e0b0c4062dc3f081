package node

import "testing"

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
