package replication

import (
	"reflect"
	"strings"
	"testing"

	"github.com/heliosdb/nano/lsn"
)

func TestDivergence(t *testing.T) {
	// The primary's history: term 1 wrote [0, 1000), term 2 [1000, 5000),
	// term 4 from 5000 on (term 3 never wrote).
	primary := History{{Term: 1, Start: 0}, {Term: 2, Start: 1000}, {Term: 4, Start: 5000}}
	for _, tc := range []struct {
		name    string
		ph, sh  History
		flushed lsn.LSN
		want    string // "" = may continue; otherwise a substring of the reason
	}{
		{name: "empty standby history", ph: primary, sh: nil, flushed: 0},
		{name: "empty standby history with WAL", ph: primary, sh: History{}, flushed: 12345},
		{name: "same term, behind", ph: primary, sh: primary, flushed: 4000},
		{name: "same term, ahead of primary's end", ph: primary, sh: primary, flushed: 1 << 40},
		{name: "older term, behind the fork point", ph: primary, sh: History{{1, 0}}, flushed: 900},
		{name: "older term, exactly at the fork point", ph: primary, sh: History{{1, 0}}, flushed: 1000},
		{name: "older term, past the fork point", ph: primary, sh: History{{1, 0}}, flushed: 1008, want: "diverged at 0/3E8"},
		{name: "middle term, past its fork point", ph: primary, sh: History{{1, 0}, {2, 1000}}, flushed: 6000, want: "past the start of term 4"},
		{name: "middle term, before its fork point", ph: primary, sh: History{{1, 0}, {2, 1000}}, flushed: 4999},
		{name: "newer standby term", ph: primary, sh: History{{1, 0}, {5, 6000}}, flushed: 6000, want: "newer than this primary's term 4"},
		{name: "standby term with empty primary history", ph: nil, sh: History{{1, 0}}, flushed: 0, want: "newer than this primary's term 0"},
		{name: "standby term unknown to primary", ph: primary, sh: History{{1, 0}, {3, 2000}}, flushed: 2100, want: "term 3 is not in this primary's history"},
		{name: "standby term started elsewhere", ph: primary, sh: History{{1, 0}, {2, 1200}}, flushed: 1300, want: "started at 0/4B0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := divergence(tc.ph, tc.sh, tc.flushed)
			switch {
			case tc.want == "" && got != "":
				t.Fatalf("divergence = %q, want none", got)
			case tc.want != "" && !strings.Contains(got, tc.want):
				t.Fatalf("divergence = %q, want it to mention %q", got, tc.want)
			}
		})
	}
}

func TestHistoryValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    History
		ok   bool
	}{
		{"empty", nil, true},
		{"one term", History{{1, 0}}, true},
		{"increasing", History{{1, 0}, {2, 100}, {7, 100}}, true}, // a term that wrote nothing
		{"same term twice", History{{1, 0}, {1, 100}}, false},
		{"term goes back", History{{2, 0}, {1, 100}}, false},
		{"start goes back", History{{1, 100}, {2, 50}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.h.Validate(); (err == nil) != tc.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestHistoryTerm(t *testing.T) {
	if got := (History{}).Term(); got != 0 {
		t.Fatalf("empty history: Term() = %d, want 0", got)
	}
	if got := (History{{1, 0}, {3, 10}}).Term(); got != 3 {
		t.Fatalf("Term() = %d, want 3", got)
	}
}

func TestHistoryProtoRoundTrip(t *testing.T) {
	h := History{{1, 0}, {2, 1000}, {9, 1 << 40}}
	if got := historyFromPB(historyToPB(h)); !reflect.DeepEqual(got, h) {
		t.Fatalf("round trip = %v, want %v", got, h)
	}
	if got := historyFromPB(nil); len(got) != 0 {
		t.Fatalf("historyFromPB(nil) = %v, want empty", got)
	}
}
