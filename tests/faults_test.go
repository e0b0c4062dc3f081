package tests

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/heliosdb/nano/internal/faultnet"
	"github.com/heliosdb/nano/internal/history"
	"github.com/heliosdb/nano/wal/waltest"
)

// The history checker suite (issue 16, point 3): `make faults-quick` runs
// every scenario once (HELIOSDB_FAULTS=1, short), `make faults` runs them
// long. Each scenario is a cluster of three heliosdb-nano processes and a
// heliosdb-proxy process on 127.0.0.1; every connection between them goes
// through an in-process TCP fault proxy (internal/faultnet) in front of
// each node's PostgreSQL, HTTP and replication ports. Clients run one
// workload through heliosdb-proxy and record every operation (invoke, then
// ok, fail or unknown) in a history (internal/history) while a nemesis
// injects one fault at a time, at random, every second or so: kill -9 of
// the primary or a standby (restarted after the hold), SIGSTOP/SIGCONT of
// the primary, a partition of the primary from everyone, of the proxy from
// the primary, of the replication links to the primary (also followed by a
// kill -9 of the primary before it heals, and by one that keeps it down
// until a standby is promoted), a power cut, a delay on one
// link, a planned switchover, a kill -9 and restart of the proxy, and (as
// root, on a tmpfs data dir) a full disk on one node. Then everything is
// healed, the cluster settles, the history is checked, and every node's
// tables must hash equal.
//
// Environment:
//
//	HELIOSDB_FAULTS=1               run (skipped otherwise: make test stays as it was)
//	HELIOSDB_FAULTS_DURATION=30s    fault time per scenario
//	HELIOSDB_FAULTS_SEED=N          replay a seed (printed by every scenario)
//	HELIOSDB_FAULTS_MIN=N           fail unless the scenarios injected at least N faults in total
//	HELIOSDB_FAULTS_KINDS=a,b       only these fault kinds (names as in the nemesis log)
func TestFaults(t *testing.T) {
	if os.Getenv("HELIOSDB_FAULTS") == "" {
		t.Skip("the history checker suite runs with HELIOSDB_FAULTS=1 (make faults-quick, make faults)")
	}
	dur := 30 * time.Second
	if s := os.Getenv("HELIOSDB_FAULTS_DURATION"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatalf("HELIOSDB_FAULTS_DURATION=%q: %v", s, err)
		}
		dur = d
	}
	var total atomic.Int64
	var lines []string
	var mu sync.Mutex
	for _, sc := range faultScenarios {
		t.Run(sc.name, func(t *testing.T) {
			line, faults := runScenario(t, sc, dur)
			total.Add(int64(faults))
			mu.Lock()
			lines = append(lines, line)
			mu.Unlock()
		})
	}
	fmt.Printf("faults: %d injected in total\n%s\n", total.Load(), strings.Join(lines, "\n"))
	if s := os.Getenv("HELIOSDB_FAULTS_MIN"); s != "" {
		want, _ := strconv.Atoi(s)
		if int(total.Load()) < want {
			t.Fatalf("%d faults injected in total, want at least %d (HELIOSDB_FAULTS_MIN)", total.Load(), want)
		}
	}
}

// faultScenario is one workload on one cluster mode.
type faultScenario struct {
	name string
	mode string // "sync" or "async" (async: loss is reported, not failed)
	load workload
	// direct adds a client that writes straight to the node the proxy
	// names primary (through that node's fault proxy) and keeps its
	// connection until an error, as an application or a second proxy
	// that has not seen a failover would: what the failover lease
	// protects against. Only for write-only workloads (a read on an old
	// primary is stale in any system).
	direct bool
	// kinds are fault kinds added to the common ones.
	kinds []string
}

var faultScenarios = []faultScenario{
	{name: "register", mode: "sync", load: &registerLoad{keys: 6}},
	{name: "set", mode: "sync", load: &setLoad{}, direct: true, kinds: []string{"pause-primary-past-promotion"}},
	{name: "bank", mode: "sync", load: &bankLoad{accounts: 5, initial: 100}},
	{name: "append", mode: "sync", load: &appendLoad{keys: 8}},
	{name: "set-async", mode: "async", load: &setLoad{}, direct: true, kinds: []string{"pause-primary-past-promotion"}},
}

// workload is what the clients do and how their history is checked.
type workload interface {
	setup(ctx context.Context, c *pgx.Conn) error
	// step runs one operation on conn, recording it in h, and returns
	// its error.
	step(ctx context.Context, conn *pgx.Conn, h *history.History, proc int, rng *rand.Rand) error
	// check reads the final state from conn (the settled primary) and
	// checks the history.
	check(ctx context.Context, conn *pgx.Conn, ops []history.Op) (history.Result, error)
	// tables are the queries whose ordered rows must hash equal on
	// every node at the end.
	tables() []string
}

