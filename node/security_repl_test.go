package node_test

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/heliosdb/nano/internal/clustertest"
	"github.com/heliosdb/nano/node"
)

// tapListener records what clients send.
type tapListener struct {
	net.Listener
	mu  sync.Mutex
	got bytes.Buffer
}

func (l *tapListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &tapConn{Conn: c, l: l}, nil
}

type tapConn struct {
	net.Conn
	l *tapListener
}

func (c *tapConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.l.mu.Lock()
	c.l.got.Write(p[:n])
	c.l.mu.Unlock()
	return n, err
}

// TestDemoteToAttackerLeaksNothing: an operator (or anyone holding the
// credentials) pointing a node at an attacker's "primary" — a plain gRPC
// server that records every call's metadata and every byte — gives the
// attacker nothing: no password, no secret, no bearer token, no call.
func TestDemoteToAttackerLeaksNothing(t *testing.T) {
	primary := clustertest.NewMember(t, "primary", clustertest.Options{}, func(c *node.Config) { c.Role = node.RolePrimary })
	primary.Start()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tap := &tapListener{Listener: ln}
	var mu sync.Mutex
	var calls []metadata.MD
	g := grpc.NewServer(grpc.UnknownServiceHandler(func(_ any, ss grpc.ServerStream) error {
		md, _ := metadata.FromIncomingContext(ss.Context())
		mu.Lock()
		calls = append(calls, md)
		mu.Unlock()
		return fmt.Errorf("attacker")
	}))
	go g.Serve(tap)
	t.Cleanup(g.Stop)
	host, port := hostPort(t, ln.Addr().String())

	code, body := do(t, primary.HTTPURL(), httpProbe{"POST", "/admin/demote",
		fmt.Sprintf(`{"primary_host":%q,"primary_port":%d}`, host, port)}, basic("helios", "helios"))
	if code != http.StatusOK {
		t.Fatalf("demote: %d %s", code, body)
	}
	clustertest.Eventually(t, 10*time.Second, "the node dialed the attacker", func() bool {
		tap.mu.Lock()
		defer tap.mu.Unlock()
		return tap.got.Len() > 0
	})
	time.Sleep(500 * time.Millisecond) // let it retry
	mu.Lock()
	defer mu.Unlock()
	if len(calls) > 0 {
		t.Errorf("the attacker received %d gRPC calls; the first carried %v", len(calls), calls[0])
	}
	tap.mu.Lock()
	got := tap.got.String()
	tap.mu.Unlock()
	for _, s := range []string{"helios", "Bearer", "authorization"} {
		if strings.Contains(got, s) {
			t.Errorf("the attacker's listener received %q", s)
		}
	}
}
