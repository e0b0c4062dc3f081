package node

import (
	"bufio"
	"os"
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
