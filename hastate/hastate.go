package hastate

import "fmt"

// Role is what a node is in its cluster.
type Role string

// The roles.
const (
	Primary Role = "primary" // accepts writes, streams its WAL to standbys
	Standby Role = "standby" // follows a primary, serves reads
)

// ParseRole parses a role's wire form.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case Primary, Standby:
		return r, nil
	}
	return "", fmt.Errorf("hastate: %q is not one of primary, standby", s)
}

// Valid reports whether r is one of the roles.
func (r Role) Valid() bool { return r == Primary || r == Standby }

func (r Role) String() string { return string(r) }

// SyncState is the state of a primary's synchronous replication.
type SyncState string

// The sync states.
const (
	// Async: asynchronous replication (no commit waits for a standby).
	Async SyncState = "async"
	// Sync: a sync standby is connected and caught up; commits wait for
	// its flush.
	Sync SyncState = "sync"
	// Waiting: sync mode with no sync standby caught up yet; commits wait
	// (up to sync-timeout).
	Waiting SyncState = "waiting"
	// Degraded: sync mode running as async after sync-timeout, until a
	// sync standby catches up again.
	Degraded SyncState = "degraded"
)

func (s SyncState) String() string { return string(s) }

// StandbyState is the state of a standby's stream, as its primary sees it
// (or the standby itself, for Connecting).
type StandbyState string

// The standby states.
const (
	Connecting   StandbyState = "connecting"   // not streaming yet
	CatchingUp   StandbyState = "catching_up"  // streaming, behind the primary's flushed WAL
	Streaming    StandbyState = "streaming"    // caught up once, receiving live
	Disconnected StandbyState = "disconnected" // its stream ended
)

func (s StandbyState) String() string { return string(s) }

// Connected reports whether the standby has a stream (catching up or
// streaming).
func (s StandbyState) Connected() bool { return s == CatchingUp || s == Streaming }
