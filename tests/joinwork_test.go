package tests

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heliosdb/nano/internal/pgdiff"
)

// joinWorkload is a generated set of multi-table queries in the shape of
// sqllogictest's select5 (issue 11): 4–7 of eight tables of 10–1,000 rows,
// a chain of column equalities (sometimes missing: a cross product of two
// small tables), and constant predicates (=, IN, BETWEEN, <) on the tables,
// some written as JOIN … ON.
type joinWorkload struct {
	setup   []string
	queries []string
}

// joinTables: name suffix, rows, key (pk = PRIMARY KEY on a, ix = index on
// b, "" = neither).
var joinTables = []struct {
	n, rows int
	key     string
}{{1, 10, "pk"}, {2, 1000, ""}, {3, 50, "ix"}, {4, 300, "pk"}, {5, 10, ""}, {6, 1000, "ix"}, {7, 100, "pk"}, {8, 20, ""}}

func genJoinWorkload(seed int64, nq int) joinWorkload {
	rng := rand.New(rand.NewSource(seed))
	var w joinWorkload
	for _, t := range joinTables {
		pk := ""
		if t.key == "pk" {
			pk = " PRIMARY KEY"
		}
		w.setup = append(w.setup, fmt.Sprintf("CREATE TABLE t%d(a%d INTEGER%s, b%d INTEGER, c%d INTEGER, d%d INTEGER, e%d INTEGER, x%d VARCHAR(40))",
			t.n, t.n, pk, t.n, t.n, t.n, t.n, t.n))
		if t.key == "ix" {
			w.setup = append(w.setup, fmt.Sprintf("CREATE INDEX t%d_b ON t%d(b%d)", t.n, t.n, t.n))
		}
		var vals []string
		for i := 1; i <= t.rows; i++ {
			a := rng.Intn(100) + 1
			if t.key == "pk" {
				a = i
			}
			vals = append(vals, fmt.Sprintf("(%d,%d,%d,%d,%d,'row %d of t%d')", a, rng.Intn(100)+1, rng.Intn(100)+1, rng.Intn(100)+1, rng.Intn(100)+1, i, t.n))
			if len(vals) == 200 || i == t.rows {
				w.setup = append(w.setup, fmt.Sprintf("INSERT INTO t%d VALUES %s", t.n, strings.Join(vals, ",")))
				vals = nil
			}
		}
	}
	cols := "abcde"
	for q := 0; q < nq; q++ {
		k := 4 + rng.Intn(4)
		perm := rng.Perm(len(joinTables))[:k]
		var names, conds, sel []string
		useJoin := rng.Intn(3) == 0
		from := ""
		for i, ti := range perm {
			t := joinTables[ti]
			names = append(names, fmt.Sprintf("t%d", t.n))
			sel = append(sel, fmt.Sprintf("x%d", t.n))
			var jc string
			if i > 0 {
				o := joinTables[perm[rng.Intn(i)]]
				small := t.rows <= 20 && o.rows <= 20
				if !small || rng.Intn(4) > 0 {
					jc = fmt.Sprintf("%c%d=%c%d", cols[rng.Intn(5)], t.n, cols[rng.Intn(5)], o.n)
				}
			}
			switch {
			case i == 0:
				from = names[0]
			case useJoin && jc != "":
				from += fmt.Sprintf(" JOIN t%d ON %s", t.n, jc)
			default:
				from += fmt.Sprintf(", t%d", t.n)
				if jc != "" {
					conds = append(conds, jc)
				}
			}
			if t.rows > 20 || rng.Intn(2) == 0 {
				c := fmt.Sprintf("%c%d", cols[rng.Intn(5)], t.n)
				v := rng.Intn(100) + 1
				switch rng.Intn(5) {
				case 0:
					conds = append(conds, fmt.Sprintf("%s=%d", c, v))
				case 1:
					conds = append(conds, fmt.Sprintf("%d=%s", v, c))
				case 2:
					conds = append(conds, fmt.Sprintf("%s IN (%d,%d,%d)", c, v, rng.Intn(100)+1, rng.Intn(100)+1))
				case 3:
					conds = append(conds, fmt.Sprintf("%s BETWEEN %d AND %d", c, v, v+5))
				default:
					conds = append(conds, fmt.Sprintf("%s<%d", c, v%10+1))
				}
			}
		}
		rng.Shuffle(len(conds), func(i, j int) { conds[i], conds[j] = conds[j], conds[i] })
		rng.Shuffle(len(sel), func(i, j int) { sel[i], sel[j] = sel[j], sel[i] })
		sql := "SELECT " + strings.Join(sel[:1+rng.Intn(len(sel))], ",") + " FROM " + from
		if len(conds) > 0 {
			sql += " WHERE " + strings.Join(conds, " AND ")
		}
		w.queries = append(w.queries, sql)
	}
	return w
}

