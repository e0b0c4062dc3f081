package node

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/heliosdb/nano/storage"
)

// Roles (hastate.Primary, hastate.Standby as Config.Role spells them) and
// replication modes as users spell them.
const (
	RolePrimary = "primary"
	RoleStandby = "standby"
	ModeSync    = "sync"
	ModeAsync   = "async"

	// AdminAuthRequired (the default) makes every HTTP endpoint but GET
	// /health need the database's credentials or the admin token;
	// AdminAuthNone turns that off (labs only; a warning is logged).
	AdminAuthRequired = "required"
	AdminAuthNone     = "none"
)

// Config is everything a node needs. Zero values mean the documented
// defaults (see Defaults); Validate reports the first bad field by the name
// users know it by (the flag name).
type Config struct {
	DataDir         string // default ./heliosdb-data
	Listen          string // listen address for every port; default 0.0.0.0
	PGPort          int    // PostgreSQL protocol; default 5432
	NativePort      int    // replication (gRPC); default 5433
	HTTPPort        int    // HTTP API; default 8080; 0 = off
	NodeID          string // default: hostname
	Role            string // primary|standby; default primary
	ReplicationMode string // sync|async; default async
	PrimaryHost     string // standby only
	PrimaryPort     int    // primary's native port; default 5433

	User       string // default helios
	Password   string // default helios
	AuthMethod string // scram-sha-256 (default), md5, password, trust

	// AdminToken is accepted on the HTTP API as "Authorization: Bearer
	// <token>", besides HTTP Basic with User/Password; "" = no token.
	AdminToken string
	// AdminAuth is AdminAuthRequired (default) or AdminAuthNone.
	AdminAuth string
	// ProtectMetrics puts GET /metrics behind the same credentials.
	ProtectMetrics bool
	// MaxConnections bounds the PostgreSQL sessions (default 100): one
	// more gets FATAL 53300 "sorry, too many clients already".
	MaxConnections int
	// SuperuserReservedConnections of the MaxConnections slots are kept
	// for superusers (default 3), as in PostgreSQL.
	SuperuserReservedConnections int
	// AuthenticationTimeout bounds a PostgreSQL client's startup and
	// authentication (default 60s, PostgreSQL's authentication_timeout).
	AuthenticationTimeout time.Duration
	// HBAFile is a client authentication rule list in pg_hba.conf format
	// (internal/hba): the first rule matching a PostgreSQL client's
	// address, user, database and TLS decides its method; no match is
	// refused. "" = every client uses AuthMethod (the default).
	HBAFile string
	// TLSCertFile and TLSKeyFile (PEM) turn on TLS on the PostgreSQL port
	// (SSLRequest answered 'S'); Node.ReloadTLS (SIGHUP) re-reads them.
	// Empty: no TLS.
	TLSCertFile, TLSKeyFile string
	// TLSRequired refuses PostgreSQL clients that did not negotiate TLS
	// with FATAL 28000 (as pg_hba.conf with only hostssl lines).
	TLSRequired bool
	// HTTPTLS serves the HTTP API over HTTPS with the same certificate
	// (needs TLSCertFile); plain HTTP requests to it are refused.
	HTTPTLS bool
	// NativeTLS runs the native (replication) port over TLS with the same
	// certificate (needs TLSCertFile and NativeTLSCAFile): served only
	// over TLS, and peers (the primary a standby follows, forwarding,
	// peer checks) must present a certificate from NativeTLSCAFile naming
	// the host dialled. The secret handshake still runs inside.
	NativeTLS bool
	// NativeTLSCAFile holds the CA certificates (PEM) peers' certificates
	// must chain to; re-read by ReloadTLS.
	NativeTLSCAFile string
	// NativeTLSClientAuth makes the native port also require a client
	// certificate from NativeTLSCAFile (mutual TLS).
	NativeTLSClientAuth bool

	// SyncTimeout is how long a commit waits for a sync standby before a
	// sync primary degrades to async; default 10s.
	SyncTimeout time.Duration
	// SyncStrict makes a sync primary wait for a sync standby forever.
	SyncStrict bool
	// ReplicationSecret authenticates every call on the native port; empty
	// means the node's Password, so a cluster whose nodes share a password
	// needs no extra setting.
	ReplicationSecret string
	// WALKeepMB bounds the WAL (in MiB) kept for disconnected standbys
	// beyond what recovery needs; default 1024. A standby further behind
	// re-seeds from a base backup.
	WALKeepMB int
	// AdvertiseHost is how other nodes and clients reach this node (shown
	// in topology views); default: the hostname.
	AdvertiseHost string
	// StorageFlushInterval bounds how long committed changes stay only in
	// memory (and the WAL) before they are written into the storage file
	// (storage.Config.FlushInterval).
	StorageFlushInterval time.Duration

	// CheckpointInterval is how often the WAL no longer needed (applied and
	// not needed by any known standby) is removed; default 30s.
	CheckpointInterval time.Duration
	// MaxMessageSize bounds any PostgreSQL protocol message; default 64 MiB.
	MaxMessageSize int
	// WALSegmentSize; default 64 MiB.
	WALSegmentSize int64
	// WALSyncMark is test support (wal.Config.SyncMark): the WAL records
	// its flushed LSN for tests that simulate a power cut. Set from
	// HELIOSDB_TEST_WAL_SYNC_MARK=1, never from a flag.
	WALSyncMark bool
	// StorageMergeStepKeys is test support (storage.Config.MergeStepKeys):
	// fewer rows per transaction of the mover that writes a published
	// COPY into its table, so a test can kill the node mid-move. Set from
	// HELIOSDB_TEST_STORAGE_MERGE_STEP_KEYS, never from a flag; 0 is the
	// default.
	StorageMergeStepKeys int
	// WriteForwarding makes a standby run writes on its primary instead of
	// refusing them with 25006 (forward.go, docs/replication.md). Default
	// off, as in PostgreSQL.
	WriteForwarding bool
	// WriteForwardingTimeout bounds how long a forwarded transaction looks
	// for the primary, and how long a forwarded commit waits to be applied
	// here before answering anyway (with a warning); default 10s.
	WriteForwardingTimeout time.Duration
	// StatementMemoryLimit bounds the memory one SQL statement may hold, in
	// bytes; past it the statement fails with 53200 out_of_memory. 0 =
	// automatic (an eighth of the memory available, at least 256 MiB);
	// negative = unlimited. Spilling operators use work_mem and temporary
	// files in <data-dir>/tmp instead.
	StatementMemoryLimit int64
	// MemoryLimit is the Go runtime's soft memory limit for the process
	// (runtime/debug.SetMemoryLimit, as GOMEMLIMIT), in bytes: past it the
	// garbage collector runs as often as needed to stay below it instead of
	// letting the heap double between collections (GOGC=100). 0 = automatic:
	// half the memory available, at least twice the statement limit; a
	// GOMEMLIMIT in the environment is then left in force. Negative = no
	// limit. It is process-wide: the last node started in a process sets it.
	MemoryLimit int64
	// ShutdownTimeout bounds how long in-flight statements may run after
	// SIGTERM before their connections are closed; default 10s.
	ShutdownTimeout time.Duration

	Logger *slog.Logger     // nil = discard
	Now    func() time.Time // nil = time.Now

	// Test seams: when set, these listeners are used instead of binding
	// Listen:PGPort / Listen:HTTPPort (tests pass 127.0.0.1:0 listeners).
	PGListener     net.Listener
	HTTPListener   net.Listener
	NativeListener net.Listener
	// ReplicationBackoff is the standby's first reconnect delay (it
	// doubles up to 5s); default 100ms.
	ReplicationBackoff time.Duration
}

