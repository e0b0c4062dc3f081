package nodecli

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/heliosdb/nano/node"
)

// setting is one start option: its flag, its environment variable and how
// it lands in node.Config. Declared once so help, env binding, config-file
// keys and validation cannot drift apart.
type setting struct {
	key   string // flag name and config-file key
	env   string
	def   string
	usage string
	apply func(c *node.Config, v string) error
	// noOptDef is the value of the bare flag (--sync-strict = true).
	noOptDef string
}

func intSetting(key, env string, def int, usage string, dst func(*node.Config) *int) setting {
	return setting{key: key, env: env, def: strconv.Itoa(def), usage: usage, apply: func(c *node.Config, v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return &node.ConfigError{Key: key, Reason: fmt.Sprintf("%q is not an integer", v)}
		}
		*dst(c) = n
		return nil
	}}
}

func strSetting(key, env, def, usage string, dst func(*node.Config) *string) setting {
	return setting{key: key, env: env, def: def, usage: usage, apply: func(c *node.Config, v string) error {
		*dst(c) = v
		return nil
	}}
}

func durSetting(key, env string, def time.Duration, usage string, dst func(*node.Config) *time.Duration) setting {
	return setting{key: key, env: env, def: def.String(), usage: usage, apply: func(c *node.Config, v string) error {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil {
			return &node.ConfigError{Key: key, Reason: fmt.Sprintf("%q is not a duration (e.g. 10s, 500ms)", v)}
		}
		*dst(c) = d
		return nil
	}}
}

func boolSetting(key, env string, def bool, usage string, dst func(*node.Config) *bool) setting {
	return setting{key: key, env: env, def: strconv.FormatBool(def), usage: usage, noOptDef: "true", apply: func(c *node.Config, v string) error {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return &node.ConfigError{Key: key, Reason: fmt.Sprintf("%q is not a boolean (true or false)", v)}
		}
		*dst(c) = b
		return nil
	}}
}

// fileSetting reads a secret from a file (its final line break dropped)
// into the field; an empty value leaves the field alone. It must come
// after the plain setting of the same field, which it overrides.
func fileSetting(key, env, usage string, dst func(*node.Config) *string) setting {
	return setting{key: key, env: env, usage: usage, apply: func(c *node.Config, v string) error {
		if v == "" {
			return nil
		}
		secret, err := readSecretFile(key, v)
		if err != nil {
			return err
		}
		*dst(c) = secret
		return nil
	}}
}

