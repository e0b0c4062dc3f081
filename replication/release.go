package replication

// When may a commit waiting for a sync standby be acknowledged? Only when
//
//   - a connected sync standby has flushed it (it survives the promotion of
//     that standby), or
//   - the primary degraded to async by a rule the node's standing allows:
//     on --sync-timeout when no failover lease is in force, or — under a
//     lease — once the lease holder has seen the degradation and while the
//     lease has not lapsed (the holder then never promotes a standby that
//     may lack it).
//
// A node that is no longer an unfenced primary (being demoted, demoted,
// fenced) releases nothing by degrading: its waiting commits fail when
// their sync-timeout passes, or when it steps down. decide is that rule,
// free of locks and clocks, so that it can be checked row by row.

// DegradePolicy says whether a degradation to async may release the
// commits waiting for a sync standby.
type DegradePolicy uint8

const (
	// DegradeNever: the node is not an unfenced primary (a demotion has
	// begun, it is a standby, or it is fenced). Only a sync standby's
	// flush releases a commit; one that waits SyncTimeout fails with
	// ErrSteppedDown.
	DegradeNever DegradePolicy = iota
	// DegradeOnTimeout: a primary without a failover lease. A commit that
	// waits SyncTimeout degrades the primary to async and is released.
	DegradeOnTimeout
	// DegradeApproved: a primary under a failover lease. A degradation
	// releases commits only once the lease holder has seen it, and never
	// while the lease has lapsed (they fail with ErrLeaseLapsed).
	DegradeApproved
)

func (p DegradePolicy) String() string {
	switch p {
	case DegradeNever:
		return "never"
	case DegradeOnTimeout:
		return "on-timeout"
	case DegradeApproved:
		return "approved"
	}
	return "unknown"
}

// Standing is what the node says, at the moment a waiting commit is
// decided, about its right to acknowledge commits without a sync standby
// (ServerConfig.Standing).
type Standing struct {
	Policy DegradePolicy
	// LeaseLapsed: under DegradeApproved, the failover lease has lapsed by
	// the node's clock (not by a timer, whose firing order after a pause
	// is arbitrary): its holder may promote a standby.
	LeaseLapsed bool
}

// waitFacts is everything a waiting commit's outcome depends on.
type waitFacts struct {
	closed      bool // the server is closing (shutdown)
	steppedDown bool // a step-down happened since the commit began waiting
	syncFlushed bool // a connected sync standby has flushed the commit
	timedOut    bool // the commit has waited SyncTimeout (never in strict mode)
	degraded    bool // the primary is degraded to async
	approved    bool // the lease holder has seen the current degradation
	standing    Standing
}

// verdict is what a waiting commit does next.
type verdict uint8

const (
	keepWaiting     verdict = iota
	acknowledge             // return success
	degradeFirst            // degrade the primary, then decide again
	failClosed              // ErrClosed
	failSteppedDown         // ErrSteppedDown
	failLeaseLapsed         // ErrLeaseLapsed
)

func (v verdict) String() string {
	return [...]string{"wait", "acknowledge", "degrade", "fail-closed", "fail-stepped-down", "fail-lease-lapsed"}[v]
}

// decide is the release rule for one waiting commit.
func decide(f waitFacts) verdict {
	switch {
	case f.closed:
		return failClosed
	case f.steppedDown:
		return failSteppedDown
	case f.syncFlushed:
		return acknowledge
	}
	switch f.standing.Policy {
	case DegradeOnTimeout:
		switch {
		case f.degraded:
			return acknowledge
		case f.timedOut:
			return degradeFirst
		}
	case DegradeApproved:
		switch {
		case f.degraded && f.standing.LeaseLapsed:
			return failLeaseLapsed
		case f.degraded && f.approved:
			return acknowledge
		case !f.degraded && f.timedOut:
			return degradeFirst
		}
	default: // DegradeNever, or anything unknown
		if f.timedOut {
			return failSteppedDown
		}
	}
	return keepWaiting
}
