package config

import (
	"net"
	"strconv"
	"time"
)

// Read consistency levels (proxy.read_consistency).
const (
	// ConsistencyEventual: reads go to any healthy node, however far behind.
	ConsistencyEventual = "eventual"
	// ConsistencySession: after a session writes, its reads go to the
	// primary (read-your-writes); other sessions' commits may not be seen.
	ConsistencySession = "session"
	// ConsistencyCausal: a read sees every commit the proxy acknowledged
	// to any client before the read arrived; it goes to a standby only if
	// that standby has applied them (waiting up to causal_wait_ms), else to
	// the primary.
	ConsistencyCausal = "causal"
)

// Consistency is the read consistency in effect.
func (c Config) Consistency() string {
	switch {
	case c.ReadConsistency != "":
		return c.ReadConsistency
	case c.ReadYourWrites:
		return ConsistencySession
	}
	return ConsistencyEventual
}

// Role values for Node.Role.
const (
	RolePrimary = "primary"
	RoleStandby = "standby"
)

// Authentication methods for Config.AuthMethod, named as in pg_hba.conf.
const (
	AuthSCRAM    = "scram-sha-256"
	AuthMD5      = "md5"
	AuthPassword = "password"
)

// Admin API authentication modes for Config.AdminAuth.
const (
	AdminAuthRequired = "required"
	AdminAuthNone     = "none"
)

// Config is the proxy's configuration. Defaults returns one with every
// documented default; Parse fills it from a file. Durations are kept as
// time.Duration so tests can use sub-second values.
type Config struct {
	ListenAddr          string        // proxy.listen_addr
	AdminAddr           string        // proxy.admin_addr; "" disables the admin API
	HealthCheckInterval time.Duration // proxy.health_check_interval_secs
	FailureThreshold    int           // proxy.failure_threshold
	WriteTimeout        time.Duration // proxy.write_timeout_secs
	ConnectTimeout      time.Duration // proxy.connect_timeout_secs
	ShutdownTimeout     time.Duration // proxy.shutdown_timeout_secs

	User       string // proxy.user: probe login and default client user
	Password   string // proxy.password
	Database   string // proxy.database: the probes' database
	AuthMethod string // proxy.auth_method

	// AdminToken (proxy.admin_token) is accepted on the admin API as
	// "Authorization: Bearer <token>", besides HTTP Basic with a client
	// user's name and password; "" = no token.
	AdminToken string
	// AdminAuth (proxy.admin_auth) is AdminAuthRequired (default) or
	// AdminAuthNone (no credentials asked; labs only).
	AdminAuth string
	// ProtectMetrics (proxy.protect_metrics) puts GET /metrics, /nodes and /failover behind the
	// same credentials.
	ProtectMetrics bool
	// MaxConnections (proxy.max_connections) bounds client sessions: one
	// more gets FATAL 53300 "sorry, too many clients already". 0 = none.
	MaxConnections int
	// MaxProcs (proxy.max_procs) is how many threads run the proxy's Go
	// code at once (GOMAXPROCS; heliosdb-proxy applies it at start); 0 =
	// automatic: the GOMAXPROCS environment variable when set, else half
	// the CPUs the process may use, at least one.
	MaxProcs int

	// TLS of the client port: TLSCertFile/TLSKeyFile (proxy.tls_cert_file,
	// proxy.tls_key_file, PEM) turn it on (SSLRequest answered 'S'); both
	// are re-read on SIGHUP. TLSRequired (proxy.tls_required) refuses
	// clients that did not negotiate TLS with FATAL 28000.
	TLSCertFile, TLSKeyFile string
	TLSRequired             bool
	// BackendSSLMode (proxy.backend_sslmode) is how the proxy connects to
	// the nodes, as libpq's sslmode: disable (default), prefer, require,
	// verify-ca or verify-full; BackendSSLRootCert
	// (proxy.backend_sslrootcert) is the CA file verify-ca/verify-full
	// check the nodes' certificates against.
	BackendSSLMode     string
	BackendSSLRootCert string
	// AdminTLS (proxy.admin_tls) serves the admin API over HTTPS with
	// TLSCertFile/TLSKeyFile. NodeHTTPTLS (proxy.node_http_tls) calls the
	// nodes' HTTP APIs (switchover, failover, status) over HTTPS, checking
	// their certificates against BackendSSLRootCert and the configured host.
	AdminTLS    bool
	NodeHTTPTLS bool

	ReadFromPrimary    bool  // proxy.read_from_primary
	ReadYourWrites     bool  // proxy.read_your_writes (used when ReadConsistency is "")
	MaxReplicaLagBytes int64 // proxy.max_replica_lag_bytes; 0 means no bound
	// ReadConsistency is proxy.read_consistency: ConsistencyEventual,
	// ConsistencySession or ConsistencyCausal; "" means session when
	// ReadYourWrites, else eventual (see Consistency).
	ReadConsistency string
	CausalWait      time.Duration // proxy.causal_wait_ms

	AutoFailover          bool          // proxy.auto_failover
	FailoverTimeout       time.Duration // proxy.failover_timeout_secs
	FailoverAllowDataLoss bool          // proxy.failover_allow_data_loss

	Nodes []Node
	Users []User // empty means one user: User/Password
}

