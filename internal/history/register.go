package history

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/anishathalye/porcupine"
)

// RegOp is a register operation on Key: F "read" (V is what was read, on
// OK), "write" (V), "cas" (from From to V; Applied on OK tells whether
// it swapped).
type RegOp struct {
	Key     int
	V, From int
	Applied bool
	Absent  bool // a read that found no row
}

func (o RegOp) String() string {
	return fmt.Sprintf("k%d v%d from%d applied=%v", o.Key, o.V, o.From, o.Applied)
}

type regIn struct {
	f       string
	v, from int
}

type regOut struct {
	known   bool
	v       int
	applied bool
}

// registerModel is a single integer register, partitioned by key by the
// caller. An unknown write or CAS may take effect at any point after its
// invocation or never: it returns at infinity, so it can be linearized
// last, where it changes nothing that was observed.
var registerModel = porcupine.Model{
	Init: func() any { return 0 },
	Step: func(state, input, output any) (bool, any) {
		s, in, out := state.(int), input.(regIn), output.(regOut)
		switch in.f {
		case "read":
			return out.v == s, s
		case "write":
			return true, in.v
		case "cas":
			if !out.known {
				if s == in.from {
					return true, in.v
				}
				return true, s
			}
			if out.applied {
				return s == in.from, in.v
			}
			return s != in.from, s
		}
		return false, s
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(regIn), output.(regOut)
		return fmt.Sprintf("%s(%d,%d) -> %+v", in.f, in.from, in.v, out)
	},
}

// CheckRegister checks every key's register history for linearizability
// from initial value 0 (the workload seeds every key with 0). Reads of
// unknown outcome and failed operations are dropped. A key whose check
// times out is noted, not counted as an anomaly.
func CheckRegister(ops []Op, timeout time.Duration) Result {
	var r Result
	byKey := map[int][]porcupine.Operation{}
	for _, op := range ops {
		ro, ok := op.Value.(RegOp)
		if !ok {
			continue
		}
		if op.Status == Fail || (op.Status != OK && op.F == "read") {
			continue
		}
		if op.F == "read" && ro.Absent {
			r.Anomalies++
			r.problem("register: %v read no row for key %d (every key is seeded)", op, ro.Key)
			continue
		}
		in := regIn{f: op.F, v: ro.V, from: ro.From}
		out := regOut{known: op.Status == OK, v: ro.V, applied: ro.Applied}
		byKey[ro.Key] = append(byKey[ro.Key], porcupine.Operation{ClientId: op.Process, Input: in, Call: op.Call, Output: out, Return: op.Return, Metadata: op.ID})
	}
	keys := make([]int, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	for _, k := range keys {
		res, info := porcupine.CheckOperationsVerbose(registerModel, byKey[k], timeout)
		switch res {
		case porcupine.Ok:
		case porcupine.Illegal:
			r.Anomalies++
			r.problem("register: key %d is not linearizable (%d operations); longest linearizable prefix ends before: %s",
				k, len(byKey[k]), describeStuck(byKey[k], info))
		default:
			r.Notes = append(r.Notes, fmt.Sprintf("register: key %d: linearizability check timed out after %s (%d operations): not counted", k, timeout, len(byKey[k])))
		}
	}
	r.Notes = append(r.Notes, fmt.Sprintf("register: %d keys checked for linearizability (porcupine)", len(keys)))
	return r
}

// describeStuck names the operations right after the longest partial
// linearization porcupine found.
func describeStuck(ops []porcupine.Operation, info porcupine.LinearizationInfo) string {
	parts := info.PartialLinearizations()
	if len(parts) == 0 || len(parts[0]) == 0 {
		return "?"
	}
	longest := parts[0][0]
	for _, p := range parts[0] {
		if len(p) > len(longest) {
			longest = p
		}
	}
	done := map[int]bool{}
	for _, i := range longest {
		done[i] = true
	}
	// The first operations (by return) not linearized.
	var pending []porcupine.Operation
	for i, op := range ops {
		if !done[i] {
			pending = append(pending, op)
		}
	}
	sort.Slice(pending, func(i, j int) bool { return pending[i].Return < pending[j].Return })
	s := fmt.Sprintf("%d of %d linearized; next by return:", len(longest), len(ops))
	for _, op := range pending[:min(3, len(pending))] {
		s += " [" + describeOp(op) + "]"
	}
	if len(longest) > 0 {
		s += "; last linearized: " + describeOp(ops[longest[len(longest)-1]])
	}
	return s + describeWindow(ops, pending[0].Return)
}

// stuckWindow is how far before the first operation that could not be
// linearized describeWindow lists the key's operations, and at most how
// many it lists (the latest).
const (
	stuckWindow    = 15 * time.Second
	stuckWindowOps = 80
)

// describeWindow lists the operations of the key that overlap the
// stuckWindow before end, by call time: what a reader needs to see which
// value went back in time.
func describeWindow(ops []porcupine.Operation, end int64) string {
	from := end - int64(stuckWindow)
	var in []porcupine.Operation
	for _, op := range ops {
		if op.Call <= end && op.Return >= from {
			in = append(in, op)
		}
	}
	sort.Slice(in, func(i, j int) bool { return in[i].Call < in[j].Call })
	in = in[max(0, len(in)-stuckWindowOps):]
	s := fmt.Sprintf("\n\tthe key's operations in the %s before (by call, the last %d):", stuckWindow, stuckWindowOps)
	for _, op := range in {
		s += "\n\t\t" + describeOp(op)
	}
	return s
}

// describeOp shows an operation with its times in seconds since the
// history began (ret ∞: unknown outcome).
func describeOp(op porcupine.Operation) string {
	ret := "∞"
	if op.Return != math.MaxInt64 {
		ret = fmt.Sprintf("%.3f", float64(op.Return)/1e9)
	}
	return fmt.Sprintf("op #%v p%d %s [%.3fs, %ss]", op.Metadata, op.ClientId,
		registerModel.DescribeOperation(op.Input, op.Output), float64(op.Call)/1e9, ret)
}
