package tests

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sys/unix"

	"github.com/heliosdb/nano/internal/clustertest"
)

var nanoBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "heliosdb-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	nanoBin = filepath.Join(dir, "heliosdb-nano")
	build := exec.Command("go", "build", "-o", nanoBin, "../cmd/heliosdb-nano")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building heliosdb-nano:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// freePort picks a free 127.0.0.1 port below Linux's ephemeral range
// (32768–60999): nodes keep ports across restarts, and a port from the
// ephemeral range could meanwhile become the local end of an outgoing
// connection, making the restart's listen fail.
func freePort(t testing.TB) int { return clustertest.FreePort(t) }

// procLog collects a process's output while tests read it (syncBuffer,
// or the HA harness's ringBuffer for long runs).
type procLog interface {
	Write(p []byte) (int, error)
	String() string
}

// nodeProc is a heliosdb-nano process started by a test.
type nodeProc struct {
	t        testing.TB
	dataDir  string
	pgPort   int
	httpPort int
	cmd      *exec.Cmd
	logs     procLog // written by the process while tests read it
	extra    []string
	// nativePort, when set, is kept across restarts (a primary's standbys
	// dial it); zero picks a free port at every start.
	nativePort int
	// env is added to the process's environment (e.g. GOMEMLIMIT).
	env []string
}

func newNode(t testing.TB, extra ...string) *nodeProc {
	return &nodeProc{t: t, dataDir: t.TempDir(), pgPort: freePort(t), httpPort: freePort(t), extra: extra}
}

func (p *nodeProc) args() []string {
	native := p.nativePort
	if native == 0 {
		native = freePort(p.t)
	}
	return append([]string{"start", "--data-dir", p.dataDir, "--listen", "127.0.0.1",
		"--pg-port", strconv.Itoa(p.pgPort), "--native-port", strconv.Itoa(native),
		"--http-port", strconv.Itoa(p.httpPort), "--node-id", "e2e", "--log-level", "debug"}, p.extra...)
}

// start launches the process and waits until it accepts SQL connections.
// A start that fails because a port is taken ("address already in use":
// a process that does not reserve its ports through FreePort bound it
// after it was picked) is retried on fresh ports — the PostgreSQL and
// HTTP ports, and the replication port unless it is kept (nativePort),
// so that other nodes' flags that name it stay right.
func (p *nodeProc) start() {
	p.t.Helper()
	for attempt := 1; ; attempt++ {
		exited, err := p.startOnce()
		if err == nil {
			return
		}
		if !exited || attempt == 3 || !strings.Contains(p.logs.String(), "address already in use") {
			p.t.Fatalf("node did not come up: %v; logs:\n%s", err, p.logs.String())
		}
		p.t.Logf("node start %d: a port was taken (%v); retrying on fresh ports", attempt, err)
		p.pgPort, p.httpPort = freePort(p.t), freePort(p.t)
	}
}

// startOnce launches the process and waits until it accepts SQL
// connections, it exits (exited), or 20 s pass.
func (p *nodeProc) startOnce() (exited bool, err error) {
	p.logs = &syncBuffer{}
	cmd := exec.Command(nanoBin, p.args()...)
	if len(p.env) > 0 {
		cmd.Env = append(os.Environ(), p.env...)
	}
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	p.cmd = cmd
	p.t.Cleanup(func() { p.kill() })
	gone := make(chan struct{})
	go func() { // notices an early exit without reaping the process (kill and stop Wait)
		var info unix.Siginfo
		for unix.Waitid(unix.P_PID, cmd.Process.Pid, &info, unix.WEXITED|unix.WNOWAIT, nil) == unix.EINTR {
		}
		close(gone)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		cctx, ccancel := context.WithTimeout(ctx, time.Second)
		c, err := pgx.Connect(cctx, p.dsn())
		ccancel()
		if err == nil {
			c.Close(context.Background())
			return false, nil
		}
		select {
		case <-gone:
			cmd.Wait()
			return true, fmt.Errorf("exited: %v", cmd.ProcessState)
		case <-ctx.Done():
			return false, fmt.Errorf("not accepting connections after 20s: %w", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (p *nodeProc) dsn() string {
	return fmt.Sprintf("postgres://helios:helios@127.0.0.1:%d/heliosdb?sslmode=disable", p.pgPort)
}

func (p *nodeProc) kill() {
	if p.cmd != nil && p.cmd.Process != nil && p.cmd.ProcessState == nil {
		p.cmd.Process.Signal(syscall.SIGKILL)
		p.cmd.Wait()
	}
}

// stop sends SIGTERM and returns the exit error.
func (p *nodeProc) stop() error {
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(20 * time.Second):
		p.kill()
		return fmt.Errorf("node did not stop within 20s after SIGTERM")
	}
}

func (p *nodeProc) connect(t testing.TB) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), p.dsn())
	if err != nil {
		t.Fatalf("connect: %v\nlogs:\n%s", err, p.logs.String())
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// httpGet and httpPost log in to the node's HTTP API as the test nodes'
// user (helios/helios).
func httpGet(url string) (int, string, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	req.SetBasicAuth("helios", "helios")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String(), nil
}

func httpPost(url, body string) (string, error) {
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth("helios", "helios")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return b.String(), nil
}

func mustExec(t testing.TB, c *pgx.Conn, sql string, args ...any) {
	t.Helper()
	if _, err := c.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}
