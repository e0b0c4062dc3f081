package node

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"

	"github.com/heliosdb/nano/internal/hba"
	"github.com/heliosdb/nano/pgwire/pgfront"
)

// hbaRules reads --hba-file; nil (every client uses --auth-method, and
// --tls-required) when none is set.
func (n *Node) hbaRules() (pgfront.Rules, error) {
	if n.cfg.HBAFile == "" {
		return nil, nil
	}
	f, err := os.Open(n.cfg.HBAFile)
	if err != nil {
		return nil, &ConfigError{Key: "hba-file", Reason: err.Error()}
	}
	defer f.Close()
	rules, err := hba.Parse(f)
	if err != nil {
		return nil, &ConfigError{Key: "hba-file", Reason: err.Error()}
	}
	n.log.Info("client authentication rules loaded", "hba_file", n.cfg.HBAFile, "rules", len(rules))
	return hbaAdapter{n: n, rules: rules}, nil
}

// hbaAdapter makes hba rules a pgfront.Rules: role membership ("+role",
// samerole) comes from the catalog.
type hbaAdapter struct {
	n     *Node
	rules []hba.Rule
}

// Method implements pgfront.Rules.
func (a hbaAdapter) Method(c pgfront.Client) (pgfront.Method, bool) {
	conn := hba.Conn{TLS: c.TLS, User: c.User, Database: c.Database, MemberOf: a.memberOf(c.User)}
	switch addr := c.Addr.(type) {
	case *net.TCPAddr:
		conn.Addr, _ = netip.AddrFromSlice(addr.IP)
	case *net.UnixAddr:
		conn.Local = true
	default:
		if ap, err := netip.ParseAddrPort(c.Addr.String()); err == nil {
			conn.Addr = ap.Addr()
		}
	}
	d := hba.Decide(a.rules, conn)
	return pgfront.Method(d.Method), d.Matched
}

// memberOf answers "is user a member of role" from the committed catalog
// (the configured user is stored nowhere and a member of none; PostgreSQL
// does not count superuser status for "+role" either).
func (a hbaAdapter) memberOf(user string) func(role string) bool {
	return func(role string) bool {
		if user == a.n.cfg.User {
			return false
		}
		cat, err := a.n.engine.Catalog()
		if err != nil {
			return false
		}
		u, r := cat.Roles[user], cat.Roles[role]
		return u != nil && r != nil && cat.IsMemberOf(u.OID, r.OID)
	}
}

// httpDatabase is the database an HTTP API request is matched as: /query
// runs its statements there.
const httpDatabase = "heliosdb"

// admitHTTP applies the rules to an HTTP API request with Basic
// credentials for user (httpauth.Config.Admit): the client's address, TLS
// for HTTPS, database httpDatabase. A request no rule matches, or that a
// reject rule matches, is refused with PostgreSQL's 28000 texts; any other
// method (trust included) still needs the password.
func (a hbaAdapter) admitHTTP(user string, r *http.Request) (string, bool) {
	c := pgfront.Client{User: user, Database: httpDatabase, TLS: r.TLS != nil, Addr: &net.TCPAddr{}}
	host := r.RemoteAddr
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		c.Addr, host = net.TCPAddrFromAddrPort(ap), ap.Addr().Unmap().String()
	}
	enc := "no encryption"
	if c.TLS {
		enc = "SSL encryption"
	}
	m, matched := a.Method(c)
	switch {
	case !matched:
		return fmt.Sprintf("no pg_hba.conf entry for host %q, user %q, database %q, %s", host, user, httpDatabase, enc), false
	case m == pgfront.MethodReject:
		return fmt.Sprintf("pg_hba.conf rejects connection for host %q, user %q, database %q, %s", host, user, httpDatabase, enc), false
	}
	return "", true
}
