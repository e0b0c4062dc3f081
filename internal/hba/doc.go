// Package hba is the client authentication rule list, as PostgreSQL's
// pg_hba.conf: an ordered list of rules, each naming a connection type
// (local, host, hostssl, hostnossl), databases, users, a client address
// (CIDR) and a method (trust, reject, scram-sha-256, md5, password). The
// first rule that matches a connection decides its method; a connection no
// rule matches is refused (28000 "no pg_hba.conf entry for host ...").
//
// The file format is pg_hba.conf's: one rule per line, fields separated by
// blanks, "#" starts a comment, lists are comma-separated; "all",
// "sameuser", "samerole" for databases; "all" and "+role" (members of
// role) for users; an address as CIDR, a bare IP (one host) or "all".
// Options after the method (name=value) are not supported.
//
// Decide is a pure function over the rules and a connection's facts; it
// knows nothing of sockets or of the user store (role membership comes in
// as a function). This package imports nothing of the module: the node
// (and the proxy) adapt it to pgwire/pgfront.Rules.
package hba
