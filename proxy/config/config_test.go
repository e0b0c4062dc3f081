package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heliosdb/nano/proxy/config"
)

// tutorial is proxy-config.toml from Part 1 of the HA tutorial, verbatim.
const tutorial = `[proxy]
listen_addr = "0.0.0.0:5432"
admin_addr = "0.0.0.0:9090"
health_check_interval_secs = 5
failure_threshold = 3
write_timeout_secs = 30

[[nodes]]
name = "primary"
host = "primary"
port = 5432
role = "primary"
enabled = true

[[nodes]]
name = "standby-sync"
host = "standby-sync"
port = 5432
role = "standby"
enabled = true

[[nodes]]
name = "standby-async"
host = "standby-async"
port = 5432
role = "standby"
enabled = true
`

func TestTutorialConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "proxy.toml")
	if err := os.WriteFile(path, []byte(tutorial), 0o600); err != nil {
		t.Fatal(err)
	}
	c, warnings, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings: %v", warnings)
	}
	if c.ListenAddr != "0.0.0.0:5432" || c.AdminAddr != "0.0.0.0:9090" || c.HealthCheckInterval != 5*time.Second ||
		c.FailureThreshold != 3 || c.WriteTimeout != 30*time.Second ||
		!c.AutoFailover || c.FailoverTimeout != 10*time.Second || c.FailoverAllowDataLoss {
		t.Errorf("proxy settings: %+v", c)
	}
	want := []config.Node{
		{Name: "primary", Host: "primary", Port: 5432, Role: "primary", Enabled: true},
		{Name: "standby-sync", Host: "standby-sync", Port: 5432, Role: "standby", Enabled: true},
		{Name: "standby-async", Host: "standby-async", Port: 5432, Role: "standby", Enabled: true},
	}
	if !slices.Equal(c.Nodes, want) {
		t.Errorf("nodes = %+v", c.Nodes)
	}
	if got := c.Nodes[1].Addr(); got != "standby-sync:5432" {
		t.Errorf("Addr = %q", got)
	}
	if creds := c.Credentials(); len(creds) != 1 || creds["helios"] != "helios" {
		t.Errorf("default credentials = %v", creds)
	}
}

