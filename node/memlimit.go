package node

import (
	"bufio"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// MinStatementMemoryLimit is the smallest automatic per-statement memory
// limit.
const MinStatementMemoryLimit = 256 << 20

// statementMemoryLimit resolves Config.StatementMemoryLimit: > 0 is
// taken as is, < 0 means unlimited (0 to the engine), 0 means automatic:
// an eighth of the memory available to the process (the cgroup limit, or
// the machine's), at least MinStatementMemoryLimit. Sorts, hash aggregates,
// DISTINCT and joins spill past work_mem long before this matters; the
// limit stops what cannot spill (huge values, subquery results).
func statementMemoryLimit(configured, available int64) int64 {
	switch {
	case configured > 0:
		return configured
	case configured < 0:
		return 0
	}
	return max(available/8, MinStatementMemoryLimit)
}

// softMemoryLimit resolves Config.MemoryLimit, the Go runtime's soft
// memory limit (runtime/debug.SetMemoryLimit): the heap size at which the
// garbage collector starts collecting harder, whatever GOGC would allow.
// > 0 is taken as is; < 0 sets none. 0 means automatic: half of the
// memory available, and at least twice the statement limit (stmtLimit, as
// resolved by statementMemoryLimit; 0 = unlimited), so that one statement
// at its ceiling plus the rest of the node stays below it; when nothing
// is known, twice MinStatementMemoryLimit. An automatic limit yields to a
// GOMEMLIMIT in the environment (envSet), which the runtime has already
// applied. apply is false when the limit in force is to be left alone.
func softMemoryLimit(configured, stmtLimit, available int64, envSet bool) (limit int64, apply bool) {
	switch {
	case configured > 0:
		return configured, true
	case configured < 0:
		return math.MaxInt64, true // the runtime's "no limit"
	case envSet:
		return 0, false
	}
	limit = max(available/2, 2*stmtLimit)
	if limit <= 0 {
		limit = 2 * MinStatementMemoryLimit
	}
	return limit, true
}

// applyMemoryLimit sets the process's soft memory limit from
// Config.MemoryLimit (softMemoryLimit) and logs the one in force.
func (n *Node) applyMemoryLimit(stmtLimit, available int64) {
	_, envSet := os.LookupEnv("GOMEMLIMIT")
	soft, apply := softMemoryLimit(n.cfg.MemoryLimit, stmtLimit, available, envSet)
	if apply {
		debug.SetMemoryLimit(soft)
	} else {
		soft = debug.SetMemoryLimit(-1) // reads it
	}
	if soft == math.MaxInt64 {
		n.log.Info("soft memory limit: none")
		return
	}
	n.log.Info("soft memory limit", "bytes", soft, "from_GOMEMLIMIT", !apply)
}

// availableMemory returns the memory this process may use: the cgroup
// (v2 or v1) limit when there is one, else MemTotal; 0 when unknown.
func availableMemory() int64 {
	total := memTotal()
	for _, p := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && n > 0 && (total == 0 || n < total) {
			return n
		}
	}
	return total
}

func memTotal() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			kb, _ := strconv.ParseInt(fields[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}
