package tests

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// syncBuffer collects a process's output; tests read it while the process
// still writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newPrimary starts a primary with a native port that survives restarts.
func newPrimary(t testing.TB, id, mode string, extra ...string) *nodeProc {
	t.Helper()
	args := append([]string{"--node-id", id, "--replication-role", "primary", "--replication-mode", mode}, extra...)
	n := newNode(t, args...)
	n.nativePort = freePort(t)
	n.start()
	return n
}

// newStandby starts a standby of primary with the tutorial's flags.
func newStandby(t testing.TB, id string, primary *nodeProc, mode string, extra ...string) *nodeProc {
	t.Helper()
	n := newNode(t, standbyArgs(id, primary.nativePort, mode, extra...)...)
	n.nativePort = freePort(t)
	n.start()
	return n
}

func standbyArgs(id string, primaryNative int, mode string, extra ...string) []string {
	return append([]string{"--node-id", id, "--replication-role", "standby", "--primary-host", "localhost",
		"--primary-port", strconv.Itoa(primaryNative), "--replication-mode", mode}, extra...)
}

// eventually polls cond until it holds or timeout passes; cond returns
// what it saw, for the failure message.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for {
		ok, seen := cond()
		if ok {
			return
		}
		last = seen
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s; last seen: %s", timeout, what, last)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// lsnOf parses PostgreSQL's "X/Y" notation.
func lsnOf(s string) (uint64, error) {
	hi, lo, ok := strings.Cut(s, "/")
	if !ok {
		return 0, fmt.Errorf("bad LSN %q", s)
	}
	h, err := strconv.ParseUint(hi, 16, 32)
	if err != nil {
		return 0, fmt.Errorf("bad LSN %q: %w", s, err)
	}
	l, err := strconv.ParseUint(lo, 16, 32)
	if err != nil {
		return 0, fmt.Errorf("bad LSN %q: %w", s, err)
	}
	return h<<32 | l, nil
}

// nodeStatus is the part of GET /status the tests read.
type nodeStatus struct {
	NodeID      string `json:"node_id"`
	Role        string `json:"role"`
	CurrentLSN  string `json:"current_lsn"`
	AppliedLSN  string `json:"applied_lsn"`
	Replication struct {
		Role         string `json:"role"`
		SyncState    string `json:"sync_state"`
		FlushedLSN   string `json:"flushed_lsn"`
		AppliedLSN   string `json:"applied_lsn"`
		LagBytes     int64  `json:"replication_lag_bytes"`
		Connected    bool   `json:"connected"`
		StandbyCount int    `json:"standby_count"`
		LastError    string `json:"last_error"`
	} `json:"replication"`
	Standbys []struct {
		NodeID          string `json:"node_id"`
		ReplicationMode string `json:"replication_mode"`
		State           string `json:"state"`
		FlushedLSN      string `json:"flushed_lsn"`
		AppliedLSN      string `json:"applied_lsn"`
	} `json:"standbys"`
}

func (p *nodeProc) status() (nodeStatus, error) {
	var st nodeStatus
	code, body, err := httpGet(fmt.Sprintf("http://127.0.0.1:%d/status", p.httpPort))
	if err != nil {
		return st, err
	}
	if code != 200 {
		return st, fmt.Errorf("GET /status: %d %s", code, body)
	}
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		return st, fmt.Errorf("GET /status: %w: %s", err, body)
	}
	return st, nil
}

func (p *nodeProc) mustStatus(t testing.TB) nodeStatus {
	t.Helper()
	st, err := p.status()
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func (st nodeStatus) applied() uint64 { v, _ := lsnOf(st.AppliedLSN); return v }
func (st nodeStatus) current() uint64 { v, _ := lsnOf(st.CurrentLSN); return v }

func (st nodeStatus) standby(id string) (state, mode string) {
	for _, s := range st.Standbys {
		if s.NodeID == id {
			return s.State, s.ReplicationMode
		}
	}
	return "", ""
}

// waitStreaming waits until the primary reports each standby streaming
// (and, in sync mode, sync_state "sync").
func waitStreaming(t testing.TB, primary *nodeProc, ids ...string) {
	t.Helper()
	eventually(t, 20*time.Second, fmt.Sprintf("standbys %v streaming", ids), func() (bool, string) {
		st, err := primary.status()
		if err != nil {
			return false, err.Error()
		}
		for _, id := range ids {
			if s, _ := st.standby(id); s != "streaming" {
				return false, fmt.Sprintf("%s is %q (sync_state %s)", id, s, st.Replication.SyncState)
			}
		}
		return st.Replication.SyncState != "waiting", "sync_state " + st.Replication.SyncState
	})
}

// waitCaughtUp waits until every standby has applied the primary's whole
// WAL and the primary has its acknowledgement. The primary must be quiet.
func waitCaughtUp(t testing.TB, primary *nodeProc, standbys ...*nodeProc) {
	t.Helper()
	for _, s := range standbys {
		eventually(t, 20*time.Second, "standby caught up", func() (bool, string) {
			p, err := primary.status()
			if err != nil {
				return false, err.Error()
			}
			st, err := s.status()
			if err != nil {
				return false, err.Error()
			}
			acked := ""
			for _, sb := range p.Standbys {
				if sb.NodeID == st.NodeID {
					acked = sb.AppliedLSN
				}
			}
			return p.current() > 0 && st.applied() == p.current() && acked == p.CurrentLSN,
				fmt.Sprintf("%s applied %s (primary's view %q), primary at %s (last error %q)", st.NodeID, st.AppliedLSN, acked, p.CurrentLSN, st.Replication.LastError)
		})
	}
}

// tableHash hashes the rows of query (ordered by the caller) and counts them.
func tableHash(t testing.TB, n *nodeProc, query string) (string, int) {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, n.dsn())
	if err != nil {
		t.Fatalf("connect %d: %v", n.pgPort, err)
	}
	defer c.Close(ctx)
	rows, err := c.Query(ctx, query)
	if err != nil {
		t.Fatalf("%s on %d: %v", query, n.pgPort, err)
	}
	h := sha256.New()
	count := 0
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(h, "%q\n", fmt.Sprint(vals...))
		count++
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s on %d: %v", query, n.pgPort, err)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], count
}

