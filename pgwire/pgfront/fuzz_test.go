package pgfront_test

import (
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/heliosdb/nano/internal/pgauth"
	"github.com/heliosdb/nano/pgwire/pgfront"
)

// byUser picks the authentication method from the startup packet's user,
// so that one fuzz input reaches every method's messages.
type byUser struct{}

func (byUser) Method(c pgfront.Client) (pgfront.Method, bool) {
	switch c.User {
	case "scram":
		return pgfront.MethodSCRAM, true
	case "md5":
		return pgfront.MethodMD5, true
	case "pw":
		return pgfront.MethodPassword, true
	case "nobody":
		return "", false
	case "reject":
		return pgfront.MethodReject, true
	}
	return pgfront.MethodTrust, true
}

// FuzzStartup sends arbitrary bytes as a client's first bytes — the
// startup packet, SSLRequest/GSSENCRequest/CancelRequest and the
// authentication messages of SCRAM, MD5 and cleartext password (chosen by
// the startup packet's user): the server must answer and close, never
// panic or hang, and keep accepting other clients.
func FuzzStartup(f *testing.F) {
	pw := func(s string) []byte { b, _ := (&pgproto3.PasswordMessage{Password: s}).Encode(nil); return b }
	sasl, _ := (&pgproto3.SASLInitialResponse{AuthMechanism: "SCRAM-SHA-256", Data: []byte("n,,n=,r=abcdefghijklmnop")}).Encode(nil)
	saslResp, _ := (&pgproto3.SASLResponse{Data: []byte("c=biws,r=abcdefghijklmnop,p=AAAA")}).Encode(nil)
	f.Add(startupPacket("u"))
	f.Add(append(startupPacket("pw"), pw("secret")...))
	f.Add(append(startupPacket("md5"), pw("md5deadbeefdeadbeefdeadbeefdeadbeef")...))
	f.Add(append(append(startupPacket("scram"), sasl...), saslResp...))
	f.Add(append(packet(sslRequest, ""), startupPacket("u")...))
	f.Add(append(packet(gssEncRequest, ""), packet(sslRequest, "")...))
	f.Add(packet(cancelRequest, "\x00\x00\x00\x01\x00\x00\x00\x02"))
	f.Add(packet(protocol30|1, "user\x00u\x00_pq_.x\x00y\x00\x00"))
	f.Add(packet(protocol30, "user\x00u"))
	f.Add([]byte{0x7f, 0, 0, 0, 0, 3, 0, 0})

	srv := startServer(f, pgfront.Config{Rules: byUser{},
		Users: pgfront.UsersFunc(func(user string) (pgauth.Secret, bool) {
			return pgauth.PlainSecret("secret"), user != "unknown"
		}),
		StartupTimeout: 5 * time.Second,
		Logger:         slog.New(slog.DiscardHandler)})
	f.Fuzz(func(t *testing.T, data []byte) {
		nc, err := net.DialTimeout("tcp", srv.addr, 10*time.Second)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		defer nc.Close()
		_ = nc.SetDeadline(time.Now().Add(20 * time.Second))
		if _, err := nc.Write(data); err != nil {
			return
		}
		_ = nc.(*net.TCPConn).CloseWrite()
		if _, err := io.Copy(io.Discard, nc); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("the server neither answered nor closed the connection")
			}
		}
	})
}