func runScenario(t *testing.T, sc faultScenario, dur time.Duration) (string, int) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("HELIOSDB_FAULTS_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("%s: seed %d (HELIOSDB_FAULTS_SEED=%d replays the nemesis' choices)", sc.name, seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	c := startFaultCluster(t, sc.mode)
	ctx := context.Background()
	{
		conn := c.nodes[0].connectDirect(t)
		if err := sc.load.setup(ctx, conn); err != nil {
			t.Fatalf("%s: setup: %v", sc.name, err)
		}
		conn.Close(ctx)
	}
	c.settled(t, 60*time.Second)

	h := history.New()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	const clients = 4
	for p := range clients {
		prng := rand.New(rand.NewPCG(seed, uint64(p)+1))
		wg.Go(func() { runFaultClient(c.proxyDSN(), sc.load, h, p, prng, stop) })
	}
	if sc.direct {
		prng := rand.New(rand.NewPCG(seed, clients+1))
		wg.Go(func() { runDirectClient(c, sc.load, h, clients, prng, stop) })
	}
	nem := &nemesis{c: c, rng: rng, start: h.Start(), extra: sc.kinds}
	checked := false
	t.Cleanup(func() {
		// The cluster did not settle (or a final read failed): say what
		// the nemesis did, check what needs only the history, and show
		// the logs.
		if checked || !t.Failed() {
			return
		}
		t.Logf("%s: nemesis log (seconds since the history began, at %s):\n%s", sc.name, h.Start().UTC().Format("15:04:05.000"), strings.Join(nem.log, "\n"))
		if _, ok := sc.load.(*setLoad); ok {
			r := history.CheckTerms(h.Ops())
			t.Logf("%s: unsettled, history only: %d anomalies %v %v", sc.name, r.Anomalies, r.Notes, r.Details)
		}
		t.Logf("proxy log, role changes:\n%s", c.proxyLog.grep(200, "promot", "failover", "degrad", "demot", "switchover", "lease lapsed", "re-point"))
		for _, nd := range c.nodes {
			t.Logf("%s log (tail):\n%s", nd.id, nd.logs.tail(40))
		}
	})
	faults := nem.run(dur)
	close(stop)
	wg.Wait()
	c.healAll()
	healed := time.Now()
	primary := c.settled(t, 120*time.Second)
	t.Logf("%s: settled %s after the last fault", sc.name, time.Since(healed).Round(time.Millisecond))
	checkStart := time.Now()
	defer func() {
		t.Logf("%s: final reads and checks took %s", sc.name, time.Since(checkStart).Round(time.Millisecond))
	}()

	checked = true
	conn := primary.connectDirect(t)
	ops := h.Ops()
	res, err := sc.load.check(ctx, conn, ops)
	conn.Close(ctx)
	if err != nil {
		t.Fatalf("%s: final read: %v", sc.name, err)
	}
	// After quiescing, every node holds the same rows.
	for _, tbl := range sc.load.tables() {
		want, n := tableHash(t, primary.nodeProc, tbl)
		for _, nd := range c.nodes {
			if got, m := tableHash(t, nd.nodeProc, tbl); got != want {
				res.Anomalies++
				res.Details = append(res.Details, fmt.Sprintf("table %s: %s has %d rows (hash %s), primary %s %d rows (hash %s)", tbl, nd.id, m, got, primary.id, n, want))
			}
		}
	}
	for _, nd := range c.nodes {
		if msg := nd.crashed(); msg != "" {
			res.Anomalies++
			res.Details = append(res.Details, msg)
		}
	}
	if c.proxyCrashed != "" {
		res.Anomalies++
		res.Details = append(res.Details, c.proxyCrashed)
	}
	ok, fail, unknown := history.Counts(ops)
	line := fmt.Sprintf("%s: ops=%d faults=%d ok=%d fail=%d unknown=%d lost=%d duplicated=%d anomalies=%d",
		sc.name, len(ops), faults, ok, fail, unknown, res.Lost, res.Duplicated, res.Anomalies)
	fmt.Println(line)
	t.Log(line)
	t.Logf("%s: faults by kind: %v", sc.name, nem.byKind)
	t.Logf("%s: nemesis log (seconds since the history began, at %s):\n%s", sc.name, h.Start().UTC().Format("15:04:05.000"), strings.Join(nem.log, "\n"))
	for _, n := range res.Notes {
		t.Logf("%s: %s", sc.name, n)
	}
	kinds := map[string]int{}
	for _, d := range res.Details {
		k, _, _ := strings.Cut(d, ":")
		if strings.HasPrefix(d, "append: acknowledged") {
			k = "append: lost"
		} else if strings.HasPrefix(d, "append: key") {
			k = "append: no single version order"
		}
		kinds[k]++
	}
	if len(kinds) > 0 {
		t.Logf("%s: problems by kind: %v", sc.name, kinds)
	}
	for i, d := range res.Details {
		if i == 30 {
			t.Logf("… %d more", len(res.Details)-i)
			break
		}
		t.Logf("%s: %s", sc.name, d)
	}
	bad := res.Anomalies > 0 || res.Duplicated > 0 || (res.Lost > 0 && sc.mode == "sync")
	if bad {
		t.Logf("%s: history errors seen: %s", sc.name, errSummary(ops))
		t.Logf("proxy log, role changes:\n%s", c.proxyLog.grep(200, "promot", "failover", "degrad", "demot", "switchover", "lease lapsed", "re-point"))
		t.Logf("proxy log (tail):\n%s", c.proxyLog.tail(150))
		for _, nd := range c.nodes {
			t.Logf("%s log, role changes:\n%s", nd.id, nd.logs.grep(100, "promot", "demot", "degrad", "lease", "diverged", "base backup", "fenced"))
			t.Logf("%s log (tail):\n%s", nd.id, nd.logs.tail(80))
		}
		t.Errorf("%s (seed %d): %d lost, %d duplicated, %d anomalies", sc.name, seed, res.Lost, res.Duplicated, res.Anomalies)
	} else if res.Lost > 0 {
		t.Logf("%s: async mode: %d acknowledged writes lost in failovers (reported, not failed)", sc.name, res.Lost)
	}
	return line, faults
}

func errSummary(ops []history.Op) string {
	count := map[string]int{}
	for _, op := range ops {
		if op.Err != "" {
			e := op.Err
			if len(e) > 90 {
				e = e[:90]
			}
			count[op.Status.String()+": "+e]++
		}
	}
	var b strings.Builder
	for k, n := range count {
		fmt.Fprintf(&b, "\n  %5d %s", n, k)
	}
	return b.String()
}

// runFaultClient runs operations through the proxy until stop, on one
// connection it replaces after a connection-level error.
func runFaultClient(dsn string, load workload, h *history.History, proc int, rng *rand.Rand, stop chan struct{}) {
	var conn *pgx.Conn
	defer func() {
		if conn != nil {
			conn.Close(context.Background())
		}
	}()
	for {
		select {
		case <-stop:
			return
		default:
		}
		if conn == nil || conn.IsClosed() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			c, err := pgx.Connect(ctx, dsn)
			cancel()
			if err != nil {
				select {
				case <-stop:
					return
				case <-time.After(100 * time.Millisecond):
				}
				continue
			}
			conn = c
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		load.step(ctx, conn, h, proc, rng)
		cancel()
		if ctx.Err() != nil && conn != nil { // a timed-out connection may be mid-message
			conn.Close(context.Background())
			conn = nil
		}
	}
}

// runDirectClient runs operations on a connection to the node the
// proxy names primary (through that node's fault proxy), keeps it while
// they succeed, and after an error connects to whatever the proxy then
// names primary.
func runDirectClient(c *haCluster, load workload, h *history.History, proc int, rng *rand.Rand, stop chan struct{}) {
	var conn *pgx.Conn
	defer func() {
		if conn != nil {
			conn.Close(context.Background())
		}
	}()
	pause := func() bool {
		select {
		case <-stop:
			return false
		case <-time.After(100 * time.Millisecond):
			return true
		}
	}
	for {
		select {
		case <-stop:
			return
		default:
		}
		if conn == nil {
			p := c.primary()
			if p == nil {
				if !pause() {
					return
				}
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			cn, err := pgx.Connect(ctx, fmt.Sprintf("postgres://helios:helios@127.0.0.1:%d/heliosdb?sslmode=disable", p.pgAddrPort()))
			cancel()
			if err != nil {
				if !pause() {
					return
				}
				continue
			}
			conn = cn
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		err := load.step(ctx, conn, h, proc, rng)
		cancel()
		if err != nil {
			conn.Close(context.Background())
			conn = nil
		}
	}
}

// outcome classifies an operation's error: nil is OK; errors the server
// raises before anything is committed are Fail; everything else (the
// connection lost, a timeout, an error while committing) is Unknown.
func outcome(err error, committing bool) history.Status {
	if err == nil {
		return history.OK
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return history.Unknown
	}
	switch pe.Code {
	case "40001", "40P01", "53100":
		// Serialization failure, deadlock, disk full: rolled back, also
		// at COMMIT.
		return history.Fail
	case "25006", "57P03", "25P02", "23505", "55P03":
		// Read-only node, no primary available (not run), aborted
		// transaction, unique violation, lock not available.
		if !committing {
			return history.Fail
		}
	}
	if !committing && strings.HasPrefix(pe.Code, "42") {
		return history.Fail
	}
	return history.Unknown
}

// ---- register: per-key read / write / compare-and-set ----

type registerLoad struct {
	keys int
	next atomic.Int64
}

func (l *registerLoad) tables() []string { return []string{"SELECT k, v FROM reg ORDER BY k"} }

func (l *registerLoad) setup(ctx context.Context, c *pgx.Conn) error {
	if _, err := c.Exec(ctx, "CREATE TABLE reg (k INT PRIMARY KEY, v BIGINT NOT NULL)"); err != nil {
		return err
	}
	for k := range l.keys {
		if _, err := c.Exec(ctx, "INSERT INTO reg VALUES ($1, 0)", k); err != nil {
			return err
		}
	}
	return nil
}

func (l *registerLoad) step(ctx context.Context, conn *pgx.Conn, h *history.History, proc int, rng *rand.Rand) error {
	k := rng.IntN(l.keys)
	switch x := rng.IntN(10); {
	case x < 5:
		op := h.Invoke(proc, "read", history.RegOp{Key: k})
		var v int64
		err := conn.QueryRow(ctx, "SELECT v FROM reg WHERE k = $1", k).Scan(&v)
		if errors.Is(err, pgx.ErrNoRows) {
			h.Finish(op, history.OK, history.RegOp{Key: k, Absent: true}, nil)
			return nil
		}
		h.Finish(op, outcome(err, false), history.RegOp{Key: k, V: int(v)}, err)
		return err
	case x < 8:
		v := int(l.next.Add(1))
		op := h.Invoke(proc, "write", history.RegOp{Key: k, V: v})
		_, err := conn.Exec(ctx, "UPDATE reg SET v = $2 WHERE k = $1", k, v)
		h.Finish(op, outcome(err, true), nil, err)
		return err
	default:
		// From a value this key may well hold: the last one written, or 0.
		from := 0
		if n := int(l.next.Load()); n > 0 && rng.IntN(4) > 0 {
			from = max(0, n-rng.IntN(4*l.keys))
		}
		v := int(l.next.Add(1))
		op := h.Invoke(proc, "cas", history.RegOp{Key: k, From: from, V: v})
		tag, err := conn.Exec(ctx, "UPDATE reg SET v = $3 WHERE k = $1 AND v = $2", k, from, v)
		h.Finish(op, outcome(err, true), history.RegOp{Key: k, From: from, V: v, Applied: err == nil && tag.RowsAffected() == 1}, err)
		return err
	}
}

func (l *registerLoad) check(ctx context.Context, conn *pgx.Conn, ops []history.Op) (history.Result, error) {
	// The final values, read on the settled primary after every other
	// operation, are one more read per key.
	rows, err := conn.Query(ctx, "SELECT k, v FROM reg")
	if err != nil {
		return history.Result{}, err
	}
	end := int64(1 << 62)
	id := len(ops)
	for rows.Next() {
		var k int
		var v int64
		if err := rows.Scan(&k, &v); err != nil {
			return history.Result{}, err
		}
		ops = append(ops, history.Op{ID: id, Process: -1, Call: end, Return: end + 1, Status: history.OK, F: "read", Value: history.RegOp{Key: k, V: int(v)}})
		id++
	}
	if err := rows.Err(); err != nil {
		return history.Result{}, err
	}
	return history.CheckRegister(ops, 2*time.Minute), nil
}

// ---- set: unique inserts ----

type setLoad struct{ next atomic.Int64 }

func (l *setLoad) tables() []string { return []string{"SELECT id, p FROM st ORDER BY id, p"} }

func (l *setLoad) setup(ctx context.Context, c *pgx.Conn) error {
	// No primary key: an insert applied twice shows as two rows.
	_, err := c.Exec(ctx, "CREATE TABLE st (id BIGINT NOT NULL, p INT NOT NULL)")
	return err
}

func (l *setLoad) step(ctx context.Context, conn *pgx.Conn, h *history.History, proc int, rng *rand.Rand) error {
	v := l.next.Add(1)
	op := h.Invoke(proc, "add", v)
	// The node that commits the insert names itself and its term in the
	// same statement (history.CheckTerms).
	var node string
	var term int64
	err := conn.QueryRow(ctx, "INSERT INTO st VALUES ($1, $2) RETURNING (SELECT node_id FROM helios_node), (SELECT term FROM helios_node)", v, proc).Scan(&node, &term)
	h.FinishAcked(op, outcome(err, true), nil, err, node, uint64(term))
	return err
}

func (l *setLoad) check(ctx context.Context, conn *pgx.Conn, ops []history.Op) (history.Result, error) {
	rows, err := conn.Query(ctx, "SELECT id FROM st")
	if err != nil {
		return history.Result{}, err
	}
	vals, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return history.Result{}, err
	}
	res := history.CheckSet(ops, vals)
	res.Merge(history.CheckTerms(ops))
	return res, nil
}

// ---- bank: transfers keep the total ----

type bankLoad struct {
	accounts int
	initial  int64
}

func (l *bankLoad) tables() []string { return []string{"SELECT id, bal FROM acct ORDER BY id"} }

func (l *bankLoad) setup(ctx context.Context, c *pgx.Conn) error {
	if _, err := c.Exec(ctx, "CREATE TABLE acct (id INT PRIMARY KEY, bal BIGINT NOT NULL)"); err != nil {
		return err
	}
	for i := range l.accounts {
		if _, err := c.Exec(ctx, "INSERT INTO acct VALUES ($1, $2)", i, l.initial); err != nil {
			return err
		}
	}
	return nil
}

func (l *bankLoad) step(ctx context.Context, conn *pgx.Conn, h *history.History, proc int, rng *rand.Rand) error {
	if rng.IntN(2) == 0 {
		op := h.Invoke(proc, "read", nil)
		br, err := readBank(ctx, conn)
		h.Finish(op, outcome(err, false), br, err)
		return err
	}
	from, to := rng.IntN(l.accounts), rng.IntN(l.accounts-1)
	if to >= from {
		to++
	}
	amount := 1 + rng.Int64N(20)
	op := h.Invoke(proc, "transfer", fmt.Sprintf("%d->%d %d", from, to, amount))
	committing := false
	err := func() error {
		if _, err := conn.Exec(ctx, "BEGIN"); err != nil {
			return err
		}
		tag, err := conn.Exec(ctx, "UPDATE acct SET bal = bal - $2 WHERE id = $1 AND bal >= $2", from, amount)
		if err == nil && tag.RowsAffected() == 1 {
			_, err = conn.Exec(ctx, "UPDATE acct SET bal = bal + $2 WHERE id = $1", to, amount)
		}
		if err != nil {
			conn.Exec(ctx, "ROLLBACK")
			return err
		}
		committing = true
		_, err = conn.Exec(ctx, "COMMIT")
		return err
	}()
	h.Finish(op, outcome(err, committing), nil, err)
	return err
}

func readBank(ctx context.Context, conn *pgx.Conn) (history.BankRead, error) {
	br := history.BankRead{Balances: map[int]int64{}}
	rows, err := conn.Query(ctx, "SELECT id, bal FROM acct")
	if err != nil {
		return br, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int
		var bal int64
		if err := rows.Scan(&id, &bal); err != nil {
			return br, err
		}
		br.Balances[id] = bal
	}
	return br, rows.Err()
}

func (l *bankLoad) check(ctx context.Context, conn *pgx.Conn, ops []history.Op) (history.Result, error) {
	br, err := readBank(ctx, conn)
	if err != nil {
		return history.Result{}, err
	}
	ops = append(ops, history.Op{ID: len(ops), Process: -1, Status: history.OK, F: "read", Value: br})
	return history.CheckBank(ops, l.accounts, l.initial*int64(l.accounts)), nil
}

// ---- append: Elle-style list-append transactions, serializable ----

type appendLoad struct {
	keys int
	next atomic.Int64
}

func (l *appendLoad) tables() []string { return []string{"SELECT k, vals FROM app ORDER BY k"} }

func (l *appendLoad) setup(ctx context.Context, c *pgx.Conn) error {
	if _, err := c.Exec(ctx, "CREATE TABLE app (k INT PRIMARY KEY, vals TEXT NOT NULL)"); err != nil {
		return err
	}
	for k := range l.keys {
		if _, err := c.Exec(ctx, "INSERT INTO app VALUES ($1, '')", k); err != nil {
			return err
		}
	}
	return nil
}

func parseList(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f == "" {
			continue
		}
		v, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("list %q: %w", s, err)
		}
		out = append(out, v)
	}
	return out, nil
}

