package pgfront_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/heliosdb/nano/internal/pgauth"
	"github.com/heliosdb/nano/pgwire/pgfront"
)

// rules maps a user to a method; users not in it match no rule.
type rules map[string]pgfront.Method

func (r rules) Method(c pgfront.Client) (pgfront.Method, bool) {
	m, ok := r[c.User]
	return m, ok
}

func login(addr, user, password string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, fmt.Sprintf("postgres://%s:%s@%s/db?sslmode=disable", user, password, addr))
	if err != nil {
		return err
	}
	return c.Close(ctx)
}

func code(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code + " " + pe.Message
	}
	return fmt.Sprint(err)
}

// TestMethodsAndSecrets: every method against every stored form of a
// secret, through pgx; an md5 rule with a SCRAM verifier runs SCRAM (as
// PostgreSQL); rule refusals carry PostgreSQL's 28000 texts.
func TestMethodsAndSecrets(t *testing.T) {
	scram, _ := pgauth.ParseSecret(pgauth.SCRAMVerifier("pw"))
	secrets := map[string]pgauth.Secret{}
	r := rules{"rejected": pgfront.MethodReject, "trusted": pgfront.MethodTrust}
	for _, m := range []pgfront.Method{pgfront.MethodSCRAM, pgfront.MethodMD5, pgfront.MethodPassword} {
		for _, kind := range []string{"plain", "scram", "md5"} {
			user := string(m[:3]) + "_" + kind
			if m == pgfront.MethodMD5 {
				user = "md5_" + kind
			}
			sec := pgauth.PlainSecret("pw")
			switch kind {
			case "scram":
				sec = scram
			case "md5": // an md5 hash is salted with the user name
				sec, _ = pgauth.ParseSecret(pgauth.MD5Hash(user, "pw"))
			}
			secrets[user], r[user] = sec, m
		}
	}
	s := startServer(t, pgfront.Config{Rules: r, Users: pgfront.UsersFunc(func(u string) (pgauth.Secret, bool) {
		sec, ok := secrets[u]
		return sec, ok
	})})
	for user, m := range r {
		if m == pgfront.MethodReject || m == pgfront.MethodTrust {
			continue
		}
		// SCRAM cannot check an md5 hash (PostgreSQL: "User does not
		// have a valid SCRAM secret"): that login fails like a wrong one.
		canLogin := !(m == pgfront.MethodSCRAM && secrets[user].Kind() == pgauth.SecretMD5)
		err := login(s.addr, user, "pw")
		if (err == nil) != canLogin {
			t.Errorf("%s (%s, %v secret) right password: %v", user, m, secrets[user].Kind(), err)
		}
		if got := code(login(s.addr, user, "wrong")); got != fmt.Sprintf(`28P01 password authentication failed for user "%s"`, user) {
			t.Errorf("%s wrong password: %s", user, got)
		}
	}
	if got := code(login(s.addr, "trusted", "")); got != "<nil>" {
		t.Errorf("trust: %s", got)
	}
	for user, want := range map[string]string{
		"rejected": `28000 pg_hba.conf rejects connection for host "127.0.0.1", user "rejected", database "db", no encryption`,
		"nobody":   `28000 no pg_hba.conf entry for host "127.0.0.1", user "nobody", database "db", no encryption`,
	} {
		if got := code(login(s.addr, user, "pw")); got != want {
			t.Errorf("%s: %s, want %s", user, got, want)
		}
	}
}

// TestSCRAMErrorsMatchPostgreSQL: malformed SASL messages get the texts
// PostgreSQL 15 sends (checked against it). Node and proxy share this
// code; before pgfront the node sent the raw pgauth error and the proxy
// another text.
func TestSCRAMErrorsMatchPostgreSQL(t *testing.T) {
	s := startServer(t, pgfront.Config{Rules: pgfront.SingleRule{Use: pgfront.MethodSCRAM},
		Users: pgfront.UsersFunc(func(string) (pgauth.Secret, bool) { return pgauth.PlainSecret("pw"), true })})
	for _, tc := range []struct {
		name string
		send func(fe *pgproto3.Frontend)
		want string
	}{
		{"wrong message type", func(fe *pgproto3.Frontend) { fe.Send(&pgproto3.Query{String: ""}) },
			"FATAL 08P01 expected SASL response, got message type 81"},
		{"unknown mechanism", func(fe *pgproto3.Frontend) {
			fe.Send(&pgproto3.SASLInitialResponse{AuthMechanism: "SCRAM-SHA-1", Data: []byte("n,,n=,r=abc")})
		}, "FATAL 08P01 client selected an invalid SASL authentication mechanism"},
		{"garbage client-first", func(fe *pgproto3.Frontend) {
			fe.Send(&pgproto3.SASLInitialResponse{AuthMechanism: "SCRAM-SHA-256", Data: []byte("garbage")})
		}, "FATAL 08P01 malformed SCRAM message"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nc := dial(t, s.addr)
			if _, err := nc.Write(startupPacket("u")); err != nil {
				t.Fatal(err)
			}
			fe := pgproto3.NewFrontend(nc, nc)
			if msg, err := fe.Receive(); err != nil {
				t.Fatal(err)
			} else if _, ok := msg.(*pgproto3.AuthenticationSASL); !ok {
				t.Fatalf("got %T", msg)
			}
			tc.send(fe)
			if err := fe.Flush(); err != nil {
				t.Fatal(err)
			}
			got := messages(nc, nc)
			if len(got) != 1 || len(got[0]) < len(tc.want) || got[0][:len(tc.want)] != tc.want {
				t.Errorf("got %q, want %q…", got, tc.want)
			}
		})
	}
}

