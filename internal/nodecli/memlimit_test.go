package nodecli

import "testing"

func TestParseMemoryLimit(t *testing.T) {
	for in, want := range map[string]int64{"auto": 0, "": 0, "unlimited": -1, "-1": -1, "512MB": 512 << 20, "2GB": 2 << 30, "64kB": 64 << 10, "1000": 1000, " 1 TB ": 1 << 40} {
		if got, err := parseMemoryLimit(in); err != nil || got != want {
			t.Errorf("%q: %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"lots", "0", "-5MB", "1.5GB", "12XB", "9999999999TB"} {
		if _, err := parseMemoryLimit(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
