package httpauth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Config says how requests are authenticated. The zero value refuses
// every request.
type Config struct {
	// Check reports whether user and password are valid. nil accepts no
	// Basic credentials.
	Check func(user, password string) bool
	// Token is the admin token accepted as "Authorization: Bearer <token>";
	// "" accepts none.
	Token string
	// None lets every request through unauthenticated (--admin-auth none).
	None bool
	// Admit, when set, decides before any password is checked whether a
	// request with HTTP Basic credentials for user may proceed (the
	// node's client authentication rules, by address and TLS); a refusal
	// is answered 403 with reason, as PostgreSQL answers 28000 before
	// asking for a password. Requests with the admin token skip it.
	Admit func(user string, r *http.Request) (reason string, ok bool)
	// Realm is named in WWW-Authenticate; default "heliosdb".
	Realm  string
	Logger *slog.Logger // nil = discard
}

// Method is how a caller was authenticated.
type Method int

// The authentication methods.
const (
	MethodNone Method = iota // --admin-auth none: nobody was checked
	MethodBasic
	MethodToken
)

func (m Method) String() string {
	switch m {
	case MethodBasic:
		return "basic"
	case MethodToken:
		return "token"
	}
	return "none"
}

// Caller is who made an authenticated request.
type Caller struct {
	User   string // the Basic user; "admin-token" for the token; "" with MethodNone
	Method Method
	Remote string // the client's address
}

// TokenUser is Caller.User for a request authenticated by the admin token.
const TokenUser = "admin-token"

// Decide authenticates a request from its Authorization header value. It
// is pure apart from calling cfg.Check.
func Decide(cfg Config, authorization string) (Caller, bool) {
	if cfg.None {
		return Caller{Method: MethodNone}, true
	}
	scheme, value, _ := strings.Cut(strings.TrimSpace(authorization), " ")
	value = strings.TrimSpace(value)
	switch strings.ToLower(scheme) {
	case "bearer":
		if cfg.Token != "" && equal(value, cfg.Token) {
			return Caller{User: TokenUser, Method: MethodToken}, true
		}
	case "basic":
		r := http.Request{Header: http.Header{"Authorization": {authorization}}}
		user, password, ok := r.BasicAuth()
		if ok && cfg.Check != nil && cfg.Check(user, password) {
			return Caller{User: user, Method: MethodBasic}, true
		}
	}
	return Caller{}, false
}

// equal compares two secrets in time independent of their contents and
// lengths.
func equal(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}

// Equal compares two secrets in constant time (for Config.Check
// implementations).
func Equal(a, b string) bool { return equal(a, b) }

// Authenticator wraps handlers with Config's check.
type Authenticator struct {
	cfg     Config
	log     *slog.Logger
	mu      sync.Mutex
	lastLog time.Time
}

// New returns an Authenticator for cfg.
func New(cfg Config) *Authenticator {
	if cfg.Realm == "" {
		cfg.Realm = "heliosdb"
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Authenticator{cfg: cfg, log: log}
}

type callerKey struct{}

// CallerFrom returns the caller of an authenticated request.
func CallerFrom(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(Caller)
	return c, ok
}

// Require returns h guarded: unauthenticated requests get 401.
func (a *Authenticator) Require(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.cfg.Admit != nil && !a.cfg.None {
			if user, _, basic := r.BasicAuth(); basic {
				if reason, ok := a.cfg.Admit(user, r); !ok {
					a.log.Warn("http: request refused by the client authentication rules", "user", user, "remote", r.RemoteAddr,
						"method", r.Method, "path", r.URL.Path, "reason", reason)
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusForbidden)
					_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": "28000", "message": reason}})
					return
				}
			}
		}
		c, ok := Decide(a.cfg, r.Header.Get("Authorization"))
		if !ok {
			a.refused(r)
			w.Header().Set("WWW-Authenticate", `Basic realm="`+a.cfg.Realm+`", charset="UTF-8"`)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": "28000",
				"message": "authentication required: HTTP Basic with the database's user and password, or Authorization: Bearer <admin token>"}})
			return
		}
		c.Remote = r.RemoteAddr
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, c)))
	})
}

// RequireFunc is Require for a handler function.
func (a *Authenticator) RequireFunc(h http.HandlerFunc) http.Handler { return a.Require(h) }

func (a *Authenticator) refused(r *http.Request) {
	a.mu.Lock()
	now := time.Now()
	quiet := now.Sub(a.lastLog) < time.Second
	if !quiet {
		a.lastLog = now
	}
	a.mu.Unlock()
	if !quiet {
		a.log.Warn("http: request refused: no valid credentials", "remote", r.RemoteAddr, "method", r.Method, "path", r.URL.Path)
	}
}

// LogAction logs an admin action at info level with its caller.
func LogAction(log *slog.Logger, r *http.Request, action string, args ...any) {
	LogActionAt(log, slog.LevelInfo, r, action, args...)
}

// LogActionAt logs an admin action at level with its caller (routine,
// frequent actions such as lease renewals log at debug).
func LogActionAt(log *slog.Logger, level slog.Level, r *http.Request, action string, args ...any) {
	c, _ := CallerFrom(r.Context())
	log.Log(r.Context(), level, "admin: "+action, append([]any{"user", c.User, "auth", c.Method.String(), "remote", r.RemoteAddr}, args...)...)
}

// Credentials are what a client presents: the token when set, else Basic
// User/Password when User is set, else nothing.
type Credentials struct {
	User     string
	Password string
	Token    string
}

// Apply sets req's Authorization header from c.
func (c Credentials) Apply(req *http.Request) {
	switch {
	case c.Token != "":
		req.Header.Set("Authorization", "Bearer "+c.Token)
	case c.User != "":
		req.SetBasicAuth(c.User, c.Password)
	}
}
