// Package lsn defines the log sequence number shared by the WAL, storage,
// replication and the proxy.
//
// An LSN is a byte position in the logical WAL stream: it grows
// monotonically across segment files, so the lag between two nodes in bytes
// is simply the difference of their LSNs. LSN 0 means "nothing written".
// LSNs are shown to users in PostgreSQL's "X/Y" form (high and low 32 bits in
// upper-case hex), as pg_current_wal_lsn() does.
package lsn