func (l *appendLoad) step(ctx context.Context, conn *pgx.Conn, h *history.History, proc int, rng *rand.Rand) error {
	n := 1 + rng.IntN(4)
	txn := make(history.Txn, n)
	for i := range txn {
		k := rng.IntN(l.keys)
		if rng.IntN(2) == 0 {
			txn[i] = history.Mop{F: 'r', Key: k}
		} else {
			txn[i] = history.Mop{F: 'a', Key: k, V: int(l.next.Add(1))}
		}
	}
	op := h.Invoke(proc, "txn", txn)
	done := make(history.Txn, n)
	copy(done, txn)
	committing := false
	err := func() error {
		if _, err := conn.Exec(ctx, "BEGIN ISOLATION LEVEL SERIALIZABLE"); err != nil {
			return err
		}
		var err error
		for i, m := range done {
			if m.F == 'r' {
				var s string
				if err = conn.QueryRow(ctx, "SELECT vals FROM app WHERE k = $1", m.Key).Scan(&s); err != nil {
					break
				}
				if done[i].Read, err = parseList(s); err != nil {
					break
				}
				if done[i].Read == nil {
					done[i].Read = []int{}
				}
			} else if _, err = conn.Exec(ctx, "UPDATE app SET vals = vals || $2 WHERE k = $1", m.Key, ","+strconv.Itoa(m.V)); err != nil {
				break
			}
		}
		if err != nil {
			conn.Exec(ctx, "ROLLBACK")
			return err
		}
		committing = true
		_, err = conn.Exec(ctx, "COMMIT")
		return err
	}()
	st := outcome(err, committing)
	if st == history.OK {
		h.Finish(op, st, done, nil)
	} else {
		h.Finish(op, st, nil, err)
	}
	return err
}

