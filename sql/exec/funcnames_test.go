package exec_test

import (
	"slices"
	"testing"

	"github.com/heliosdb/nano/sql/exec"
	"github.com/heliosdb/nano/sql/pgcatalog"
)

// TestProcTableCoversFunctions fails when a function is added to the
// engine without regenerating sql/pgcatalog/proc_gen.go (go generate
// ./sql/pgcatalog with HELIOSDB_PG_DSN naming a PostgreSQL 15 server):
// pg_proc would not list it.
func TestProcTableCoversFunctions(t *testing.T) {
	listed, absent := pgcatalog.ProcNames()
	for _, n := range exec.BuiltinFunctionNames() {
		if !slices.Contains(listed, n) && !slices.Contains(absent, n) {
			t.Errorf("function %s is in neither pg_proc's generated rows nor procAbsent: run go generate ./sql/pgcatalog", n)
		}
	}
	for _, n := range listed {
		if !exec.BuiltinFunction(n) && !slices.Contains([]string{"pg_is_in_recovery", "pg_current_wal_lsn", "pg_last_wal_receive_lsn", "pg_last_wal_replay_lsn"}, n) {
			t.Errorf("pg_proc's generated rows list %s, which the engine does not implement: run go generate ./sql/pgcatalog", n)
		}
	}
}
