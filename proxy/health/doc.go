// Package health keeps the proxy's view of its nodes: whether each is
// healthy, enabled, what role and term it reports, its applied LSN and
// replication lag. The view is what proxy/route decides from and what the
// admin API shows.
//
// # Probing
//
// A Checker probes every node every Config.Interval with a protocol-level
// probe (login + helios_node, see backend.Probe), one
// goroutine per node, each probe bounded by Config.Timeout. A node is
// healthy after one successful probe and unhealthy after Config.Threshold
// consecutive failures; ReportFailure (a failed connect on the data path)
// makes it unhealthy at once. A node starts unhealthy with role unknown
// until its first probe answers. Role is what the node says, never the
// configured role.
//
// # Identity
//
// Each probe also returns the node's node_id and the HTTP and native
// addresses it advertises. Status.HTTPAddress is the configured host with
// the advertised port (Spec.HTTPPort overrides it); Status.NativeAddress
// the advertised address (a wildcard host replaced by the configured one;
// Spec.NativePort overrides the port). Both are kept from the last probe
// that answered. Two configured nodes with the same node_id, HTTP address
// or native address are one node configured twice: each gets a Conflict
// (a configuration error, logged at error once), and they are never
// merged.
//
// Refresh probes every node at once and returns when a round that started
// after the call is done (the proxy calls it after a switchover and when a
// node it believed primary refuses a write). Probe results are applied in
// the order the probes started: a slow probe never overwrites a newer one.
//
// Every change of health, role or term is logged at info with the node
// name; probe failures that do not change health are logged at debug.
//
// # Concurrency
//
// All methods are safe for concurrent use. Start launches the probe
// goroutines; Close stops them and waits. View and Statuses return copies.
package health