func (l *appendLoad) check(ctx context.Context, conn *pgx.Conn, ops []history.Op) (history.Result, error) {
	rows, err := conn.Query(ctx, "SELECT k, vals FROM app")
	if err != nil {
		return history.Result{}, err
	}
	final := map[int][]int{}
	for rows.Next() {
		var k int
		var s string
		if err := rows.Scan(&k, &s); err != nil {
			return history.Result{}, err
		}
		if final[k], err = parseList(s); err != nil {
			return history.Result{}, err
		}
	}
	if err := rows.Err(); err != nil {
		return history.Result{}, err
	}
	return history.CheckAppend(ops, final, true), nil
}

// startFaultCluster is the suite's cluster: every port behind a fault
// proxy, data dirs on tmpfs as root (disk-full), causal reads through the
// proxy; in async mode the proxy may fail over with data loss.
func startFaultCluster(t *testing.T, mode string) *haCluster {
	conf := "write_timeout_secs = 10\nconnect_timeout_secs = 2\nread_consistency = \"causal\"\nfailover_timeout_secs = 3\n"
	if mode == "async" {
		conf += "failover_allow_data_loss = true\n"
	}
	return startHACluster(t, haOptions{mode: mode, faultProxies: true, tmpfs: true, proxyConf: conf,
		nodeEnv:   []string{"HELIOSDB_TEST_WAL_SYNC_MARK=1"}, // power cuts (waltest.PowerCut)
		nodeFlags: []string{"--advertise-host", "127.0.0.1", "--sync-timeout", "1s", "--log-level", "info"}})
}

