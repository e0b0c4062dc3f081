package exec

import (
	"slices"
	"strconv"
	"strings"

	"github.com/heliosdb/nano/sql/lock"
	"github.com/heliosdb/nano/sql/types"
)

// Advisory locks: pg_advisory_lock and friends, on the lock manager with
// the session as owner (session scope) or until the transaction ends
// (the _xact_ forms). Keys are one bigint or two int4 (PostgreSQL keeps
// the two forms apart).

func advisoryKeyOf(a []Datum) string {
	if len(a) == 2 {
		return advisoryKey(int64(uint64(uint32(i64(a[0])))<<32|uint64(uint32(i64(a[1])))), true)
	}
	return advisoryKey(i64(a[0]), false)
}

func advisoryLockFn(mode lock.Mode, scope lock.Scope, try bool) scalarFn {
	return func(en *env, a []Datum) (Datum, error) {
		policy := lock.Wait
		if try {
			policy = lock.SkipLocked
		}
		ok, err := en.acquireLock(advisoryKeyOf(a), mode, scope, policy, lockWhat{kind: "advisory lock"}, false)
		if err != nil {
			return nil, err
		}
		if try {
			return ok, nil
		}
		return "", nil
	}
}

func advisoryUnlockFn(mode lock.Mode) scalarFn {
	return func(en *env, a []Datum) (Datum, error) {
		return en.txn.eng.locks.Unlock(en.txn.owner, advisoryKeyOf(a), mode), nil
	}
}

func init() {
	keyHints := []types.T{types.Int8}
	add := func(name string, res types.T, fn scalarFn) {
		funcTable[name] = funcDef{result: fixed(res), hints: keyHints, strict: true, minArg: 1, maxArg: 2, fn: fn}
		noFold[name] = true
	}
	for _, v := range []struct {
		suffix string
		mode   lock.Mode
	}{{"", lock.Exclusive}, {"_shared", lock.Shared}} {
		add("pg_advisory_lock"+v.suffix, types.Void, advisoryLockFn(v.mode, lock.Session, false))
		add("pg_try_advisory_lock"+v.suffix, types.Bool, advisoryLockFn(v.mode, lock.Session, true))
		add("pg_advisory_xact_lock"+v.suffix, types.Void, advisoryLockFn(v.mode, lock.Xact, false))
		add("pg_try_advisory_xact_lock"+v.suffix, types.Bool, advisoryLockFn(v.mode, lock.Xact, true))
		add("pg_advisory_unlock"+v.suffix, types.Bool, advisoryUnlockFn(v.mode))
	}
	funcTable["pg_advisory_unlock_all"] = funcDef{result: fixed(types.Void), minArg: 0, maxArg: 0,
		fn: func(en *env, _ []Datum) (Datum, error) {
			en.txn.eng.locks.UnlockAllSession(en.txn.owner)
			return "", nil
		}}
	noFold["pg_advisory_unlock_all"] = true
	// pg_blocking_pids(pid): the sessions pid waits for, as the text of an
	// int4[] ("{123,456}"; we have no array type yet).
	funcTable["pg_blocking_pids"] = funcDef{result: fixed(types.Text), hints: []types.T{types.Int4}, strict: true, minArg: 1, maxArg: 1,
		fn: func(en *env, a []Datum) (Datum, error) {
			pids := en.txn.eng.locks.BlockingPIDsOfPID(uint32(i64(a[0])))
			parts := make([]string, len(pids))
			for i, p := range pids {
				parts[i] = strconv.FormatUint(uint64(p), 10)
			}
			return "{" + strings.Join(parts, ",") + "}", nil
		}}
	noFold["pg_blocking_pids"] = true
	// pg_safe_snapshot_blocking_pids(pid): the sessions whose SERIALIZABLE
	// transactions a READ ONLY DEFERRABLE one waits to see end.
	funcTable["pg_safe_snapshot_blocking_pids"] = funcDef{result: fixed(types.Text), hints: []types.T{types.Int4}, strict: true, minArg: 1, maxArg: 1,
		fn: func(en *env, a []Datum) (Datum, error) {
			pids := en.txn.eng.SafeSnapshotBlockers(uint32(i64(a[0])))
			slices.Sort(pids)
			parts := make([]string, len(pids))
			for i, p := range pids {
				parts[i] = strconv.FormatUint(uint64(p), 10)
			}
			return "{" + strings.Join(parts, ",") + "}", nil
		}}
	noFold["pg_safe_snapshot_blocking_pids"] = true
}
