package node

import (
	"net"
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
