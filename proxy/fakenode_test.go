package proxy_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/heliosdb/nano/internal/clustertest"
	"github.com/heliosdb/nano/proxy"
	"github.com/heliosdb/nano/proxy/admin"
	"github.com/heliosdb/nano/proxy/config"
)

// fakeNode is a scripted PostgreSQL server standing in for a node where
// the real ones lack a feature (COPY): it trusts every login, answers the
// health probe as a primary of term 1, and serves COPY FROM STDIN (it
// records the data) and COPY TO STDOUT (two rows).
type fakeNode struct {
	t    *testing.T
	ln   net.Listener
	name string
	role string // reported to the health probe
	mu   sync.Mutex
	in   []string // CopyData received
	ran  []string // queries answered (other than probes)
	die  string   // a query on which the node drops the connection instead of answering
	wg   sync.WaitGroup
}

func startFakeNode(t *testing.T, name, role string) *fakeNode {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeNode{t: t, ln: ln, name: name, role: role}
	f.wg.Go(func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			f.wg.Go(func() { f.serve(nc) })
		}
	})
	t.Cleanup(func() { ln.Close(); f.wg.Wait() })
	return f
}

func (f *fakeNode) serve(nc net.Conn) {
	defer nc.Close()
	be := pgproto3.NewBackend(nc, nc)
	if _, err := be.ReceiveStartupMessage(); err != nil {
		return
	}
	be.Send(&pgproto3.AuthenticationOk{})
	be.Send(&pgproto3.ParameterStatus{Name: "server_version", Value: "15.0"})
	be.Send(&pgproto3.ParameterStatus{Name: "standard_conforming_strings", Value: "on"})
	be.Send(&pgproto3.ParameterStatus{Name: "client_encoding", Value: "UTF8"})
	be.Send(&pgproto3.BackendKeyData{ProcessID: 1, SecretKey: []byte{1, 2, 3, 4}})
	be.Send(&pgproto3.ReadyForQuery{TxStatus: 'I'})
	if be.Flush() != nil {
		return
	}
	for {
		msg, err := be.Receive()
		if err != nil {
			return
		}
		q, ok := msg.(*pgproto3.Query)
		if !ok {
			return
		}
		f.mu.Lock()
		die := f.die != "" && q.String == f.die
		f.mu.Unlock()
		if die {
			return // the node "crashes" mid-statement
		}
		if err := f.query(be, q.String); err != nil {
			return
		}
	}
}

func (f *fakeNode) query(be *pgproto3.Backend, sql string) error {
	switch {
	case strings.Contains(sql, "helios_node"):
		be.Send(&pgproto3.RowDescription{Fields: []pgproto3.FieldDescription{{Name: []byte("role")}, {Name: []byte("term")},
			{Name: []byte("applied_lsn")}, {Name: []byte("replication_lag_bytes")}, {Name: []byte("node_id")},
			{Name: []byte("http_address")}, {Name: []byte("native_address")}}})
		be.Send(&pgproto3.DataRow{Values: [][]byte{[]byte(f.role), []byte("1"), []byte("0/10"), []byte("0"), []byte(f.name), nil, nil}})
		be.Send(&pgproto3.CommandComplete{CommandTag: []byte("SELECT 1")})
	case strings.HasPrefix(sql, "SELECT 'who'"), strings.HasPrefix(sql, "INSERT"):
		f.mu.Lock()
		f.ran = append(f.ran, sql)
		f.mu.Unlock()
		if strings.HasPrefix(sql, "INSERT") {
			be.Send(&pgproto3.CommandComplete{CommandTag: []byte("INSERT 0 1")})
			break
		}
		be.Send(&pgproto3.RowDescription{Fields: []pgproto3.FieldDescription{{Name: []byte("who"), DataTypeOID: 25}}})
		be.Send(&pgproto3.DataRow{Values: [][]byte{[]byte(f.name)}})
		be.Send(&pgproto3.CommandComplete{CommandTag: []byte("SELECT 1")})
	case strings.Contains(strings.ToLower(sql), "from stdin"):
		be.Send(&pgproto3.CopyInResponse{OverallFormat: 0, ColumnFormatCodes: []uint16{0}})
		if err := be.Flush(); err != nil {
			return err
		}
		n := 0
	copying:
		for {
			msg, err := be.Receive()
			if err != nil {
				return err
			}
			switch m := msg.(type) {
			case *pgproto3.CopyData:
				f.mu.Lock()
				f.in = append(f.in, string(m.Data))
				f.mu.Unlock()
				n++
			case *pgproto3.CopyDone:
				break copying
			default:
				return errors.New("unexpected message during COPY")
			}
		}
		be.Send(&pgproto3.CommandComplete{CommandTag: []byte("COPY " + strconv.Itoa(n))})
	case strings.Contains(strings.ToLower(sql), "to stdout"):
		be.Send(&pgproto3.CopyOutResponse{OverallFormat: 0, ColumnFormatCodes: []uint16{0}})
		be.Send(&pgproto3.CopyData{Data: []byte("1\tone\n")})
		be.Send(&pgproto3.CopyData{Data: []byte("2\ttwo\n")})
		be.Send(&pgproto3.CopyDone{})
		be.Send(&pgproto3.CommandComplete{CommandTag: []byte("COPY 2")})
	default:
		be.Send(&pgproto3.ErrorResponse{Severity: "ERROR", Code: "0A000", Message: "fake node: unsupported"})
	}
	be.Send(&pgproto3.ReadyForQuery{TxStatus: 'I'})
	return be.Flush()
}

