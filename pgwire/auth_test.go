package pgwire_test

import (
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/heliosdb/nano/pgwire"
	"github.com/heliosdb/nano/pgwire/pgwiretest"
)

func TestAuthentication(t *testing.T) {
	methods := []string{pgwire.AuthSCRAM, pgwire.AuthMD5, pgwire.AuthPassword, pgwire.AuthTrust}
	cases := []struct {
		name     string
		user     string
		password string
		wantCode string // "" = success
	}{
		{"right password", testUser, "s3cret%20p%C3%A4ssword", ""},
		{"wrong password", testUser, "wrong", "28P01"},
		{"unknown user", "nobody", "s3cret%20p%C3%A4ssword", "28P01"},
	}
	for _, method := range methods {
		t.Run(method, func(t *testing.T) {
			_, addr, f := startServer(t, pgwire.Config{AuthMethod: method})
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					want := tc.wantCode
					if method == pgwire.AuthTrust {
						want = ""
					}
					conn, err := pgx.Connect(testCtx(t), pgwiretest.ConnString(addr, tc.user, tc.password, "db1"))
					if got := pgCode(err); got != want || (want == "" && err != nil) {
						t.Fatalf("connect: err %v (code %q), want code %q", err, got, want)
					}
					if err != nil {
						return
					}
					defer conn.Close(testCtx(t))
					var n int
					if err := conn.QueryRow(testCtx(t), pgwiretest.SelectOne, pgx.QueryExecModeSimpleProtocol).Scan(&n); err != nil || n != 1 {
						t.Fatalf("SELECT 1 = %d, %v", n, err)
					}
					if pid := conn.PgConn().PID(); pid == 0 {
						t.Errorf("BackendKeyData pid is 0")
					}
				})
			}
			infos := f.Infos()
			if len(infos) == 0 || infos[0].Database != "db1" || infos[0].User != testUser || infos[0].ProcessID == 0 {
				t.Errorf("StartupInfo = %+v", infos)
			}
		})
	}
}

func TestAuthenticationErrorMessage(t *testing.T) {
	_, addr, _ := startServer(t, pgwire.Config{})
	_, err := pgx.Connect(testCtx(t), pgwiretest.ConnString(addr, "x", "y", "db"))
	if code := pgCode(err); code != "28P01" {
		t.Fatalf("code %q (%v), want 28P01", code, err)
	}
	if want := `password authentication failed for user "x"`; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not mention %q", err, want)
	}
}

func TestNewServerValidates(t *testing.T) {
	cases := []struct {
		name string
		cfg  pgwire.Config
	}{
		{"no credentials", pgwire.Config{AuthMethod: pgwire.AuthMD5}},
		{"unknown method", pgwire.Config{AuthMethod: "kerberos", Credentials: pgwiretest.Users(nil)}},
		{"negative size", pgwire.Config{AuthMethod: pgwire.AuthTrust, MaxMessageSize: -1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := pgwire.NewServer(tc.cfg, pgwiretest.NewFactory()); err == nil {
				t.Fatal("NewServer accepted an invalid config")
			}
		})
	}
}