func TestExtrasAndDefaults(t *testing.T) {
	c, warnings, err := config.Parse([]byte(`
[proxy]
listen_addr = "127.0.0.1:0"
health_check_interval_secs = 0.5
read_from_primary = false
max_replica_lag_bytes = 1048576
auth_method = "md5"
auto_failover = false
failover_timeout_secs = 4
failover_allow_data_loss = true
max_procs = 3
colour = "blue"
[[nodes]]
name = "a"
host = "h"
port = 1
mystery = 1
[[nodes]]
name = "b"
host = "h2"
port = 2
http_port = 18080
native_port = 15433
[[users]]
name = "app"
password = "pw"
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.HealthCheckInterval != 500*time.Millisecond || c.ReadFromPrimary || c.MaxReplicaLagBytes != 1<<20 ||
		c.AuthMethod != "md5" || !c.Nodes[0].Enabled || c.WriteTimeout != 30*time.Second || !c.ReadYourWrites ||
		c.AutoFailover || c.FailoverTimeout != 4*time.Second || !c.FailoverAllowDataLoss || c.MaxProcs != 3 {
		t.Errorf("config = %+v", c)
	}
	wantWarn := []string{`unknown key "nodes[0].mystery" ignored`, `unknown key "proxy.colour" ignored`}
	slices.Sort(warnings)
	if !slices.Equal(warnings, wantWarn) {
		t.Errorf("warnings = %q, want %q", warnings, wantWarn)
	}
	if a, b := c.Nodes[0], c.Nodes[1]; a.HTTPPort != 0 || a.NativePort != 0 ||
		b.HTTPPort != 18080 || b.NativePort != 15433 {
		t.Errorf("node ports: %+v %+v", a, b)
	}
	if creds := c.Credentials(); len(creds) != 1 || creds["app"] != "pw" {
		t.Errorf("credentials = %v", creds)
	}
}

func TestInvalid(t *testing.T) {
	const node = "\n[[nodes]]\nname = \"a\"\nhost = \"h\"\nport = 5432\n"
	cases := []struct {
		name, toml, key string
	}{
		{"threshold zero", "[proxy]\nfailure_threshold = 0" + node, "proxy.failure_threshold"},
		{"max procs negative", "[proxy]\nmax_procs = -1" + node, "proxy.max_procs"},
		{"failover timeout too short", "[proxy]\nfailover_timeout_secs = 0.5" + node, "proxy.failover_timeout_secs"},
		{"auto failover string", "[proxy]\nauto_failover = \"yes\"" + node, "proxy.auto_failover"},
		{"threshold string", "[proxy]\nfailure_threshold = \"3\"" + node, "proxy.failure_threshold"},
		{"interval zero", "[proxy]\nhealth_check_interval_secs = 0" + node, "proxy.health_check_interval_secs"},
		{"interval negative", "[proxy]\nhealth_check_interval_secs = -1" + node, "proxy.health_check_interval_secs"},
		{"write timeout bool", "[proxy]\nwrite_timeout_secs = true" + node, "proxy.write_timeout_secs"},
		{"listen addr", "[proxy]\nlisten_addr = \"nohostport\"" + node, "proxy.listen_addr"},
		{"admin port", "[proxy]\nadmin_addr = \"0.0.0.0:99999\"" + node, "proxy.admin_addr"},
		{"auth method", "[proxy]\nauth_method = \"trust\"" + node, "proxy.auth_method"},
		{"proxy not a table", "proxy = 1" + node, "proxy"},
		{"no nodes", "[proxy]\n", "nodes"},
		{"nodes not tables", "nodes = 3\n", "nodes"},
		{"node port", "[[nodes]]\nname = \"a\"\nhost = \"h\"\nport = 0\n", "nodes[0].port"},
		{"node port type", "[[nodes]]\nname = \"a\"\nhost = \"h\"\nport = \"x\"\n", "nodes[0].port"},
		{"node role", "[[nodes]]\nname = \"a\"\nhost = \"h\"\nport = 1\nrole = \"leader\"\n", "nodes[0].role"},
		{"node enabled", "[[nodes]]\nname = \"a\"\nhost = \"h\"\nport = 1\nenabled = \"yes\"\n", "nodes[0].enabled"},
		{"http port zero", node + "http_port = 0\n", "nodes[0].http_port"},
		{"http port range", node + "http_port = 70000\n", "nodes[0].http_port"},
		{"http port type", node + "http_port = \"8080\"\n", "nodes[0].http_port"},
		{"native port negative", node + "native_port = -1\n", "nodes[0].native_port"},
		{"native port type", node + "native_port = 5433.5\n", "nodes[0].native_port"},
		{"node name missing", "[[nodes]]\nhost = \"h\"\nport = 1\n", "nodes[0].name"},
		{"duplicate node", node + node, "nodes[1].name"},
		{"read consistency", "[proxy]\nread_consistency = \"strong\"" + node, "proxy.read_consistency"},
		{"causal wait type", "[proxy]\ncausal_wait_ms = 0.5" + node, "proxy.causal_wait_ms"},
		{"causal wait negative", "[proxy]\ncausal_wait_ms = -1" + node, "proxy.causal_wait_ms"},
		{"one node twice", node + strings.Replace(node, `name = "`, `name = "x`, 1), "nodes[1].port"},
		{"duplicate user", node + "[[users]]\nname = \"u\"\n[[users]]\nname = \"u\"\n", "users[1].name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := config.Parse([]byte(tc.toml))
			var ce *config.Error
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a *config.Error", err)
			}
			if ce.Key != tc.key {
				t.Errorf("key = %q, want %q (%v)", ce.Key, tc.key, err)
			}
			if !strings.Contains(err.Error(), tc.key) {
				t.Errorf("message %q does not name the key", err)
			}
		})
	}
	if _, _, err := config.Parse([]byte("[proxy\n")); err == nil {
		t.Error("TOML syntax error accepted")
	}
}

func TestValidateNodePorts(t *testing.T) {
	base := config.Defaults()
	base.Nodes = []config.Node{{Name: "a", Host: "h", Port: 5432}}
	if err := base.Validate(); err != nil {
		t.Fatalf("zero http_port/native_port (defaults) rejected: %v", err)
	}
	for _, tc := range []struct {
		name string
		set  func(*config.Node)
		key  string
	}{
		{"http port", func(n *config.Node) { n.HTTPPort = 65536 }, "nodes[0].http_port"},
		{"native port", func(n *config.Node) { n.NativePort = -5 }, "nodes[0].native_port"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			c.Nodes = []config.Node{base.Nodes[0]}
			tc.set(&c.Nodes[0])
			var ce *config.Error
			if err := c.Validate(); !errors.As(err, &ce) || ce.Key != tc.key {
				t.Errorf("err = %v, want key %s", err, tc.key)
			}
		})
	}
}

// TestReadConsistency: read_consistency wins; without it read_your_writes
// picks session (true, the default) or eventual.
func TestReadConsistency(t *testing.T) {
	const node = "\n[[nodes]]\nname = \"a\"\nhost = \"h\"\nport = 5432\n"
	cases := []struct{ toml, want string }{
		{node, config.ConsistencySession},
		{"[proxy]\nread_your_writes = false" + node, config.ConsistencyEventual},
		{"[proxy]\nread_consistency = \"causal\"\ncausal_wait_ms = 250" + node, config.ConsistencyCausal},
		{"[proxy]\nread_consistency = \"eventual\"" + node, config.ConsistencyEventual},
	}
	for _, tc := range cases {
		c, _, err := config.Parse([]byte(tc.toml))
		if err != nil {
			t.Fatalf("%q: %v", tc.toml, err)
		}
		if got := c.Consistency(); got != tc.want {
			t.Errorf("%q: consistency %q, want %q", tc.toml, got, tc.want)
		}
	}
	c, _, _ := config.Parse([]byte("[proxy]\ncausal_wait_ms = 250" + node))
	if c.CausalWait != 250*time.Millisecond {
		t.Errorf("causal_wait_ms 250 → %v", c.CausalWait)
	}
	if config.Defaults().CausalWait != 100*time.Millisecond {
		t.Errorf("default causal wait %v", config.Defaults().CausalWait)
	}
}