// TestCopyRelay: COPY FROM STDIN and COPY TO STDOUT data pass through the
// proxy in both directions (against a scripted node: HeliosDB nodes do
// not implement COPY yet).
func TestCopyRelay(t *testing.T) {
	f := startFakeNode(t, "fake", "primary")
	tp := proxyForFakes(t, f)
	ctx := context.Background()
	conn := tp.conn()
	n, err := conn.PgConn().CopyFrom(ctx, strings.NewReader("1\tone\n2\ttwo\n3\tthree\n"), "COPY t FROM STDIN")
	if err != nil || n.RowsAffected() != 1 {
		// The client sends its data in one CopyData; the fake counts messages.
		t.Fatalf("copy from: %v %v", n, err)
	}
	f.mu.Lock()
	got := strings.Join(f.in, "")
	f.mu.Unlock()
	if got != "1\tone\n2\ttwo\n3\tthree\n" {
		t.Errorf("node received %q", got)
	}
	var out strings.Builder
	tag, err := conn.PgConn().CopyTo(ctx, &out, "COPY t TO STDOUT")
	if err != nil || tag.String() != "COPY 2" || out.String() != "1\tone\n2\ttwo\n" {
		t.Fatalf("copy to: %q %q %v", tag, out.String(), err)
	}
	// The session is usable afterwards.
	_, err = conn.Exec(ctx, "SELECT 1")
	if pgCode(err) != "0A000" {
		t.Errorf("after COPY: %v", err)
	}
}

// proxyForFakes runs a proxy in front of scripted nodes.
func proxyForFakes(t *testing.T, nodes ...*fakeNode) *testProxy {
	t.Helper()
	return proxyForFakesWith(t, nil, nodes...)
}

// proxyForFakesWith is proxyForFakes with mutate applied to the config.
func proxyForFakesWith(t *testing.T, mutate func(*proxy.Config), nodes ...*fakeNode) *testProxy {
	t.Helper()
	cfg := proxy.Config{Config: config.Defaults()}
	cfg.ListenAddr, cfg.AdminAddr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.AuthMethod = config.AuthPassword
	cfg.HealthCheckInterval, cfg.WriteTimeout = 100*time.Millisecond, time.Second
	for _, f := range nodes {
		host, port, _ := net.SplitHostPort(f.ln.Addr().String())
		cfg.Nodes = append(cfg.Nodes, config.Node{Name: f.name, Host: host, Port: mustAtoi(t, port), Role: f.role, Enabled: true})
	}
	cfg.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if mutate != nil {
		mutate(&cfg)
	}
	p, err := proxy.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return &testProxy{t: t, p: p}
}

// TestLostMidStatement: a read whose node dies before answering is run
// again on another node; a write whose node dies gets 08006 and is not
// run again; the session stays usable.
func TestLostMidStatement(t *testing.T) {
	a := startFakeNode(t, "a", "primary")
	b := startFakeNode(t, "b", "standby")
	tp := proxyForFakes(t, a, b)
	ctx := context.Background()
	conn := tp.conn() // the first session reads on a (round robin starts there)
	var who string
	if err := conn.QueryRow(ctx, "SELECT 'who'", pgx.QueryExecModeSimpleProtocol).Scan(&who); err != nil || who != "a" {
		t.Fatalf("first read on %q, %v", who, err)
	}
	a.mu.Lock()
	a.die = "SELECT 'who' AS again"
	a.mu.Unlock()
	if err := conn.QueryRow(ctx, "SELECT 'who' AS again", pgx.QueryExecModeSimpleProtocol).Scan(&who); err != nil || who != "b" {
		t.Fatalf("read after a died: %q, %v", who, err)
	}

	a.mu.Lock()
	a.die = "INSERT INTO t VALUES (1)"
	a.mu.Unlock()
	clustertest.Eventually(t, 5*time.Second, "a healthy again", func() bool {
		var nodes []admin.Node
		tp.admin("GET", "/nodes", &nodes)
		return nodes[0].Healthy
	})
	_, err := conn.Exec(ctx, "INSERT INTO t VALUES (1)", pgx.QueryExecModeSimpleProtocol)
	if pgCode(err) != "08006" {
		t.Fatalf("write lost mid-flight: %v", err)
	}
	t.Logf("write lost mid-flight: %v", err)
	if err := conn.QueryRow(ctx, "SELECT 'who'", pgx.QueryExecModeSimpleProtocol).Scan(&who); err != nil {
		t.Fatalf("session unusable after the lost write: %v", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, q := range b.ran {
		if strings.HasPrefix(q, "INSERT") {
			t.Errorf("the lost write ran again on b: %q", q)
		}
	}
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