// Defaults returns the documented defaults (DESIGN.md section 2).
func Defaults() Config {
	host, _ := os.Hostname()
	return Config{
		DataDir:         "./heliosdb-data",
		Listen:          "0.0.0.0",
		PGPort:          5432,
		NativePort:      5433,
		HTTPPort:        8080,
		NodeID:          host,
		Role:            RolePrimary,
		ReplicationMode: ModeAsync,
		PrimaryPort:     5433,
		User:            "helios",
		Password:        "helios",
		AuthMethod:      "scram-sha-256",
		AdminAuth:       AdminAuthRequired,

		MaxConnections:               100,
		SuperuserReservedConnections: 3,
		AuthenticationTimeout:        60 * time.Second,
		SyncTimeout:                  10 * time.Second,
		WALKeepMB:                    1024,
		AdvertiseHost:                host,
		CheckpointInterval:           30 * time.Second,
		StorageFlushInterval:         storage.DefaultFlushInterval,
		MaxMessageSize:               64 << 20,
		WALSegmentSize:               64 << 20,
		ShutdownTimeout:              10 * time.Second,

		WriteForwardingTimeout: 10 * time.Second,
	}
}

// ConfigError names the setting that is wrong and why.
type ConfigError struct {
	Key    string
	Reason string
}

