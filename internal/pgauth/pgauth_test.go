package pgauth_test

import (
	"errors"
	"testing"

	"github.com/xdg-go/scram"

	"github.com/heliosdb/nano/internal/pgauth"
)

func TestMD5(t *testing.T) {
	// Expected values computed independently with Python's hashlib.
	if got, want := pgauth.MD5Hash("postgres", "secret"), "md553f48b7c4b76a86ce72276c5755f217d"; got != want {
		t.Fatalf("MD5Hash = %q, want %q", got, want)
	}
	salt := [4]byte{1, 2, 3, 4}
	resp := pgauth.MD5Response("u", "pw", salt)
	if want := "md50803a98a0618b75c8f9a50f280cad373"; resp != want {
		t.Fatalf("MD5Response = %q, want %q", resp, want)
	}
	cases := []struct {
		name string
		user string
		pw   string
		salt [4]byte
		ok   bool
	}{
		{"right", "u", "pw", salt, true},
		{"wrong password", "u", "pX", salt, false},
		{"other user", "v", "pw", salt, false},
		{"other salt", "u", "pw", [4]byte{4, 3, 2, 1}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := pgauth.VerifyMD5(tc.user, tc.pw, tc.salt, resp); got != tc.ok {
				t.Errorf("VerifyMD5 = %v, want %v", got, tc.ok)
			}
		})
	}
	if !pgauth.VerifyCleartext("a", "a") || pgauth.VerifyCleartext("a", "b") {
		t.Error("VerifyCleartext is wrong")
	}
}

func TestSCRAM(t *testing.T) {
	s := pgauth.NewSCRAM()
	cases := []struct {
		name       string
		serverPass string
		known      bool
		clientPass string
		wantErr    error
	}{
		{"right password", "pencil", true, "pencil", nil},
		{"right password again (cached verifier)", "pencil", true, "pencil", nil},
		{"wrong password", "pencil", true, "crayon", pgauth.ErrAuthFailed},
		{"unknown user", "", false, "pencil", pgauth.ErrAuthFailed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			client, err := scram.SHA256.NewClient("", tc.clientPass, "")
			if err != nil {
				t.Fatal(err)
			}
			cc := client.NewConversation()
			conv := s.Start("user", tc.serverPass, tc.known)
			c1, _ := cc.Step("")
			s1, done, err := conv.Step([]byte(c1))
			if err != nil || done {
				t.Fatalf("first step: %v %v", done, err)
			}
			c2, err := cc.Step(string(s1))
			if err != nil {
				t.Fatal(err)
			}
			s2, done, err := conv.Step([]byte(c2))
			if !errors.Is(err, tc.wantErr) || !done {
				t.Fatalf("final step: done=%v err=%v, want %v", done, err, tc.wantErr)
			}
			if err == nil {
				if _, err := cc.Step(string(s2)); err != nil {
					t.Errorf("client rejects the server signature: %v", err)
				}
			}
			if _, _, err := conv.Step(nil); !errors.Is(err, pgauth.ErrProtocol) {
				t.Errorf("step after the end: %v", err)
			}
		})
	}
	if _, _, err := s.Start("u", "p", true).Step([]byte("garbage")); !errors.Is(err, pgauth.ErrProtocol) {
		t.Errorf("garbage first message: %v", err)
	}
}