// ---- the nemesis ----

type nemesis struct {
	c      *haCluster
	rng    *rand.Rand
	byKind map[string]int
	log    []string
	start  time.Time
	extra  []string // the scenario's own kinds (faultScenario.kinds)
}

func (nm *nemesis) logf(format string, args ...any) {
	nm.log = append(nm.log, fmt.Sprintf("%8.3fs ", time.Since(nm.start).Seconds())+fmt.Sprintf(format, args...))
}

// hold is how long a fault lasts: mostly short, sometimes past the
// failover timeout (3 s).
func (nm *nemesis) hold() time.Duration {
	if nm.rng.IntN(4) == 0 {
		return 3*time.Second + time.Duration(nm.rng.Int64N(int64(3*time.Second)))
	}
	return 300*time.Millisecond + time.Duration(nm.rng.Int64N(int64(2*time.Second)))
}

// run injects faults until dur has passed and returns how many.
func (nm *nemesis) run(dur time.Duration) int {
	nm.byKind = map[string]int{}
	kinds := []string{"kill-primary", "kill-standby", "pause-primary", "partition-primary", "partition-proxy-primary",
		"partition-replication", "partition-replication-kill-primary", "partition-replication-kill-primary-past-failover",
		"delay", "switchover", "restart-proxy", "power-cut-primary", "power-cut-standby"}
	if nm.c.nodes[0].ballast != "" {
		kinds = append(kinds, "disk-full")
	}
	kinds = append(kinds, nm.extra...)
	if s := os.Getenv("HELIOSDB_FAULTS_KINDS"); s != "" {
		kinds = strings.Split(s, ",")
	}
	faults := 0
	for time.Since(nm.start) < dur {
		time.Sleep(200*time.Millisecond + time.Duration(nm.rng.Int64N(int64(time.Second))))
		kind := kinds[nm.rng.IntN(len(kinds))]
		if nm.inject(kind) {
			faults++
			nm.byKind[kind]++
		}
	}
	return faults
}