// TestCancelKeys: a CancelRequest with a connection's key runs its cancel
// function; a wrong secret does nothing.
func TestCancelKeys(t *testing.T) {
	f, err := pgfront.New(pgfront.Config{Rules: pgfront.SingleRule{Use: pgfront.MethodTrust}})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cancelled := make(chan struct{}, 4)
	conns := make(chan *pgfront.Conn, 4)
	go func() {
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			fc, err := f.Accept(nc)
			if err != nil {
				continue
			}
			fc.SetCancel(func() { cancelled <- struct{}{} })
			conns <- fc
			go func() { defer fc.Close(); _, _ = fc.Startup() }()
		}
	}()
	dial(t, l.Addr().String()) // the connection whose statement is cancelled
	fc := <-conns
	send := func(secret [4]byte) {
		nc := dial(t, l.Addr().String())
		body := binary.BigEndian.AppendUint32(nil, fc.PID())
		if _, err := nc.Write(packet(cancelRequest, string(append(body, secret[:]...)))); err != nil {
			t.Fatal(err)
		}
		if got := messages(nc, nc); len(got) != 0 { // closed without a word, as PostgreSQL
			t.Errorf("cancel connection got %q", got)
		}
		<-conns
	}
	wrong := fc.Secret()
	wrong[0] ^= 1
	send(wrong)
	send(fc.Secret())
	select {
	case <-cancelled:
	case <-time.After(10 * time.Second):
		t.Fatal("the right key did not cancel")
	}
	if len(cancelled) != 0 {
		t.Error("the wrong key cancelled too")
	}
	f.CloseAll()
}

// TestRequireTLSWrapsRules: RequireTLS over a rule list refuses an
// unencrypted client even where the list would let it in.
func TestRequireTLSWrapsRules(t *testing.T) {
	r := pgfront.RequireTLS(rules{"u": pgfront.MethodTrust})
	if _, ok := r.Method(pgfront.Client{User: "u"}); ok {
		t.Error("plaintext client matched")
	}
	if m, ok := r.Method(pgfront.Client{User: "u", TLS: true}); !ok || m != pgfront.MethodTrust {
		t.Errorf("TLS client: %v %v", m, ok)
	}
	if _, ok := r.Method(pgfront.Client{User: "other", TLS: true}); ok {
		t.Error("a user the list does not name matched")
	}
}

// firstAuthRequest sends a startup message as user and returns the type
// of the server's first authentication request.
func firstAuthRequest(t *testing.T, addr, user string) string {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	fe := pgproto3.NewFrontend(nc, nc)
	fe.Send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": user, "database": "db"}})
	if err := fe.Flush(); err != nil {
		t.Fatal(err)
	}
	m, err := fe.Receive()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%T", m)
}

// TestMD5RuleUnknownUser: under an md5 rule, an unknown user (or one
// without a password) is asked for SCRAM, like a user whose password is a
// SCRAM verifier — the form CREATE ROLE stores — and only a user whose
// stored password is an md5 hash (or the configured plain one) is asked
// for md5. PostgreSQL 15 does the same (checked against it with md5 in
// pg_hba.conf: "ghost" and a SCRAM role get AuthenticationSASL, a role
// created under password_encryption=md5 AuthenticationMD5Password), so the
// first answer does not tell whether a user exists. Before, an unknown
// user got an md5 challenge and a SCRAM role a SASL one.
func TestMD5RuleUnknownUser(t *testing.T) {
	scram, _ := pgauth.ParseSecret(pgauth.SCRAMVerifier("pw"))
	md5, _ := pgauth.ParseSecret(pgauth.MD5Hash("md5user", "pw"))
	secrets := map[string]pgauth.Secret{"scramuser": scram, "md5user": md5, "plainuser": pgauth.PlainSecret("pw")}
	s := startServer(t, pgfront.Config{Rules: pgfront.SingleRule{Use: pgfront.MethodMD5}, Users: pgfront.UsersFunc(func(u string) (pgauth.Secret, bool) {
		sec, ok := secrets[u]
		return sec, ok
	})})
	for user, want := range map[string]string{
		"ghost":     "*pgproto3.AuthenticationSASL",
		"scramuser": "*pgproto3.AuthenticationSASL",
		"md5user":   "*pgproto3.AuthenticationMD5Password",
		"plainuser": "*pgproto3.AuthenticationMD5Password",
	} {
		if got := firstAuthRequest(t, s.addr, user); got != want {
			t.Errorf("%s: first request %s, want %s", user, got, want)
		}
		wantErr := fmt.Sprintf(`28P01 password authentication failed for user "%s"`, user)
		if got := code(login(s.addr, user, "wrong")); got != wantErr {
			t.Errorf("%s wrong password: %s, want %s", user, got, wantErr)
		}
	}
	if err := login(s.addr, "ghost", "pw"); code(err) != `28P01 password authentication failed for user "ghost"` {
		t.Errorf("ghost: %s", code(err))
	}
}
