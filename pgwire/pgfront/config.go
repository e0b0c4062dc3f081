package pgfront

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/heliosdb/nano/internal/pgauth"
)

// Method is an authentication method, named as in pg_hba.conf.
type Method string

// The methods a Rules may choose.
const (
	MethodSCRAM    Method = "scram-sha-256"
	MethodMD5      Method = "md5"
	MethodPassword Method = "password" // cleartext
	MethodTrust    Method = "trust"
	MethodReject   Method = "reject"
)

// Defaults applied to zero Config fields.
const (
	DefaultMethod         = MethodSCRAM
	DefaultStartupTimeout = 10 * time.Second
	// DefaultShutdownMessage is PostgreSQL's 57P03 text for a client that
	// connects while the server shuts down.
	DefaultShutdownMessage = "the database system is shutting down"
)

// Client is what a Rules decides on: who connects, from where, to what,
// and whether the connection is encrypted.
type Client struct {
	Addr     net.Addr
	User     string
	Database string
	TLS      bool
}

// Rules decides how a client authenticates (pg_hba.conf). Called from
// connection goroutines concurrently.
type Rules interface {
	// Method returns the method for c; matched=false when no rule applies,
	// which refuses the client with 28000 "no pg_hba.conf entry ...".
	Method(c Client) (m Method, matched bool)
}

// Users looks up users' stored secrets. Called from connection goroutines
// concurrently.
type Users interface {
	// Secret returns user's stored password or verifier; known=false for a
	// user that does not exist (or may not log in with a password), which
	// fails exactly like a wrong password (28P01), revealing nothing.
	Secret(user string) (secret pgauth.Secret, known bool)
}

// UsersFunc adapts a function to Users.
type UsersFunc func(user string) (pgauth.Secret, bool)

// Secret calls f.
func (f UsersFunc) Secret(user string) (pgauth.Secret, bool) { return f(user) }

// SingleRule is the Rules of a server without a rule list: every client
// uses Use; with RequireTLS a client on an unencrypted connection matches
// nothing (as with only hostssl lines in pg_hba.conf).
type SingleRule struct {
	Use        Method
	RequireTLS bool
}

// Method implements Rules.
func (r SingleRule) Method(c Client) (Method, bool) {
	if r.RequireTLS && !c.TLS {
		return "", false
	}
	return r.Use, true
}

// RequireTLS wraps r so that a client on an unencrypted connection matches
// nothing (28000), whatever r says: --tls-required on top of a rule list.
func RequireTLS(r Rules) Rules { return requireTLS{r} }

type requireTLS struct{ Rules }

func (r requireTLS) Method(c Client) (Method, bool) {
	if !c.TLS {
		return "", false
	}
	return r.Rules.Method(c)
}

// Config configures a Front. Zero values mean the documented defaults.
type Config struct {
	// Rules chooses each client's method (required).
	Rules Rules
	// Users holds the secrets; required unless every method is trust.
	Users Users
	// TLS, when set, answers SSLRequest 'S' and upgrades the connection;
	// nil answers 'N'. Certificates may change between handshakes
	// (tls.Config.GetCertificate; see internal/tlsfiles).
	TLS *tls.Config
	// StartupTimeout bounds startup and authentication (default 10s); a
	// client that has not finished by then is disconnected.
	StartupTimeout time.Duration
	// MaxConnections bounds the sessions (limits.go); 0 = no bound.
	MaxConnections int
	// ReservedConnections of MaxConnections are for users IsSuperuser
	// accepts (PostgreSQL's superuser_reserved_connections).
	ReservedConnections int
	// IsSuperuser reports whether user is a superuser; nil = every user is.
	IsSuperuser func(user string) bool
	// CheckStartup, when set, may refuse a startup packet before
	// authentication (an error that is sent as FATAL).
	CheckStartup func(info *Info) error
	// ShutdownMessage is the 57P03 text for a client still starting up
	// when the server drains (default DefaultShutdownMessage).
	ShutdownMessage string
	// Logger receives connection-level logs; nil discards them.
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.StartupTimeout == 0 {
		c.StartupTimeout = DefaultStartupTimeout
	}
	if c.ShutdownMessage == "" {
		c.ShutdownMessage = DefaultShutdownMessage
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate reports the first invalid field, naming it.
func (c Config) Validate() error {
	if c.Rules == nil {
		return fmt.Errorf("%w: Rules is required", ErrInvalidConfig)
	}
	if c.MaxConnections < 0 || c.ReservedConnections < 0 || (c.MaxConnections > 0 && c.ReservedConnections >= c.MaxConnections) {
		return fmt.Errorf("%w: MaxConnections %d, ReservedConnections %d (want 0 <= reserved < max)", ErrInvalidConfig, c.MaxConnections, c.ReservedConnections)
	}
	if c.StartupTimeout < 0 {
		return fmt.Errorf("%w: StartupTimeout %v is negative", ErrInvalidConfig, c.StartupTimeout)
	}
	return nil
}

// ParseMethod checks a method name from a configuration.
func ParseMethod(s string) (Method, error) {
	switch m := Method(s); m {
	case MethodSCRAM, MethodMD5, MethodPassword, MethodTrust, MethodReject:
		return m, nil
	}
	return "", fmt.Errorf("%w: authentication method %q (want scram-sha-256, md5, password, trust or reject)", ErrInvalidConfig, s)
}