func (e *ConfigError) Error() string { return fmt.Sprintf("invalid %s: %s", e.Key, e.Reason) }

func bad(key, format string, args ...any) error {
	return &ConfigError{Key: key, Reason: fmt.Sprintf(format, args...)}
}

// Validate checks c and fills in nothing: call it after applying defaults.
func (c *Config) Validate() error {
	if strings.TrimSpace(c.DataDir) == "" {
		return bad("data-dir", "must not be empty")
	}
	for _, p := range []struct {
		key  string
		v    int
		zero bool
	}{{"pg-port", c.PGPort, false}, {"native-port", c.NativePort, false}, {"http-port", c.HTTPPort, true}, {"primary-port", c.PrimaryPort, false}} {
		if p.v < 0 || p.v > 65535 || (!p.zero && p.v == 0) {
			return bad(p.key, "%d is not a valid TCP port (1-65535)", p.v)
		}
	}
	if c.NodeID == "" {
		return bad("node-id", "must not be empty")
	}
	switch c.Role {
	case RolePrimary:
	case RoleStandby:
		if c.PrimaryHost == "" {
			return bad("primary-host", "required when --replication-role is standby")
		}
	default:
		return bad("replication-role", "%q is not one of primary, standby", c.Role)
	}
	switch c.ReplicationMode {
	case ModeSync, ModeAsync:
	default:
		return bad("replication-mode", "%q is not one of sync, async", c.ReplicationMode)
	}
	switch c.AuthMethod {
	case "scram-sha-256", "md5", "password", "trust":
	default:
		return bad("auth-method", "%q is not one of scram-sha-256, md5, password, trust", c.AuthMethod)
	}
	if c.User == "" {
		return bad("user", "must not be empty")
	}
	switch c.AdminAuth {
	case AdminAuthRequired, AdminAuthNone:
	default:
		return bad("admin-auth", "%q is not one of required, none", c.AdminAuth)
	}
	if c.MaxConnections < 1 {
		return bad("max-connections", "must be at least 1")
	}
	if c.SuperuserReservedConnections < 0 || c.SuperuserReservedConnections >= c.MaxConnections {
		return bad("superuser-reserved-connections", "must be at least 0 and less than max-connections (%d)", c.MaxConnections)
	}
	if c.AuthenticationTimeout <= 0 {
		return bad("authentication-timeout", "must be positive")
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		return bad("tls-cert-file", "--tls-cert-file and --tls-key-file go together")
	}
	if c.TLSRequired && c.TLSCertFile == "" {
		return bad("tls-required", "needs --tls-cert-file and --tls-key-file")
	}
	if c.HTTPTLS && c.TLSCertFile == "" {
		return bad("http-tls", "needs --tls-cert-file and --tls-key-file")
	}
	if c.NativeTLS && (c.TLSCertFile == "" || c.NativeTLSCAFile == "") {
		return bad("native-tls", "needs --tls-cert-file, --tls-key-file and --native-tls-ca-file")
	}
	if !c.NativeTLS && (c.NativeTLSCAFile != "" || c.NativeTLSClientAuth) {
		return bad("native-tls", "--native-tls-ca-file and --native-tls-client-auth need --native-tls")
	}
	if c.SyncTimeout <= 0 {
		return bad("sync-timeout", "must be positive")
	}
	if c.WriteForwardingTimeout <= 0 {
		return bad("write-forwarding-timeout", "must be positive")
	}
	if c.WALKeepMB < 0 {
		return bad("wal-keep-size", "must not be negative")
	}
	if c.CheckpointInterval <= 0 {
		return bad("checkpoint-interval", "must be positive")
	}
	if c.MaxMessageSize < 1024 {
		return bad("max-message-size", "must be at least 1024 bytes")
	}
	if c.WALSegmentSize < 64<<10 {
		return bad("wal-segment-size", "must be at least 64 KiB")
	}
	return nil
}

// secret is the replication secret in effect.
func (c *Config) secret() string {
	if c.ReplicationSecret != "" {
		return c.ReplicationSecret
	}
	return c.Password
}

func (c *Config) walDir() string { return filepath.Join(c.DataDir, "wal") }
func (c *Config) dbPath() string { return filepath.Join(c.DataDir, "data.db") }

// tmpDir holds the temporary files of statements that spill past work_mem.
func (c *Config) tmpDir() string { return filepath.Join(c.DataDir, "tmp") }
func (c *Config) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}
