package pgwire

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/heliosdb/nano/internal/pgauth"
	"github.com/heliosdb/nano/pgwire/pgfront"
)

// Authentication methods for Config.AuthMethod, named as in pg_hba.conf.
const (
	AuthSCRAM     = "scram-sha-256"
	AuthMD5       = "md5"
	AuthPassword  = "password" // cleartext
	AuthTrust     = "trust"
	defaultMaxMsg = 64 << 20
)

// Defaults applied by NewServer to zero Config fields.
const (
	DefaultAuthMethod     = AuthSCRAM
	DefaultMaxMessageSize = defaultMaxMsg
	DefaultStartupTimeout = 10 * time.Second
)

// Config configures a Server. Zero values mean the documented defaults.
type Config struct {
	// AuthMethod is "scram-sha-256" (default), "md5", "password"
	// (cleartext) or "trust".
	AuthMethod string
	// Credentials returns the password of user; ok=false for an unknown
	// user, which fails exactly like a wrong password (28P01). Required
	// unless AuthMethod is "trust" or Users is set. Called from connection
	// goroutines concurrently.
	Credentials func(user string) (password string, ok bool)
	// Users, when set, replaces Credentials: stored secrets (plain, md5 or
	// SCRAM verifiers) of a user store.
	Users pgfront.Users
	// Rules, when set, replaces AuthMethod: the method for each (address,
	// user, database, TLS), as pg_hba.conf. RequireTLS still applies.
	Rules pgfront.Rules
	// TLSConfig enables TLS: SSLRequest is answered 'S' and the connection
	// upgraded. nil answers 'N'.
	TLSConfig *tls.Config
	// RequireTLS refuses clients that did not negotiate TLS with FATAL
	// 28000 (as pg_hba.conf with only hostssl lines).
	RequireTLS bool
	// MaxMessageSize bounds a frontend message body in bytes (default 64
	// MiB). A larger message gets a 54000 ErrorResponse and the connection
	// is closed.
	MaxMessageSize int
	// Logger receives connection-level logs; nil discards them.
	Logger *slog.Logger
	// Registerer receives the server's metrics; nil registers none.
	Registerer prometheus.Registerer
	// StartupTimeout bounds the startup and authentication phase (default
	// 10s); a client that has not finished by then is disconnected.
	StartupTimeout time.Duration
	// MaxConnections bounds the sessions (limits.go); 0 = no bound.
	MaxConnections int
	// ReservedConnections of MaxConnections are for users IsSuperuser
	// accepts (PostgreSQL's superuser_reserved_connections).
	ReservedConnections int
	// IsSuperuser reports whether user is a superuser; nil = every user is.
	IsSuperuser func(user string) bool
}

// withDefaults returns c with zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.AuthMethod == "" {
		c.AuthMethod = DefaultAuthMethod
	}
	if c.MaxMessageSize == 0 {
		c.MaxMessageSize = DefaultMaxMessageSize
	}
	if c.StartupTimeout == 0 {
		c.StartupTimeout = DefaultStartupTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate reports the first invalid field, naming it.
func (c Config) Validate() error {
	if c.MaxConnections < 0 || c.ReservedConnections < 0 || (c.MaxConnections > 0 && c.ReservedConnections >= c.MaxConnections) {
		return fmt.Errorf("%w: MaxConnections %d, ReservedConnections %d (want 0 <= reserved < max)", ErrInvalidConfig, c.MaxConnections, c.ReservedConnections)
	}
	switch c.AuthMethod {
	case "", AuthSCRAM, AuthMD5, AuthPassword:
		if c.Credentials == nil && c.Users == nil && c.Rules == nil {
			return fmt.Errorf("%w: Credentials is required for auth method %q", ErrInvalidConfig, c.withDefaults().AuthMethod)
		}
	case AuthTrust:
	default:
		return fmt.Errorf("%w: AuthMethod %q (want scram-sha-256, md5, password or trust)", ErrInvalidConfig, c.AuthMethod)
	}
	if c.MaxMessageSize < 0 {
		return fmt.Errorf("%w: MaxMessageSize %d is negative", ErrInvalidConfig, c.MaxMessageSize)
	}
	if c.StartupTimeout < 0 {
		return fmt.Errorf("%w: StartupTimeout %v is negative", ErrInvalidConfig, c.StartupTimeout)
	}
	if c.RequireTLS && c.TLSConfig == nil {
		return fmt.Errorf("%w: RequireTLS without TLSConfig would refuse every client", ErrInvalidConfig)
	}
	return nil
}

// front is the startup configuration shared with the proxy (pgfront).
// c has its defaults.
func (c Config) front() pgfront.Config {
	rules := c.Rules
	switch {
	case rules == nil:
		rules = pgfront.SingleRule{Use: pgfront.Method(c.AuthMethod), RequireTLS: c.RequireTLS}
	case c.RequireTLS:
		rules = pgfront.RequireTLS(rules)
	}
	users := c.Users
	if users == nil && c.Credentials != nil {
		creds := c.Credentials
		users = pgfront.UsersFunc(func(user string) (pgauth.Secret, bool) {
			p, ok := creds(user)
			return pgauth.PlainSecret(p), ok
		})
	}
	return pgfront.Config{
		Rules: rules, Users: users, TLS: c.TLSConfig, StartupTimeout: c.StartupTimeout,
		MaxConnections: c.MaxConnections, ReservedConnections: c.ReservedConnections, IsSuperuser: c.IsSuperuser,
		Logger: c.Logger,
	}
}
