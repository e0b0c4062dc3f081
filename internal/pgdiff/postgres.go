package pgdiff

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// PGBinDir is where Debian's postgresql-15 package puts the server binaries
// (scripts/install-test-deps.sh installs it).
const PGBinDir = "/usr/lib/postgresql/15/bin"

// osUser is the account PostgreSQL runs as when we are root: it refuses to
// run as root.
const osUser = "postgres"

// Postgres is a PostgreSQL 15 server started by StartPostgres in a
// temporary directory, listening on 127.0.0.1 only.
type Postgres struct {
	Port int
	dir  string
	cmd  *exec.Cmd
	done chan error
	log  *tailBuffer
}

// StartPostgres runs initdb in a new temporary directory and starts
// postgres on a free 127.0.0.1 port (its Unix socket in that directory),
// with fixed settings so answers do not depend on the machine: C locale,
// UTF8, TimeZone UTC, no fsync. As root it runs both as the system user
// "postgres", creating that user when missing.
func StartPostgres(ctx context.Context) (*Postgres, error) {
	if _, err := os.Stat(filepath.Join(PGBinDir, "postgres")); err != nil {
		return nil, fmt.Errorf("pgdiff: PostgreSQL 15 is not installed (run scripts/install-test-deps.sh): %w", err)
	}
	cred, err := credential()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pgdiff-")
	if err != nil {
		return nil, err
	}
	p := &Postgres{dir: dir, log: &tailBuffer{}}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("pgdiff: chown %s: %w", dir, err)
		}
	}
	data := filepath.Join(dir, "data")
	initdb := exec.CommandContext(ctx, filepath.Join(PGBinDir, "initdb"), "-D", data, "-U", "postgres",
		"-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	initdb.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	if out, err := initdb.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("pgdiff: initdb: %w\n%s", err, out)
	}
	if p.Port, err = freePort(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := p.start(ctx, cred, data); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return p, nil
}

func (p *Postgres) start(ctx context.Context, cred *syscall.Credential, data string) error {
	p.cmd = exec.Command(filepath.Join(PGBinDir, "postgres"), "-D", data,
		"-p", strconv.Itoa(p.Port), "-k", p.dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
		"-c", "full_page_writes=off", "-c", "TimeZone=UTC", "-c", "max_connections=50",
		"-c", "lc_messages=C", "-c", "logging_collector=off")
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true}
	p.cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := p.cmd.Start(); err != nil {
		return fmt.Errorf("pgdiff: starting postgres: %w", err)
	}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			p.log.add(line)
			if strings.Contains(line, "database system is ready to accept connections") {
				close(ready)
				io.Copy(io.Discard, stderr) // keep draining; the log is not needed any more
				return
			}
		}
	}()
	p.done = make(chan error, 1)
	go func() { p.done <- p.cmd.Wait() }()
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	select {
	case <-ready:
		return nil
	case err := <-p.done:
		p.done <- err
		return fmt.Errorf("pgdiff: postgres exited during startup: %v\n%s", err, p.log)
	case <-wctx.Done():
		p.Stop()
		return fmt.Errorf("pgdiff: postgres not ready: %w\n%s", wctx.Err(), p.log)
	}
}

// DSN is the connection string for database db as the superuser postgres.
func (p *Postgres) DSN(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", p.Port, db)
}

// CreateDatabase creates an empty database for one corpus file.
func (p *Postgres) CreateDatabase(ctx context.Context, name string) error {
	s, err := Dial(ctx, p.DSN("postgres"))
	if err != nil {
		return err
	}
	defer s.Close()
	if r := s.Exec(ctx, "CREATE DATABASE "+name); r.Code != "" {
		return fmt.Errorf("pgdiff: CREATE DATABASE %s: %s %s", name, r.Code, r.Message)
	}
	return nil
}

// Stop shuts the server down (fast shutdown, then SIGKILL after 20 s) and
// removes its directory.
func (p *Postgres) Stop() {
	if p.cmd != nil && p.cmd.Process != nil {
		p.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-p.done:
		case <-time.After(20 * time.Second):
			syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
	}
	os.RemoveAll(p.dir)
}

// credential is the user to run PostgreSQL as: nil (ourselves) unless we
// are root.
func credential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup(osUser)
	var unknown user.UnknownUserError
	if errors.As(err, &unknown) {
		out, uerr := exec.Command("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", osUser).CombinedOutput()
		if uerr != nil {
			return nil, fmt.Errorf("pgdiff: useradd %s: %w\n%s", osUser, uerr, out)
		}
		u, err = user.Lookup(osUser)
	}
	if err != nil {
		return nil, fmt.Errorf("pgdiff: looking up user %s: %w", osUser, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgdiff: finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tailBuffer keeps the startup log for error messages.
type tailBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (b *tailBuffer) add(l string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.lines) < 200 {
		b.lines = append(b.lines, l)
	}
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.lines, "\n")
}