// DefaultMaxConnections is proxy.max_connections by default (PostgreSQL's
// max_connections default).
const DefaultMaxConnections = 100

// sslmode values for Config.BackendSSLMode, as libpq's.
const (
	SSLModeDisable    = "disable"
	SSLModePrefer     = "prefer"
	SSLModeRequire    = "require"
	SSLModeVerifyCA   = "verify-ca"
	SSLModeVerifyFull = "verify-full"
)

// DefaultNativePort is a node's default replication port
// (heliosdb-nano --native-port), used for a node that has not said.
const DefaultNativePort = 5433

// Node is one [[nodes]] entry.
type Node struct {
	Name    string
	Host    string
	Port    int
	Role    string // configured role: informational, never used for routing
	Enabled bool
	// HTTPPort overrides the port of the node's HTTP API (GET /status,
	// POST /admin/promote, /admin/demote, /admin/lease), used by
	// switchover and automatic failover; 0 means the port the node
	// advertises in helios_node (on Host). Needed only when the proxy
	// reaches the node through a port mapping.
	HTTPPort int
	// NativePort overrides the node's replication (native) port, which the
	// other nodes are pointed at when it becomes the primary; 0 means the
	// address the node advertises, else DefaultNativePort.
	NativePort int
}

// Addr is host:port of the node's PostgreSQL listener.
func (n Node) Addr() string { return net.JoinHostPort(n.Host, strconv.Itoa(n.Port)) }

// User is one [[users]] entry: a client login the proxy accepts and uses
// towards the nodes.
type User struct {
	Name     string
	Password string
}

// Defaults returns the documented defaults, with no nodes.
func Defaults() Config {
	return Config{
		ListenAddr:          "0.0.0.0:5432",
		AdminAddr:           "0.0.0.0:9090",
		HealthCheckInterval: 5 * time.Second,
		FailureThreshold:    3,
		WriteTimeout:        30 * time.Second,
		ConnectTimeout:      5 * time.Second,
		ShutdownTimeout:     10 * time.Second,
		User:                "helios",
		Password:            "helios",
		Database:            "heliosdb",
		AuthMethod:          AuthSCRAM,
		AdminAuth:           AdminAuthRequired,
		MaxConnections:      DefaultMaxConnections,
		BackendSSLMode:      SSLModeDisable,
		ReadFromPrimary:     true,
		ReadYourWrites:      true,
		CausalWait:          100 * time.Millisecond,
		AutoFailover:        true,
		FailoverTimeout:     10 * time.Second,
	}
}

// Credentials returns the client users the proxy accepts: Users, or the
// single User/Password when Users is empty. The result is a new map.
func (c Config) Credentials() map[string]string {
	out := make(map[string]string, len(c.Users)+1)
	if len(c.Users) == 0 {
		out[c.User] = c.Password
	}
	for _, u := range c.Users {
		out[u.Name] = u.Password
	}
	return out
}
