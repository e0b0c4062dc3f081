// Package backend is the proxy's client side towards one database node: a
// Conn is a logged-in PostgreSQL protocol connection (startup, SCRAM/md5/
// cleartext authentication, ParameterStatus, BackendKeyData, first
// ReadyForQuery). After Dial the proxy owns the byte stream: it writes raw
// frames with Send and reads them with Next, and uses SimpleQuery only for
// its own statements (health probes, replaying SET).
//
// Probe logs in and reads helios_replication_status: it is the health
// checker's protocol-level probe.
//
// A Conn is used by one goroutine at a time; Cancel may be called from any
// goroutine since it opens its own connection. Alive is a non-blocking
// check, done before reusing an idle connection, that the node has not
// closed it or sent it a FATAL error (as a node does when it shuts down).
package backend