// assertSameTable checks that every node holds the same rows (at least min).
func assertSameTable(t testing.TB, query string, min int, nodes ...*nodeProc) (string, int) {
	t.Helper()
	want, wantN := tableHash(t, nodes[0], query)
	if wantN < min {
		t.Fatalf("%s: %d rows on the primary, expected at least %d", query, wantN, min)
	}
	for _, n := range nodes[1:] {
		got, gotN := tableHash(t, n, query)
		if got != want || gotN != wantN {
			t.Fatalf("%s: node on port %d has %d rows hash %s; primary %d rows hash %s", query, n.pgPort, gotN, got, wantN, want)
		}
	}
	return want, wantN
}

// psqlRun runs psql against n; the caller decides what an error means.
func psqlRun(n *nodeProc, args ...string) (string, error) {
	cmd := exec.Command("psql", append([]string{"-X", "-h", "localhost", "-p", strconv.Itoa(n.pgPort), "-U", "helios",
		"-d", "heliosdb", "-v", "ON_ERROR_STOP=1"}, args...)...)
	cmd.Env = append(os.Environ(), "PGPASSWORD=helios")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func mustPsql(t testing.TB, n *nodeProc, args ...string) string {
	t.Helper()
	out, err := psqlRun(n, args...)
	if err != nil {
		t.Fatalf("psql -p %d %v: %v\n%s", n.pgPort, args, err, out)
	}
	return out
}

// psqlTable runs one query in unaligned mode and returns the header and
// the rows, split on '|'.
func psqlTable(t testing.TB, n *nodeProc, query string) (header []string, rows [][]string) {
	t.Helper()
	out := mustPsql(t, n, "-A", "-F", "|", "-P", "footer=off", "-c", query)
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	header = strings.Split(lines[0], "|")
	for _, l := range lines[1:] {
		rows = append(rows, strings.Split(l, "|"))
	}
	return header, rows
}

func column(header []string, name string) int {
	for i, h := range header {
		if h == name {
			return i
		}
	}
	return -1
}

func requirePsql(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("psql"); err != nil {
		t.Fatal("psql not installed: run make deps (scripts/install-test-deps.sh)")
	}
}

// sqlState is the SQLSTATE of err, or "" when it carries none.
func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// alive reports whether the process still runs and answers SQL.
func (p *nodeProc) alive() error {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return fmt.Errorf("process %d gone: %w", p.cmd.Process.Pid, err)
	}
	if _, rest, ok := strings.Cut(string(stat), ") "); ok && strings.HasPrefix(rest, "Z") {
		return fmt.Errorf("process %d exited", p.cmd.Process.Pid)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, p.dsn())
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	var one int
	return c.QueryRow(ctx, "SELECT 1").Scan(&one)
}

// waitLog waits until the node's current log contains every one of subs
// on one line, and returns that line.
func waitLog(t testing.TB, n *nodeProc, timeout time.Duration, subs ...string) string {
	t.Helper()
	var found string
	eventually(t, timeout, fmt.Sprintf("a log line with %q", subs), func() (bool, string) {
		for _, line := range strings.Split(n.logs.String(), "\n") {
			all := true
			for _, s := range subs {
				all = all && strings.Contains(line, s)
			}
			if all {
				found = line
				return true, ""
			}
		}
		return false, "log:\n" + n.logs.String()
	})
	return found
}

// clusterID is the cluster id a primary logged when it founded its cluster.
func clusterID(t testing.TB, n *nodeProc) string {
	t.Helper()
	line := waitLog(t, n, 5*time.Second, `msg="new cluster"`)
	_, rest, _ := strings.Cut(line, "cluster_id=")
	id, _, _ := strings.Cut(rest, " ")
	if id == "" {
		t.Fatalf("no cluster id in %q", line)
	}
	return id
}
