package session

import (
	"fmt"
	"testing"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

func TestProbe(t *testing.T) {
	for _, s := range []string{
		"BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY", "START TRANSACTION READ WRITE", "COMMIT", "END", "ABORT", "ROLLBACK",
		"SET x = 1", "SET LOCAL TimeZone TO 'UTC'", "SET TIME ZONE 'Europe/Paris'", "SET search_path = a, \"b\"", "RESET ALL", "RESET x", "SET x TO DEFAULT",
		"SHOW ALL", "SHOW TOPOLOGY", "SHOW transaction isolation level", "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY",
		"SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY", "SET NAMES 'UTF8'", "SET statement_timeout = '1s'", "SET x = on", "SET x = -1.5",
		"PREPARE p (int, text) AS SELECT $1", "EXECUTE p(1, 'a')", "DEALLOCATE ALL", "DEALLOCATE PREPARE p", "DISCARD ALL", "SET SESSION AUTHORIZATION DEFAULT",
		"select 1; -- hi", "/* c */ ;", "SET TIME ZONE LOCAL", "SET TIME ZONE INTERVAL '+00:00' HOUR TO MINUTE", "set timezone = 5",
	} {
		r, err := pg_query.Parse(s)
		if err != nil {
			fmt.Println(s, "ERR", err)
			continue
		}
		for _, st := range r.Stmts {
			fmt.Printf("%s => loc=%d len=%d %v\n", s, st.StmtLocation, st.StmtLen, st.Stmt)
		}
		if len(r.Stmts) == 0 {
			fmt.Println(s, "=> none")
		}
	}
}