// TestJoinWorkload runs a generated multi-table join workload on a node
// and on PostgreSQL 15 and fails on any difference in the results; it
// logs both engines' times (all queries, and the heaviest third by
// PostgreSQL's time). HELIOSDB_JOINBENCH=N runs N queries (make bench:
// 1000); the default is 150.
func TestJoinWorkload(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	nq := 150
	if v := os.Getenv("HELIOSDB_JOINBENCH"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("HELIOSDB_JOINBENCH=%q: %v", v, err)
		}
		nq = n
	}
	w := genJoinWorkload(11, nq)
	ctx := context.Background()
	pg := startPostgres(t)
	if err := pg.CreateDatabase(ctx, "joinwork"); err != nil {
		t.Fatal(err)
	}
	pgs, err := pgdiff.Dial(ctx, pg.DSN("joinwork"))
	if err != nil {
		t.Fatal(err)
	}
	defer pgs.Close()
	node := newNode(t)
	node.start()
	defer node.stop()
	ours, err := pgdiff.Dial(ctx, node.dsn())
	if err != nil {
		t.Fatal(err)
	}
	defer ours.Close()
	for _, s := range append(w.setup, "ANALYZE") {
		if r := pgs.Exec(ctx, s); r.Code != "" && s != "ANALYZE" {
			t.Fatalf("PostgreSQL: %s: %s %s", s, r.Code, r.Message)
		}
		if s == "ANALYZE" {
			continue
		}
		if r := ours.Exec(ctx, s); r.Code != "" {
			t.Fatalf("ours: %s: %s %s", s, r.Code, r.Message)
		}
	}
	type timing struct{ pg, ours time.Duration }
	times := make([]timing, len(w.queries))
	bad := 0
	// CPU time spent by PostgreSQL's backend and by our node over the
	// queries: unlike the elapsed times, it does not count the time either
	// waited for a core on a loaded machine.
	pgPid, ourPid := int(pgs.PID()), node.cmd.Process.Pid
	pgCPU0, ourCPU0 := procCPU(t, pgPid), procCPU(t, ourPid)
	for i, q := range w.queries {
		start := time.Now()
		pr := pgs.Exec(ctx, q)
		times[i].pg = time.Since(start)
		start = time.Now()
		or := ours.Exec(ctx, q)
		times[i].ours = time.Since(start)
		st := pgdiff.Statement{ID: fmt.Sprintf("query %d", i), SQL: q}
		if d := pgdiff.Diff(st, false, pr, or); len(d) > 0 {
			bad++
			if bad <= 10 {
				t.Errorf("%s differs from PostgreSQL: %s\n%v", st.ID, q, d)
			}
		}
	}
	pgCPU, ourCPU := procCPU(t, pgPid)-pgCPU0, procCPU(t, ourPid)-ourCPU0
	worst := make([]int, len(times))
	for i := range worst {
		worst[i] = i
	}
	sort.Slice(worst, func(a, b int) bool {
		return times[worst[a]].ours-times[worst[a]].pg > times[worst[b]].ours-times[worst[b]].pg
	})
	for _, i := range worst[:min(5, len(worst))] {
		t.Logf("ours %s vs PostgreSQL %s: %s", times[i].ours.Round(10*time.Microsecond), times[i].pg.Round(10*time.Microsecond), w.queries[i])
	}
	var pgAll, oursAll time.Duration
	for _, tm := range times {
		pgAll += tm.pg
		oursAll += tm.ours
	}
	sort.Slice(times, func(i, j int) bool { return times[i].pg > times[j].pg })
	var pgTop, oursTop time.Duration
	for _, tm := range times[:len(times)/3] {
		pgTop += tm.pg
		oursTop += tm.ours
	}
	sort.Slice(times, func(i, j int) bool { return times[i].ours > times[j].ours })
	t.Logf("%d join queries (%d differ): PostgreSQL 15 %s, ours %s (%.2fx); heaviest third by PostgreSQL's time: %s vs ours %s; our slowest query %s; CPU time: PostgreSQL's backend %s, our node %s (%.2fx)",
		len(w.queries), bad, pgAll.Round(time.Millisecond), oursAll.Round(time.Millisecond), float64(oursAll)/float64(pgAll),
		pgTop.Round(time.Millisecond), oursTop.Round(time.Millisecond), times[0].ours.Round(time.Millisecond),
		pgCPU, ourCPU, float64(ourCPU)/float64(max(pgCPU, 10*time.Millisecond)))
}

// procCPU is the user and system CPU time process pid has used, from
// /proc/pid/stat (in clock ticks of 10 ms, Linux's USER_HZ).
func procCPU(t *testing.T, pid int) time.Duration {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatalf("CPU time of process %d: %v", pid, err)
	}
	_, rest, _ := strings.Cut(string(b), ") ")
	f := strings.Fields(rest) // f[0] is field 3 (state): utime is 14, stime 15
	if len(f) < 13 {
		t.Fatalf("CPU time of process %d: short /proc stat %q", pid, b)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("CPU time of process %d: /proc stat %q", pid, b)
	}
	return time.Duration(ut+st) * 10 * time.Millisecond
}
