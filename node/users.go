package node

import (
	"time"

	"github.com/heliosdb/nano/internal/pgauth"
	"github.com/heliosdb/nano/pgwire/pgfront"
	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/pgerror"
)

// The user store: the roles of the SQL catalog (CREATE ROLE ... PASSWORD,
// replicated through the WAL like any DDL), plus the configured user
// (--user/--password), a superuser whose password comes from the
// configuration on every node. The PostgreSQL port (pgfront.Users) and
// HTTP Basic both authenticate against it.

// login is what authentication needs to know of a role.
type login struct {
	secret     pgauth.Secret
	hasSecret  bool // a password is set
	canLogin   bool
	superuser  bool
	validUntil *time.Time
}

// lookupLogin finds user in the store.
func (n *Node) lookupLogin(user string) (login, bool) {
	if user == n.cfg.User {
		return login{secret: pgauth.PlainSecret(n.cfg.Password), hasSecret: true, canLogin: true, superuser: true}, true
	}
	cat, err := n.engine.Catalog()
	if err != nil {
		n.log.Warn("authentication: cannot read the roles", "err", err)
		return login{}, false
	}
	return roleLogin(n, cat.Roles[user])
}

func roleLogin(n *Node, r *catalog.Role) (login, bool) {
	if r == nil {
		return login{}, false
	}
	l := login{canLogin: r.CanLogin, superuser: r.Superuser, validUntil: r.ValidUntil}
	if r.Password != "" {
		sec, err := pgauth.ParseSecret(r.Password)
		if err != nil || sec.Kind() == pgauth.SecretPlain {
			n.log.Warn("authentication: role has an unreadable password", "role", r.Name, "err", err)
			return l, true
		}
		l.secret, l.hasSecret = sec, true
	}
	return l, true
}

// usable reports whether l has a password that may be checked now: set
// and not expired (PostgreSQL: "User has no password assigned" / "has an
// expired password", both failing like a wrong password).
func (l login) usable(now time.Time) bool {
	return l.hasSecret && (l.validUntil == nil || now.Before(*l.validUntil))
}

// nodeUsers implements pgfront.Users over the store. A role without a
// usable password is unknown to the password exchange; LOGIN is checked
// after authentication (sessionFactory), as PostgreSQL does.
type nodeUsers struct{ n *Node }

// Secret implements pgfront.Users.
func (u nodeUsers) Secret(user string) (pgauth.Secret, bool) {
	l, ok := u.n.lookupLogin(user)
	if !ok || !l.usable(u.n.cfg.now()) {
		return pgauth.Secret{}, false
	}
	return l.secret, true
}

var _ pgfront.Users = nodeUsers{}

// checkLogin refuses a session for an authenticated user that may not log
// in: 28000 as PostgreSQL (an unknown role under trust, NOLOGIN).
func (n *Node) checkLogin(user string) error {
	l, ok := n.lookupLogin(user)
	switch {
	case !ok:
		return pgerror.Newf(pgerror.InvalidAuthorization, "role %q does not exist", user)
	case !l.canLogin:
		return pgerror.Newf(pgerror.InvalidAuthorization, "role %q is not permitted to log in", user)
	}
	return nil
}

func (n *Node) isSuperuser(user string) bool {
	l, ok := n.lookupLogin(user)
	return ok && l.superuser
}

// checkPassword checks HTTP Basic credentials against the same store as
// the PostgreSQL port: the role must exist, have LOGIN and an unexpired
// password that matches, in time independent of whether the user exists.
func (n *Node) checkPassword(user, password string) bool {
	l, known := n.lookupLogin(user)
	known = known && l.usable(n.cfg.now())
	return n.scram.CheckPassword(user, l.secret, known, password) && l.canLogin
}
