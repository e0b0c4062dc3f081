package config

import (
	"fmt"
	"math"
	"os"
	"slices"
	"time"

	toml "github.com/pelletier/go-toml/v2"
)

// Load reads and validates the file at path. Warnings name keys the proxy
// does not know; they do not make the file invalid.
func Load(path string) (Config, []string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, nil, fmt.Errorf("config: %w", err)
	}
	return Parse(data)
}

// Parse decodes TOML over Defaults and validates the result. A wrong type
// or out-of-range value is a *Error naming the key; a TOML syntax error is
// reported with its line.
func Parse(data []byte) (Config, []string, error) {
	var raw map[string]any
	if err := toml.Unmarshal(data, &raw); err != nil {
		return Config{}, nil, fmt.Errorf("config: %w", err)
	}
	c := Defaults()
	var warnings []string
	for _, k := range sortedKeys(raw) {
		var err error
		switch k {
		case "proxy":
			err = decodeTable("proxy", raw[k], proxyFields(&c), &warnings)
		case "nodes":
			c.Nodes, err = decodeNodes(raw[k], &warnings)
		case "users":
			c.Users, err = decodeUsers(raw[k], &warnings)
		default:
			warnings = append(warnings, fmt.Sprintf("unknown key %q ignored", k))
		}
		if err != nil {
			return Config{}, warnings, err
		}
	}
	return c, warnings, c.Validate()
}

// field decodes one key's value.
type field func(key string, v any) error

func proxyFields(c *Config) map[string]field {
	return map[string]field{
		"listen_addr":                str(&c.ListenAddr),
		"admin_addr":                 str(&c.AdminAddr),
		"health_check_interval_secs": secs(&c.HealthCheckInterval),
		"failure_threshold":          integer(&c.FailureThreshold),
		"write_timeout_secs":         secs(&c.WriteTimeout),
		"connect_timeout_secs":       secs(&c.ConnectTimeout),
		"shutdown_timeout_secs":      secs(&c.ShutdownTimeout),
		"user":                       str(&c.User),
		"password":                   str(&c.Password),
		"database":                   str(&c.Database),
		"auth_method":                str(&c.AuthMethod),
		"admin_token":                str(&c.AdminToken),
		"admin_auth":                 str(&c.AdminAuth),
		"protect_metrics":            boolean(&c.ProtectMetrics),
		"max_connections":            integer(&c.MaxConnections),
		"max_procs":                  integer(&c.MaxProcs),
		"tls_cert_file":              str(&c.TLSCertFile),
		"tls_key_file":               str(&c.TLSKeyFile),
		"tls_required":               boolean(&c.TLSRequired),
		"backend_sslmode":            str(&c.BackendSSLMode),
		"backend_sslrootcert":        str(&c.BackendSSLRootCert),
		"admin_tls":                  boolean(&c.AdminTLS),
		"node_http_tls":              boolean(&c.NodeHTTPTLS),
		"read_from_primary":          boolean(&c.ReadFromPrimary),
		"read_your_writes":           boolean(&c.ReadYourWrites),
		"max_replica_lag_bytes":      int64Field(&c.MaxReplicaLagBytes),
		"read_consistency":           str(&c.ReadConsistency),
		"causal_wait_ms":             millis(&c.CausalWait),
		"auto_failover":              boolean(&c.AutoFailover),
		"failover_timeout_secs":      secs(&c.FailoverTimeout),
		"failover_allow_data_loss":   boolean(&c.FailoverAllowDataLoss),
	}
}

func decodeNodes(v any, warnings *[]string) ([]Node, error) {
	list, err := tableArray("nodes", v)
	if err != nil {
		return nil, err
	}
	nodes := make([]Node, len(list))
	for i, t := range list {
		n := &nodes[i]
		n.Enabled = true
		fields := map[string]field{
			"name": str(&n.Name), "host": str(&n.Host), "port": integer(&n.Port),
			"role": str(&n.Role), "enabled": boolean(&n.Enabled),
			"http_port": port(&n.HTTPPort), "native_port": port(&n.NativePort),
		}
		if err := decodeTable(fmt.Sprintf("nodes[%d]", i), t, fields, warnings); err != nil {
			return nil, err
		}
	}
	return nodes, nil
}

