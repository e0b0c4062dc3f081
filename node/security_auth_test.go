package node_test

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/heliosdb/nano/internal/clustertest"
	"github.com/heliosdb/nano/node"
)

// scramSalt runs a SCRAM exchange as user up to the server-first message
// and returns its salt.
func scramSalt(t *testing.T, addr, user string) string {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	fe := pgproto3.NewFrontend(nc, nc)
	fe.Send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": user, "database": "heliosdb"}})
	if err := fe.Flush(); err != nil {
		t.Fatal(err)
	}
	if m, err := fe.Receive(); err != nil {
		t.Fatal(err)
	} else if _, ok := m.(*pgproto3.AuthenticationSASL); !ok {
		t.Fatalf("got %T, want AuthenticationSASL", m)
	}
	fe.Send(&pgproto3.SASLInitialResponse{AuthMechanism: "SCRAM-SHA-256", Data: []byte("n,,n=,r=abcdefghijklmnopqrstuvwx")})
	if err := fe.Flush(); err != nil {
		t.Fatal(err)
	}
	m, err := fe.Receive()
	if err != nil {
		t.Fatal(err)
	}
	c, ok := m.(*pgproto3.AuthenticationSASLContinue)
	if !ok {
		t.Fatalf("got %T, want AuthenticationSASLContinue", m)
	}
	for _, f := range strings.Split(string(c.Data), ",") {
		if s, ok := strings.CutPrefix(f, "s="); ok {
			return s
		}
	}
	t.Fatalf("no salt in %q", c.Data)
	return ""
}

// TestNoUserEnumeration: an unknown user sees a salt as stable as a real
// user's, and a failed login takes as long either way (PostgreSQL's mock
// authentication). Main gave unknown users a fresh salt per attempt and
// was ~6x slower for them.
func TestNoUserEnumeration(t *testing.T) {
	m := clustertest.NewMember(t, "primary", clustertest.Options{}, func(c *node.Config) { c.Role = node.RolePrimary })
	m.Start()
	addr := strings.Split(strings.Split(m.DSN(), "@")[1], "/")[0]
	for _, user := range []string{"helios", "mallory", "eve"} {
		first := scramSalt(t, addr, user)
		for range 3 {
			if got := scramSalt(t, addr, user); got != first {
				t.Errorf("user %s: salt changed between attempts (%s, %s): a real user's does not", user, first, got)
			}
		}
	}
	if scramSalt(t, addr, "mallory") == scramSalt(t, addr, "eve") {
		t.Error("two unknown users share a salt")
	}

	// Timing: failed logins (wrong password) of a known and an unknown
	// user, interleaved; compare medians.
	login := func(user string) time.Duration {
		start := time.Now()
		c, err := pgx.Connect(context.Background(), fmt.Sprintf("postgres://%s:wrong@%s/heliosdb?sslmode=disable", user, addr))
		if err == nil {
			c.Close(context.Background())
			t.Fatal("login with a wrong password succeeded")
		}
		if !strings.Contains(err.Error(), "28P01") {
			t.Fatalf("%s: %v, want 28P01", user, err)
		}
		return time.Since(start)
	}
	var known, unknown []time.Duration
	for i := range 40 {
		known = append(known, login("helios"))
		unknown = append(unknown, login(fmt.Sprintf("ghost%d", i%4)))
	}
	slices.Sort(known)
	slices.Sort(unknown)
	k, u := known[len(known)/2], unknown[len(unknown)/2]
	t.Logf("median failed login: known user %v, unknown user %v (ratio %.2f)", k, u, float64(u)/float64(k))
	if u > 3*k || k > 3*u {
		t.Errorf("failed logins of known (%v) and unknown (%v) users differ by more than 3x", k, u)
	}
}