func startSettings() []setting {
	d := node.Defaults()
	return []setting{
		strSetting("data-dir", "HELIOSDB_DATA_DIR", d.DataDir, "directory for the WAL and the database file", func(c *node.Config) *string { return &c.DataDir }),
		intSetting("pg-port", "HELIOSDB_PG_PORT", d.PGPort, "PostgreSQL wire-protocol port", func(c *node.Config) *int { return &c.PGPort }),
		intSetting("native-port", "HELIOSDB_NATIVE_PORT", d.NativePort, "native (replication, gRPC) port", func(c *node.Config) *int { return &c.NativePort }),
		intSetting("http-port", "HELIOSDB_HTTP_PORT", d.HTTPPort, "HTTP API port (health, /query, /status, /metrics); 0 turns it off", func(c *node.Config) *int { return &c.HTTPPort }),
		strSetting("listen", "HELIOSDB_LISTEN", d.Listen, "address every port listens on", func(c *node.Config) *string { return &c.Listen }),
		strSetting("node-id", "HELIOSDB_NODE_ID", d.NodeID, "this node's name in the cluster (default: hostname)", func(c *node.Config) *string { return &c.NodeID }),
		strSetting("replication-role", "HELIOSDB_ROLE", d.Role, "primary or standby, for a new data dir (a restarted node resumes the role its data dir records; promote/demote change it)", func(c *node.Config) *string { return &c.Role }),
		strSetting("replication-mode", "HELIOSDB_REPLICATION_MODE", d.ReplicationMode, "sync or async: on a primary, whether commits wait for a sync standby; on a standby, whether it acknowledges as a sync standby", func(c *node.Config) *string { return &c.ReplicationMode }),
		strSetting("primary-host", "HELIOSDB_PRIMARY_HOST", "", "primary to follow (standby only)", func(c *node.Config) *string { return &c.PrimaryHost }),
		intSetting("primary-port", "HELIOSDB_PRIMARY_PORT", d.PrimaryPort, "the primary's native port (standby only)", func(c *node.Config) *int { return &c.PrimaryPort }),
		strSetting("user", "HELIOSDB_USER", d.User, "user name clients log in with", func(c *node.Config) *string { return &c.User }),
		strSetting("password", "HELIOSDB_PASSWORD", d.Password, "password of --user (prefer the environment variable or --password-file: a flag is visible in ps)", func(c *node.Config) *string { return &c.Password }),
		fileSetting("password-file", "HELIOSDB_PASSWORD_FILE", "file holding the password of --user (overrides --password)", func(c *node.Config) *string { return &c.Password }),
		strSetting("hba-file", "HELIOSDB_HBA_FILE", "", "client authentication rules in pg_hba.conf format (first match wins; no match is refused); default: every client uses --auth-method", func(c *node.Config) *string { return &c.HBAFile }),
		strSetting("auth-method", "HELIOSDB_AUTH_METHOD", d.AuthMethod, "scram-sha-256, md5, password (cleartext) or trust", func(c *node.Config) *string { return &c.AuthMethod }),
		durSetting("sync-timeout", "HELIOSDB_SYNC_TIMEOUT", d.SyncTimeout, "how long a commit waits for a sync standby before the primary degrades to async", func(c *node.Config) *time.Duration { return &c.SyncTimeout }),
		boolSetting("sync-strict", "HELIOSDB_SYNC_STRICT", false, "never degrade a sync primary to async: commits wait for a sync standby forever", func(c *node.Config) *bool { return &c.SyncStrict }),
		strSetting("replication-secret", "HELIOSDB_REPLICATION_SECRET", "", "shared secret the nodes prove to each other on the native (replication) port, never sent on the wire; default: derived from --password", func(c *node.Config) *string { return &c.ReplicationSecret }),
		fileSetting("replication-secret-file", "HELIOSDB_REPLICATION_SECRET_FILE", "file holding the replication secret (overrides --replication-secret)", func(c *node.Config) *string { return &c.ReplicationSecret }),
		strSetting("admin-token", "HELIOSDB_ADMIN_TOKEN", "", "token accepted on the HTTP API as 'Authorization: Bearer <token>', besides HTTP Basic with --user/--password", func(c *node.Config) *string { return &c.AdminToken }),
		fileSetting("admin-token-file", "HELIOSDB_ADMIN_TOKEN_FILE", "file holding the admin token (overrides --admin-token)", func(c *node.Config) *string { return &c.AdminToken }),
		strSetting("admin-auth", "HELIOSDB_ADMIN_AUTH", d.AdminAuth, "required: every HTTP endpoint but GET /health needs credentials; none: no credentials asked (labs only)", func(c *node.Config) *string { return &c.AdminAuth }),
		boolSetting("protect-metrics", "HELIOSDB_PROTECT_METRICS", false, "GET /metrics needs credentials too", func(c *node.Config) *bool { return &c.ProtectMetrics }),
		intSetting("max-connections", "HELIOSDB_MAX_CONNECTIONS", d.MaxConnections, "most PostgreSQL sessions at once; one more gets 53300 sorry, too many clients already", func(c *node.Config) *int { return &c.MaxConnections }),
		intSetting("superuser-reserved-connections", "HELIOSDB_SUPERUSER_RESERVED_CONNECTIONS", d.SuperuserReservedConnections, "of --max-connections, slots only superusers may take", func(c *node.Config) *int { return &c.SuperuserReservedConnections }),
		durSetting("authentication-timeout", "HELIOSDB_AUTHENTICATION_TIMEOUT", d.AuthenticationTimeout, "a PostgreSQL client that has not finished startup and authentication by then is disconnected", func(c *node.Config) *time.Duration { return &c.AuthenticationTimeout }),
		strSetting("tls-cert-file", "HELIOSDB_TLS_CERT_FILE", "", "PEM certificate (chain) of the PostgreSQL port; with --tls-key-file turns TLS on (re-read on SIGHUP)", func(c *node.Config) *string { return &c.TLSCertFile }),
		strSetting("tls-key-file", "HELIOSDB_TLS_KEY_FILE", "", "PEM private key of --tls-cert-file", func(c *node.Config) *string { return &c.TLSKeyFile }),
		boolSetting("http-tls", "HELIOSDB_HTTP_TLS", false, "serve the HTTP API over HTTPS with --tls-cert-file/--tls-key-file (plain HTTP refused)", func(c *node.Config) *bool { return &c.HTTPTLS }),
		boolSetting("native-tls", "HELIOSDB_NATIVE_TLS", false, "serve and dial the native (replication) port over TLS only, with --tls-cert-file/--tls-key-file; peers' certificates must chain to --native-tls-ca-file and name the host dialled", func(c *node.Config) *bool { return &c.NativeTLS }),
		strSetting("native-tls-ca-file", "HELIOSDB_NATIVE_TLS_CA_FILE", "", "PEM CA certificates the peers' native-port certificates must chain to (re-read on SIGHUP)", func(c *node.Config) *string { return &c.NativeTLSCAFile }),
		boolSetting("native-tls-client-auth", "HELIOSDB_NATIVE_TLS_CLIENT_AUTH", false, "with --native-tls, also require a client certificate from --native-tls-ca-file (mutual TLS)", func(c *node.Config) *bool { return &c.NativeTLSClientAuth }),
		boolSetting("tls-required", "HELIOSDB_TLS_REQUIRED", false, "refuse PostgreSQL clients that did not negotiate TLS (FATAL 28000)", func(c *node.Config) *bool { return &c.TLSRequired }),
		intSetting("wal-keep-size", "HELIOSDB_WAL_KEEP_SIZE", d.WALKeepMB, "MiB of WAL kept for disconnected standbys; one further behind re-seeds from a base backup", func(c *node.Config) *int { return &c.WALKeepMB }),
		strSetting("advertise-host", "HELIOSDB_ADVERTISE_HOST", d.AdvertiseHost, "host name other nodes and clients reach this node by (topology views)", func(c *node.Config) *string { return &c.AdvertiseHost }),
		durSetting("checkpoint-interval", "HELIOSDB_CHECKPOINT_INTERVAL", d.CheckpointInterval, "how often WAL that is applied and not needed by any known standby is removed", func(c *node.Config) *time.Duration { return &c.CheckpointInterval }),
		durSetting("storage-flush-interval", "HELIOSDB_STORAGE_FLUSH_INTERVAL", d.StorageFlushInterval, "how long committed changes may stay only in memory and the WAL before they are written into the storage file (a restart replays them from the WAL)", func(c *node.Config) *time.Duration { return &c.StorageFlushInterval }),
		boolSetting("write-forwarding", "HELIOSDB_WRITE_FORWARDING", false, "on a standby, run writes on the primary and answer once they are applied here (read-your-writes), instead of refusing them with 25006", func(c *node.Config) *bool { return &c.WriteForwarding }),
		durSetting("write-forwarding-timeout", "HELIOSDB_WRITE_FORWARDING_TIMEOUT", d.WriteForwardingTimeout, "how long a forwarded write looks for the primary, and how long its commit waits to be applied on this standby", func(c *node.Config) *time.Duration { return &c.WriteForwardingTimeout }),
		durSetting("shutdown-timeout", "HELIOSDB_SHUTDOWN_TIMEOUT", d.ShutdownTimeout, "how long in-flight statements may run after SIGTERM", func(c *node.Config) *time.Duration { return &c.ShutdownTimeout }),
		{key: "statement-memory-limit", env: "HELIOSDB_STATEMENT_MEMORY_LIMIT", def: "auto",
			usage: "memory one SQL statement may hold before it fails with 53200 (e.g. 512MB, 2GB); auto = an eighth of the memory available, at least 256MB; unlimited = no limit",
			apply: func(c *node.Config, v string) error {
				n, err := parseMemoryLimit(v)
				if err != nil {
					return &node.ConfigError{Key: "statement-memory-limit", Reason: err.Error()}
				}
				c.StatementMemoryLimit = n
				return nil
			}},
		{key: "memory-limit", env: "HELIOSDB_MEMORY_LIMIT", def: "auto",
			usage: "soft limit on the node's Go heap (as GOMEMLIMIT): past it the garbage collector works harder instead of letting the heap double (e.g. 1GB); auto = half the memory available, at least twice --statement-memory-limit (a GOMEMLIMIT in the environment wins); unlimited = none",
			apply: func(c *node.Config, v string) error {
				n, err := parseMemoryLimit(v)
				if err != nil {
					return &node.ConfigError{Key: "memory-limit", Reason: err.Error()}
				}
				c.MemoryLimit = n
				return nil
			}},
		intSetting("max-message-size", "HELIOSDB_MAX_MESSAGE_SIZE", d.MaxMessageSize, "largest PostgreSQL protocol message accepted, in bytes", func(c *node.Config) *int { return &c.MaxMessageSize }),
	}
}

