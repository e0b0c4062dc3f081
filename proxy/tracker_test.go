package proxy

import "testing"

func TestTracker(t *testing.T) {
	type step struct {
		resp    byte
		forward bool
	}
	cases := []struct {
		name     string
		msgs     []tracked
		steps    []step
		done     []bool
		answered bool
	}{
		{"prepare and execute",
			[]tracked{{typ: 'P'}, {typ: 'D', stmt: true}, {typ: 'B'}, {typ: 'E'}, {typ: 'S'}},
			[]step{{'1', true}, {'t', true}, {'T', true}, {'2', true}, {'D', true}, {'D', true}, {'C', true}, {'Z', true}},
			[]bool{true, true, true, true, true}, true},
		{"injected re-prepare is swallowed",
			[]tracked{{typ: 'C', stmt: true, injected: true}, {typ: 'P', injected: true}, {typ: 'B'}, {typ: 'E'}, {typ: 'S'}},
			[]step{{'3', false}, {'1', false}, {'2', true}, {'N', true}, {'C', true}, {'Z', true}},
			[]bool{true, true, true, true, true}, true},
		{"error skips to sync",
			[]tracked{{typ: 'P', injected: true}, {typ: 'B'}, {typ: 'E'}, {typ: 'S'}},
			[]step{{'E', true}, {'Z', true}},
			[]bool{false, false, false, true}, true},
		{"flush: answered before sync",
			[]tracked{{typ: 'P'}, {typ: 'D', stmt: true}},
			[]step{{'1', true}, {'t', true}, {'n', true}},
			[]bool{true, true}, true},
		{"suspended portal",
			[]tracked{{typ: 'B'}, {typ: 'E'}, {typ: 'E'}},
			[]step{{'2', true}, {'D', true}, {'s', true}, {'D', true}},
			[]bool{true, true, false}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var tr tracker
			for _, m := range tc.msgs {
				tr.add(m)
			}
			for i, st := range tc.steps {
				fwd, err := tr.response(st.resp)
				if err != nil {
					t.Fatalf("step %d (%q): %v", i, st.resp, err)
				}
				if fwd != st.forward {
					t.Errorf("step %d (%q): forward = %v", i, st.resp, fwd)
				}
			}
			for i, m := range tr.msgs {
				if m.done != tc.done[i] {
					t.Errorf("msg %d (%q): done = %v", i, m.typ, m.done)
				}
			}
			if tr.answered() != tc.answered {
				t.Errorf("answered = %v", tr.answered())
			}
		})
	}
	var tr tracker
	tr.add(tracked{typ: 'B'})
	if _, err := tr.response('1'); err == nil {
		t.Error("ParseComplete for a Bind accepted")
	}
}
