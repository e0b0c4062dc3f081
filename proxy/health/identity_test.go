package health

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/heliosdb/nano/proxy/backend"
)

// TestIdentity: addresses come from the node, on the configured host,
// with overrides; two entries for one node are a configuration error on
// both, never merged.
func TestIdentity(t *testing.T) {
	answers := map[string]backend.Status{
		"localhost:5432": {Role: "primary", Term: 1, NodeID: "primary", HTTPAddr: "vm:8080", NativeAddr: "vm:5433"},
		"localhost:5442": {Role: "standby", Term: 1, NodeID: "standby-sync", HTTPAddr: "vm:8081", NativeAddr: "0.0.0.0:5443"},
		"127.0.0.1:5432": {Role: "primary", Term: 1, NodeID: "primary", HTTPAddr: "vm:8080", NativeAddr: "vm:5433"},
		"localhost:5452": {Role: "standby", Term: 1, NodeID: "standby-async"}, // HTTP off, native unknown
	}
	probe := func(_ context.Context, addr string) (backend.Status, error) {
		if st, ok := answers[addr]; ok {
			return st, nil
		}
		return backend.Status{}, errors.New("refused")
	}
	tests := []struct {
		name               string
		specs              []Spec
		http, native, conf []string
	}{
		{"learned", []Spec{
			{Name: "p", Addr: "localhost:5432", Host: "localhost"},
			{Name: "s", Addr: "localhost:5442", Host: "localhost"},
			{Name: "a", Addr: "localhost:5452", Host: "localhost"},
		}, []string{"localhost:8080", "localhost:8081", ""}, []string{"vm:5433", "localhost:5443", ""}, []string{"", "", ""}},
		{"overrides", []Spec{
			{Name: "p", Addr: "localhost:5432", Host: "localhost", HTTPPort: 18080, NativePort: 15433},
			{Name: "a", Addr: "localhost:5452", Host: "localhost", HTTPPort: 18082},
		}, []string{"localhost:18080", "localhost:18082"}, []string{"localhost:15433", ""}, []string{"", ""}},
		{"same node twice", []Spec{
			{Name: "p", Addr: "localhost:5432", Host: "localhost"},
			{Name: "p2", Addr: "127.0.0.1:5432", Host: "127.0.0.1"},
			{Name: "s", Addr: "localhost:5442", Host: "localhost"},
		}, []string{"localhost:8080", "127.0.0.1:8080", "localhost:8081"}, []string{"vm:5433", "vm:5433", "localhost:5443"},
			[]string{`"p" and "p2" both reach a node with node_id "primary"`, `"p2" and "p" both reach`, ""}},
		{"override points at another node's API", []Spec{
			{Name: "p", Addr: "localhost:5432", Host: "localhost"},
			{Name: "s", Addr: "localhost:5442", Host: "localhost", HTTPPort: 8080},
		}, []string{"localhost:8080", "localhost:8080"}, []string{"vm:5433", "localhost:5443"},
			[]string{"both have the HTTP API localhost:8080", "both have the HTTP API localhost:8080"}},
		{"never answered", []Spec{{Name: "x", Addr: "localhost:1", Host: "localhost"}}, []string{""}, []string{""}, []string{""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for i := range tc.specs {
				tc.specs[i].Enabled = true
			}
			c := New(Config{Nodes: tc.specs, Probe: probe})
			c.CheckAll(context.Background())
			c.CheckAll(context.Background()) // a failed probe keeps what was learned
			for i, st := range c.Statuses() {
				if st.HTTPAddress != tc.http[i] || st.NativeAddress != tc.native[i] {
					t.Errorf("%s: http %q native %q, want %q %q", st.Name, st.HTTPAddress, st.NativeAddress, tc.http[i], tc.native[i])
				}
				if (tc.conf[i] == "") != (st.Conflict == "") || !strings.Contains(st.Conflict, tc.conf[i]) {
					t.Errorf("%s: conflict %q, want %q", st.Name, st.Conflict, tc.conf[i])
				}
				if v := c.View()[i]; v.Conflict != st.Conflict {
					t.Errorf("%s: view conflict %q != status %q", st.Name, v.Conflict, st.Conflict)
				}
			}
		})
	}
}
