// Package httpauth guards the HTTP APIs of the node and the proxy.
//
// Every request to a guarded handler must carry either HTTP Basic
// credentials, checked by a callback against the same user store as the
// PostgreSQL port (SCRAM), or the admin token as "Authorization: Bearer
// <token>". Anything else is answered 401 with a WWW-Authenticate header and
// never reaches the handler. A Config with None set lets every request
// through (the --admin-auth none escape hatch for labs); the caller logs a
// warning at start.
//
// Config.Admit, when set, is asked first for requests with Basic
// credentials (the node applies its --hba-file there): a refusal is 403
// before any password is checked, as PostgreSQL refuses by pg_hba.conf
// before authentication.
//
// Guarded handlers find who called them with CallerFrom; every admin action
// is logged with it (user and remote address). Failed attempts are logged at
// most once per second per Authenticator, so a password-guessing client
// cannot flood the log.
//
// The client side is Credentials.Apply, which sets the header on an outgoing
// request (the proxy's calls to the nodes, the heliosdb-nano CLI). The
// package imports only the standard library.
package httpauth
