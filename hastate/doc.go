// Package hastate names the states a member of a HeliosDB Nano cluster
// reports: its Role (primary or standby), a primary's SyncState
// (synchronous replication's state) and each standby's StandbyState (its
// stream, as the primary sees it).
//
// It is a leaf shared by the node, its HTTP API types, replication and
// heliosdb-proxy, so that these states are typed values instead of
// strings spelled in several places. Each type's underlying string is its
// wire form (JSON of GET /status and the lease API, helios_* views,
// metrics labels): changing one is a protocol change.
package hastate
