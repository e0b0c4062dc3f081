package lock

import (
	"errors"
	"fmt"
	"strings"
)

// ErrWouldBlock is returned by Acquire with NoWait when the lock is taken.
var ErrWouldBlock = errors.New("lock: not available without waiting")

// Edge is one wait in a deadlock cycle: the owner with process id Waiter
// waits for Key in Mode, held (or queued for first) by Blocker, whose
// current transaction is BlockerXID.
type Edge struct {
	Waiter, Blocker       uint32
	BlockerXID            uint64
	Key                   string
	Mode                  Mode
	WaiterOwn, BlockerOwn OwnerID
}

// DeadlockError is returned to the victim of a deadlock: the cycle it
// closed, starting with its own wait.
type DeadlockError struct{ Cycle []Edge }

func (e *DeadlockError) Error() string {
	var b strings.Builder
	b.WriteString("lock: deadlock detected:")
	for _, ed := range e.Cycle {
		fmt.Fprintf(&b, " %d waits for %d;", ed.Waiter, ed.Blocker)
	}
	return b.String()
}