// logSettings are not part of node.Config.
var logSettings = []setting{
	{key: "log-level", env: "HELIOSDB_LOG_LEVEL", def: "info", usage: "debug, info, warn or error"},
	{key: "log-format", env: "HELIOSDB_LOG_FORMAT", def: "text", usage: "text or json"},
}

func registerFlags(fs *pflag.FlagSet, v *viper.Viper, settings []setting) {
	for _, s := range settings {
		usage := s.usage
		if s.env != "" {
			usage += " [env " + s.env + "]"
		}
		fs.String(s.key, s.def, usage)
		fs.Lookup(s.key).NoOptDefVal = s.noOptDef
		v.BindPFlag(s.key, fs.Lookup(s.key))
		if s.env != "" {
			v.BindEnv(s.key, s.env)
		}
	}
}

// loadConfigFile reads the optional config file (TOML or YAML by extension)
// and returns the keys it does not know, for a warning.
func loadConfigFile(v *viper.Viper, path string, known []setting) ([]string, error) {
	if path == "" {
		return nil, nil
	}
	v.SetConfigFile(path)
	if err := v.ReadInConfig(); err != nil {
		return nil, &node.ConfigError{Key: "config", Reason: err.Error()}
	}
	valid := map[string]bool{"config": true}
	for _, s := range known {
		valid[s.key] = true
	}
	var unknown []string
	for _, k := range v.AllKeys() {
		if !valid[k] {
			unknown = append(unknown, k)
		}
	}
	return unknown, nil
}

func buildConfig(v *viper.Viper, settings []setting) (node.Config, error) {
	c := node.Defaults()
	for _, s := range settings {
		if err := s.apply(&c, v.GetString(s.key)); err != nil {
			return c, err
		}
	}
	return c, nil
}

// parseMemoryLimit reads "auto" (0), "unlimited" (-1) or a size: bytes,
// or a number with kB, MB, GB or TB (PostgreSQL's units, powers of 1024).
func parseMemoryLimit(v string) (int64, error) {
	s := strings.TrimSpace(v)
	switch strings.ToLower(s) {
	case "auto", "":
		return 0, nil
	case "unlimited", "-1":
		return -1, nil
	}
	mult := int64(1)
	for _, u := range []struct {
		s string
		m int64
	}{{"TB", 1 << 40}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"kB", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(s, u.s) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.s)), u.m
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("%q is not a memory size (e.g. 512MB, 2GB), auto or unlimited", v)
	}
	return n * mult, nil
}