func decodeUsers(v any, warnings *[]string) ([]User, error) {
	list, err := tableArray("users", v)
	if err != nil {
		return nil, err
	}
	users := make([]User, len(list))
	for i, t := range list {
		fields := map[string]field{"name": str(&users[i].Name), "password": str(&users[i].Password)}
		if err := decodeTable(fmt.Sprintf("users[%d]", i), t, fields, warnings); err != nil {
			return nil, err
		}
	}
	return users, nil
}

func tableArray(key string, v any) ([]any, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, bad(key, "want an array of tables ([[%s]]), got %s", key, typeName(v))
	}
	return list, nil
}

// decodeTable applies fields to the keys of v, a TOML table, warning about
// keys it does not know.
func decodeTable(prefix string, v any, fields map[string]field, warnings *[]string) error {
	t, ok := v.(map[string]any)
	if !ok {
		return bad(prefix, "want a table, got %s", typeName(v))
	}
	for _, k := range sortedKeys(t) {
		f, known := fields[k]
		if !known {
			*warnings = append(*warnings, fmt.Sprintf("unknown key %q ignored", prefix+"."+k))
			continue
		}
		if err := f(prefix+"."+k, t[k]); err != nil {
			return err
		}
	}
	return nil
}

func str(dst *string) field {
	return func(key string, v any) error {
		s, ok := v.(string)
		if !ok {
			return bad(key, "want a string, got %s", typeName(v))
		}
		*dst = s
		return nil
	}
}

func boolean(dst *bool) field {
	return func(key string, v any) error {
		b, ok := v.(bool)
		if !ok {
			return bad(key, "want true or false, got %s", typeName(v))
		}
		*dst = b
		return nil
	}
}

func int64Field(dst *int64) field {
	return func(key string, v any) error {
		n, ok := v.(int64)
		if !ok {
			return bad(key, "want an integer, got %s", typeName(v))
		}
		*dst = n
		return nil
	}
}

func integer(dst *int) field {
	return func(key string, v any) error {
		n, ok := v.(int64)
		if !ok {
			return bad(key, "want an integer, got %s", typeName(v))
		}
		if n < math.MinInt32 || n > math.MaxInt32 {
			return bad(key, "%d is out of range", n)
		}
		*dst = int(n)
		return nil
	}
}

// port accepts a TCP port number, 1 to 65535 (in a file, leaving the key
// out is how to ask for the default).
func port(dst *int) field {
	return func(key string, v any) error {
		n, ok := v.(int64)
		if !ok {
			return bad(key, "want a port number, got %s", typeName(v))
		}
		if n < 1 || n > 65535 {
			return bad(key, "must be between 1 and 65535 (got %d)", n)
		}
		*dst = int(n)
		return nil
	}
}

// secs accepts an integer or a float number of seconds.
func secs(dst *time.Duration) field {
	return func(key string, v any) error {
		var f float64
		switch n := v.(type) {
		case int64:
			f = float64(n)
		case float64:
			f = n
		default:
			return bad(key, "want a number of seconds, got %s", typeName(v))
		}
		if math.IsNaN(f) || f < 0 || f > 365*24*3600 {
			return bad(key, "must be between 0 and one year (got %v)", f)
		}
		*dst = time.Duration(f * float64(time.Second))
		return nil
	}
}

// millis accepts an integer number of milliseconds.
func millis(dst *time.Duration) field {
	return func(key string, v any) error {
		n, ok := v.(int64)
		if !ok {
			return bad(key, "want an integer number of milliseconds, got %s", typeName(v))
		}
		if n < 0 || n > 3600*1000 {
			return bad(key, "must be between 0 and 3600000 (got %d)", n)
		}
		*dst = time.Duration(n) * time.Millisecond
		return nil
	}
}

func typeName(v any) string {
	switch v := v.(type) {
	case string:
		return fmt.Sprintf("the string %q", v)
	case int64:
		return fmt.Sprintf("the integer %d", v)
	case float64:
		return fmt.Sprintf("the number %v", v)
	case bool:
		return fmt.Sprintf("%v", v)
	case map[string]any:
		return "a table"
	case []any:
		return "an array"
	}
	return fmt.Sprintf("a %T", v)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
