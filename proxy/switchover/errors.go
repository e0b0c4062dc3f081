package switchover

import "errors"

var (
	// ErrUnknownNode: the target is not a configured node.
	ErrUnknownNode = errors.New("switchover: unknown node")
	// ErrBusy: another switchover is running.
	ErrBusy = errors.New("switchover: another switchover is running")
	// ErrRejected: the switchover stopped before the old primary was
	// demoted (a check failed, or open transactions did not finish in
	// time). Nothing was changed: the primary is still the primary and
	// held writes run on it.
	ErrRejected = errors.New("switchover: rejected")
	// ErrFailed: a step after the demotion failed. The error says what
	// state the cluster was left in (rolled back to the old primary, or
	// needing an operator).
	ErrFailed = errors.New("switchover: failed")
	// ErrNodeAPI: a node's HTTP API refused a request or answered
	// something unexpected.
	ErrNodeAPI = errors.New("switchover: node API")
)
