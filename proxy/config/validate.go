package config

import (
	"fmt"
	"net"
	"strconv"
	"time"
)

// Validate returns a *Error for the first invalid setting, naming its key.
func (c Config) Validate() error {
	if err := validAddr("proxy.listen_addr", c.ListenAddr, false); err != nil {
		return err
	}
	if err := validAddr("proxy.admin_addr", c.AdminAddr, true); err != nil {
		return err
	}
	durations := []struct {
		key  string
		d    time.Duration
		zero bool // zero allowed
	}{
		{"proxy.health_check_interval_secs", c.HealthCheckInterval, false},
		{"proxy.write_timeout_secs", c.WriteTimeout, true},
		{"proxy.connect_timeout_secs", c.ConnectTimeout, false},
		{"proxy.shutdown_timeout_secs", c.ShutdownTimeout, true},
		{"proxy.failover_timeout_secs", c.FailoverTimeout, false},
	}
	for _, d := range durations {
		if d.d < 0 || (d.d == 0 && !d.zero) {
			return bad(d.key, "must be greater than 0 (got %v)", d.d.Seconds())
		}
	}
	if c.FailoverTimeout < time.Second {
		return bad("proxy.failover_timeout_secs", "must be at least 1 (got %v): the primary's lease must outlast a few renewals", c.FailoverTimeout.Seconds())
	}
	if c.FailureThreshold < 1 {
		return bad("proxy.failure_threshold", "must be at least 1 (got %d)", c.FailureThreshold)
	}
	if c.MaxReplicaLagBytes < 0 {
		return bad("proxy.max_replica_lag_bytes", "must not be negative (got %d)", c.MaxReplicaLagBytes)
	}
	switch c.ReadConsistency {
	case "", ConsistencyEventual, ConsistencySession, ConsistencyCausal:
	default:
		return bad("proxy.read_consistency", "%q is not one of eventual, session, causal", c.ReadConsistency)
	}
	if c.CausalWait < 0 {
		return bad("proxy.causal_wait_ms", "must not be negative (got %v)", c.CausalWait)
	}
	switch c.AuthMethod {
	case AuthSCRAM, AuthMD5, AuthPassword:
	default:
		return bad("proxy.auth_method", "%q is not one of scram-sha-256, md5, password", c.AuthMethod)
	}
	if c.User == "" {
		return bad("proxy.user", "must not be empty")
	}
	switch c.AdminAuth {
	case AdminAuthRequired, AdminAuthNone:
	default:
		return bad("proxy.admin_auth", "%q is not one of required, none", c.AdminAuth)
	}
	if c.Database == "" {
		return bad("proxy.database", "must not be empty")
	}
	if err := c.validateTLS(); err != nil {
		return err
	}
	if err := c.validateUsers(); err != nil {
		return err
	}
	return c.validateNodes()
}

func (c Config) validateUsers() error {
	seen := map[string]bool{}
	for i, u := range c.Users {
		key := fmt.Sprintf("users[%d]", i)
		if u.Name == "" {
			return bad(key+".name", "must not be empty")
		}
		if seen[u.Name] {
			return bad(key+".name", "duplicate user %q", u.Name)
		}
		seen[u.Name] = true
	}
	return nil
}

func (c Config) validateNodes() error {
	if len(c.Nodes) == 0 {
		return bad("nodes", "at least one [[nodes]] entry is required")
	}
	seen := map[string]bool{}
	addrs := map[string]string{} // host:port → name
	for i, n := range c.Nodes {
		key := fmt.Sprintf("nodes[%d]", i)
		other, dup := addrs[n.Addr()]
		switch {
		case n.Name == "":
			return bad(key+".name", "must not be empty")
		case seen[n.Name]:
			return bad(key+".name", "duplicate node name %q", n.Name)
		case dup:
			return bad(key+".port", "%q has the same host and port (%s) as %q: one node configured twice", n.Name, n.Addr(), other)
		case n.Host == "":
			return bad(key+".host", "must not be empty")
		case n.Port < 1 || n.Port > 65535:
			return bad(key+".port", "must be between 1 and 65535 (got %d)", n.Port)
		case n.Role != "" && n.Role != RolePrimary && n.Role != RoleStandby:
			return bad(key+".role", "%q is not one of primary, standby", n.Role)
		case n.HTTPPort < 0 || n.HTTPPort > 65535: // 0: the default
			return bad(key+".http_port", "must be between 1 and 65535 (got %d)", n.HTTPPort)
		case n.NativePort < 0 || n.NativePort > 65535: // 0: advertised or the default
			return bad(key+".native_port", "must be between 1 and 65535 (got %d)", n.NativePort)
		}
		seen[n.Name] = true
		addrs[n.Addr()] = n.Name
	}
	return nil
}

// validAddr checks a host:port listen address; port 0 picks a free port.
func validAddr(key, addr string, emptyOK bool) error {
	if addr == "" {
		if emptyOK {
			return nil
		}
		return bad(key, "must not be empty")
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return bad(key, "%q is not host:port", addr)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return bad(key, "%q has an invalid port", addr)
	}
	return nil
}

func (c Config) validateTLS() error {
	if c.MaxConnections < 0 {
		return bad("proxy.max_connections", "must not be negative (got %d)", c.MaxConnections)
	}
	if c.MaxProcs < 0 {
		return bad("proxy.max_procs", "must not be negative (got %d)", c.MaxProcs)
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		return bad("proxy.tls_cert_file", "tls_cert_file and tls_key_file go together")
	}
	if c.TLSRequired && c.TLSCertFile == "" {
		return bad("proxy.tls_required", "needs tls_cert_file and tls_key_file")
	}
	if c.AdminTLS && c.TLSCertFile == "" {
		return bad("proxy.admin_tls", "needs tls_cert_file and tls_key_file")
	}
	if c.NodeHTTPTLS && c.BackendSSLRootCert == "" {
		return bad("proxy.node_http_tls", "needs backend_sslrootcert (the CA of the nodes' certificates)")
	}
	switch c.BackendSSLMode {
	case SSLModeDisable, SSLModePrefer, SSLModeRequire:
	case SSLModeVerifyCA, SSLModeVerifyFull:
		if c.BackendSSLRootCert == "" {
			return bad("proxy.backend_sslrootcert", "is required with backend_sslmode = %q", c.BackendSSLMode)
		}
	default:
		return bad("proxy.backend_sslmode", "%q is not one of disable, prefer, require, verify-ca, verify-full", c.BackendSSLMode)
	}
	return nil
}