// inject runs one fault to its end (heal included); false when it could
// not be injected (no primary known, a refused switchover).
func (nm *nemesis) inject(kind string) bool {
	c := nm.c
	p := c.primary()
	if p == nil && kind != "kill-standby" && kind != "power-cut-standby" && kind != "delay" && kind != "restart-proxy" && kind != "disk-full" {
		nm.logf("%s: no primary known, skipped", kind)
		return false
	}
	others := func() []*haNode {
		var o []*haNode
		for _, n := range c.nodes {
			if n != p {
				o = append(o, n)
			}
		}
		return o
	}
	d := nm.hold()
	switch kind {
	case "kill-primary", "kill-standby":
		n := p
		if kind == "kill-standby" {
			o := others()
			n = o[nm.rng.IntN(len(o))]
		}
		nm.logf("%s: kill -9 %s, restart after %s", kind, n.id, d)
		n.kill9()
		time.Sleep(d)
		n.launch(c.t)
	case "power-cut-primary", "power-cut-standby":
		// A machine losing power: kill -9, then what the node's WAL
		// wrote after its last fsync is gone (waltest.PowerCut, from
		// the flushed LSN it records under HELIOSDB_TEST_WAL_SYNC_MARK).
		n := p
		if kind == "power-cut-standby" {
			o := others()
			n = o[nm.rng.IntN(len(o))]
		}
		n.kill9()
		mark, dropped, err := waltest.PowerCut(filepath.Join(n.dataDir, "wal"))
		if err != nil {
			nm.logf("%s: kill -9 %s; power cut failed: %v; restart after %s", kind, n.id, err, d)
		} else {
			nm.logf("%s: kill -9 %s, WAL cut back to its last fsync %s (written WAL dropped: %v), restart after %s", kind, n.id, mark, dropped, d)
		}
		time.Sleep(d)
		n.launch(c.t)
	case "pause-primary":
		nm.logf("SIGSTOP %s for %s", p.id, d)
		p.signal(syscall.SIGSTOP)
		time.Sleep(d)
		p.signal(syscall.SIGCONT)
	case "pause-primary-past-promotion":
		// The primary sleeps past its lease until the proxy has promoted
		// another node and clients have written to it, then wakes with
		// its connections open (runDirectClient's stays): it must not
		// acknowledge anything sent to it after the promotion.
		st, err := p.status()
		if err != nil {
			nm.logf("%s: %s's status: %v, skipped", kind, p.id, err)
			return false
		}
		nm.logf("SIGSTOP %s (primary of term %d) until another node is primary of a later term", p.id, st.Term)
		p.signal(syscall.SIGSTOP)
		promoted := ""
		for t0 := time.Now(); promoted == "" && time.Since(t0) < 15*time.Second; {
			time.Sleep(100 * time.Millisecond)
			for _, n := range others() {
				if s, err := n.status(); err == nil && s.Role == "primary" && s.Term > st.Term {
					promoted = fmt.Sprintf("%s primary of term %d", n.id, s.Term)
				}
			}
		}
		wake := 300*time.Millisecond + time.Duration(nm.rng.Int64N(int64(1200*time.Millisecond)))
		if promoted == "" {
			promoted = "no promotion seen in 15s"
		}
		nm.logf("%s: %s; SIGCONT %s after %s more", kind, promoted, p.id, wake)
		time.Sleep(wake)
		p.signal(syscall.SIGCONT)
	case "partition-primary":
		nm.logf("partition %s from everyone for %s", p.id, d)
		for _, fp := range []*faultnet.Proxy{p.pg, p.http, p.native} {
			fp.Partition()
		}
		time.Sleep(d)
		for _, fp := range []*faultnet.Proxy{p.pg, p.http, p.native} {
			fp.Heal()
		}
	case "partition-proxy-primary":
		nm.logf("partition proxy from %s for %s", p.id, d)
		p.pg.Partition()
		p.http.Partition()
		time.Sleep(d)
		p.pg.Heal()
		p.http.Heal()
	case "partition-replication-kill-primary":
		// The primary loses its standbys, then dies before the links
		// heal: only what a sync standby flushed may have been
		// acknowledged.
		nm.logf("partition the standbys from %s for %s, then kill -9 it, restart after %s", p.id, d, d)
		p.native.Partition()
		time.Sleep(d)
		p.kill9()
		p.native.Heal()
		time.Sleep(d)
		p.launch(c.t)
	case "partition-replication-kill-primary-past-failover":
		// The window a sync commit must never be acknowledged in: the
		// standbys are cut off (shorter than --sync-timeout, so a
		// correct primary neither degrades nor acknowledges), the
		// primary dies, and it stays down until the proxy has promoted
		// a standby — one without whatever the primary acknowledged
		// during the cut — or says it will not. A kill with a short
		// hold lets the primary come back in its own term with its
		// whole WAL, and the standbys catch up: nothing is lost even
		// when the primary acknowledged too early.
		st, err := p.status()
		if err != nil {
			nm.logf("%s: %s's status: %v, skipped", kind, p.id, err)
			return false
		}
		cut := 300*time.Millisecond + time.Duration(nm.rng.Int64N(int64(600*time.Millisecond)))
		p.native.Partition()
		time.Sleep(cut)
		p.kill9()
		p.native.Heal()
		outcome := "neither in 20s"
		for t0 := time.Now(); time.Since(t0) < 20*time.Second; time.Sleep(100 * time.Millisecond) {
			if n, term := nm.primaryAfter(others(), st.Term); n != "" {
				outcome = fmt.Sprintf("%s promoted to term %d", n, term)
				break
			}
			if fs, err := c.failover(); err == nil && fs.Blocked != "" {
				outcome = "the proxy promotes nobody: " + fs.Blocked
				break
			}
		}
		nm.logf("partition the standbys from %s (primary of term %d) for %s, kill -9 it, keep it down until a promotion: %s; restarted", p.id, st.Term, cut, outcome)
		p.launch(c.t)
	case "partition-replication":
		nm.logf("partition the standbys from %s for %s", p.id, d)
		p.native.Partition()
		time.Sleep(d)
		p.native.Heal()
	case "delay":
		n := c.nodes[nm.rng.IntN(len(c.nodes))]
		fps := []*faultnet.Proxy{n.pg, n.http, n.native}
		fp := fps[nm.rng.IntN(3)]
		lat := time.Duration(10+nm.rng.IntN(190)) * time.Millisecond
		nm.logf("delay %s's %s link by %s for %s", n.id, []string{"pg", "http", "native"}[slicesIndex(fps, fp)], lat, d)
		fp.SetDelay(lat)
		time.Sleep(d)
		fp.SetDelay(0)
	case "switchover":
		var target string
		if st, err := p.status(); err == nil {
			for _, sb := range st.Standbys {
				if sb.State == "streaming" && (sb.ReplicationMode == "sync" || c.mode == "async") {
					target = sb.NodeID
				}
			}
		}
		if target == "" {
			nm.logf("switchover: no streaming sync standby of %s, skipped", p.id)
			return false
		}
		code, body, err := adminPost(fmt.Sprintf("http://127.0.0.1:%d/switchover", c.adminPort), `{"target": "`+target+`"}`)
		nm.logf("switchover %s -> %s: %d %s %v", p.id, target, code, strings.TrimSpace(body), err)
		if err != nil || code != http.StatusOK {
			return false
		}
	case "restart-proxy":
		nm.logf("kill -9 the proxy, restart after %s", d/4)
		c.killProxy()
		time.Sleep(d / 4)
		c.launchProxy(c.t)
	case "disk-full":
		n := p
		if n == nil || nm.rng.IntN(3) == 0 {
			n = c.nodes[nm.rng.IntN(len(c.nodes))]
		}
		nm.logf("fill %s's disk for %s", n.id, d)
		fillDisk(n.ballast)
		time.Sleep(d)
		os.Remove(n.ballast)
	default:
		nm.logf("unknown fault kind %q, skipped", kind)
		return false
	}
	return true
}

// primaryAfter is the first of nodes that says it is primary of a term
// after term, and that term.
func (nm *nemesis) primaryAfter(nodes []*haNode, term uint64) (string, uint64) {
	for _, n := range nodes {
		if st, err := n.status(); err == nil && st.Role == "primary" && st.Term > term {
			return n.id, st.Term
		}
	}
	return "", 0
}

func slicesIndex[T comparable](s []T, v T) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// fillDisk writes path until its file system is full (errors ignored: the
// nemesis must not fail the test from its goroutine).
func fillDisk(path string) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	for i := range buf {
		buf[i] = 0xB5
	}
	for {
		if _, err := f.Write(buf); err != nil {
			break
		}
	}
	small := buf[:4096]
	for {
		if _, err := f.Write(small); err != nil {
			return
		}
	}
}

var adminHTTP = &http.Client{Timeout: 30 * time.Second}

func adminPost(url, body string) (int, string, error) {
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth("helios", "helios")
	resp, err := adminHTTP.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}
