package cliutil

import "testing"

func TestActionFor(t *testing.T) {
	tests := []struct {
		n    int
		want SignalAction
	}{
		{1, SignalShutdown}, // Ctrl-C, or SIGTERM
		{2, SignalIgnore},   // make run: the script's SIGTERM after the group's SIGINT
		{3, SignalExit},
		{4, SignalExit},
	}
	for _, tc := range tests {
		if got := ActionFor(tc.n); got != tc.want {
			t.Errorf("signal %d: %v, want %v", tc.n, got, tc.want)
		}
	}
}
