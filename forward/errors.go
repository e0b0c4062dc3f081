package forward

import (
	"errors"
	"fmt"
)

// ErrNotPrimary is what ServerConfig.Session returns (wrapped, with the
// reason) on a node that does not take writes: the call is refused with
// FailedPrecondition and the standby looks for the primary again.
var ErrNotPrimary = errors.New("forward: not the primary")

// FailureKind says how a forwarded transaction failed outside SQL.
type FailureKind int

const (
	// Unreachable: no primary could be reached within the timeout.
	Unreachable FailureKind = iota + 1
	// NotPrimary: the node reached kept saying it is not the primary.
	NotPrimary
	// Lost: the connection broke; the transaction was rolled back.
	Lost
	// CommitUnknown: the connection broke while a commit was in flight;
	// it may have committed.
	CommitUnknown
)

// Failure is a transport failure of a forwarded transaction. Txn turns it
// into the SQL error the client gets (sqlError); it is exported for tests
// and logs that look at the cause.
type Failure struct {
	Kind    FailureKind
	Primary string // the primary's native address, "" when none is known
	Err     error
}

func (f *Failure) Error() string {
	what := map[FailureKind]string{Unreachable: "cannot reach the primary", NotPrimary: "no primary found",
		Lost: "lost the connection to the primary", CommitUnknown: "lost the connection to the primary during commit"}[f.Kind]
	return fmt.Sprintf("forward: %s %s: %v", what, f.Primary, f.Err)
}

func (f *Failure) Unwrap() error { return f.Err }
