package proxy

import "github.com/heliosdb/nano/internal/pgauth"

// clientAuth verifies client passwords against the configured users with
// internal/pgauth (the nodes use the same code): SCRAM verifiers are
// derived once per user and cached, and an unknown user runs the whole
// exchange and fails like a wrong password, revealing nothing.
type clientAuth struct {
	method string
	users  map[string]string
	scram  *pgauth.SCRAM
}

func newClientAuth(method string, users map[string]string) *clientAuth {
	return &clientAuth{method: method, users: users, scram: pgauth.NewSCRAM()}
}

// password returns the password of user and whether user is known.
func (a *clientAuth) password(user string) (string, bool) {
	p, ok := a.users[user]
	return p, ok
}
