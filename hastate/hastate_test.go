package hastate

import "testing"

func TestParseRole(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Role
		ok   bool
	}{
		{"primary", Primary, true}, {"standby", Standby, true}, {"", "", false}, {"Primary", "", false}, {"leader", "", false},
	} {
		got, err := ParseRole(tc.in)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("ParseRole(%q) = %q, %v; want %q, ok %t", tc.in, got, err, tc.want, tc.ok)
		}
		if got.Valid() != tc.ok {
			t.Errorf("%q.Valid() = %t", got, got.Valid())
		}
	}
}

func TestStandbyStateConnected(t *testing.T) {
	for s, want := range map[StandbyState]bool{Connecting: false, CatchingUp: true, Streaming: true, Disconnected: false} {
		if s.Connected() != want {
			t.Errorf("%s.Connected() = %t", s, !want)
		}
	}
}
