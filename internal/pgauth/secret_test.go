package pgauth_test

import (
	"errors"
	"testing"

	"github.com/xdg-go/scram"

	"github.com/heliosdb/nano/internal/pgauth"
)

// scramLogin runs a whole SCRAM exchange of a client with clientPass
// against secret.
func scramLogin(t *testing.T, s *pgauth.SCRAM, secret pgauth.Secret, clientPass string) error {
	t.Helper()
	client, err := scram.SHA256.NewClient("", clientPass, "")
	if err != nil {
		t.Fatal(err)
	}
	cc := client.NewConversation()
	conv := s.StartSecret("user", secret, true)
	c1, _ := cc.Step("")
	s1, _, err := conv.Step([]byte(c1))
	if err != nil {
		return err
	}
	c2, err := cc.Step(string(s1))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = conv.Step([]byte(c2))
	return err
}

// TestSecretForms: a user's secret may be stored as PostgreSQL stores it
// (SCRAM verifier, md5 hash) or in plain; every method checks each form
// it can.
func TestSecretForms(t *testing.T) {
	verifier := pgauth.SCRAMVerifier("pencil")
	scramSecret, err := pgauth.ParseSecret(verifier)
	if err != nil || scramSecret.Kind() != pgauth.SecretSCRAM {
		t.Fatalf("ParseSecret(%q) = %v, %v", verifier, scramSecret.Kind(), err)
	}
	md5Secret, err := pgauth.ParseSecret(pgauth.MD5Hash("user", "pencil"))
	if err != nil || md5Secret.Kind() != pgauth.SecretMD5 {
		t.Fatalf("ParseSecret(md5) = %v, %v", md5Secret.Kind(), err)
	}
	plain, _ := pgauth.ParseSecret("pencil")
	if plain.Kind() != pgauth.SecretPlain {
		t.Fatalf("ParseSecret(plain) kind %v", plain.Kind())
	}
	s := pgauth.NewSCRAM()
	salt := [4]byte{9, 8, 7, 6}
	for _, tc := range []struct {
		name   string
		secret pgauth.Secret
		scram  bool // a SCRAM exchange can succeed
		md5    bool
	}{
		{"scram verifier", scramSecret, true, false},
		{"md5 hash", md5Secret, false, true},
		{"plain", plain, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.secret.VerifyCleartext("user", "pencil") || tc.secret.VerifyCleartext("user", "crayon") {
				t.Error("VerifyCleartext is wrong")
			}
			if got := tc.secret.VerifyMD5("user", salt, pgauth.MD5Response("user", "pencil", salt)); got != tc.md5 {
				t.Errorf("VerifyMD5 right password = %v, want %v", got, tc.md5)
			}
			if tc.secret.VerifyMD5("user", salt, pgauth.MD5Response("user", "crayon", salt)) {
				t.Error("VerifyMD5 accepts a wrong password")
			}
			if tc.secret.SupportsMD5() == (tc.secret.Kind() == pgauth.SecretSCRAM) {
				t.Error("SupportsMD5 is wrong")
			}
			err := scramLogin(t, s, tc.secret, "pencil")
			if (err == nil) != tc.scram {
				t.Errorf("SCRAM with the right password: %v", err)
			}
			if err := scramLogin(t, s, tc.secret, "crayon"); !errors.Is(err, pgauth.ErrAuthFailed) {
				t.Errorf("SCRAM with a wrong password: %v", err)
			}
		})
	}
	for _, bad := range []string{"SCRAM-SHA-256$x:AA==$AA==:AA==", "SCRAM-SHA-256$4096:AA==", "SCRAM-SHA-256$4096:!!$AA==:AA=="} {
		if _, err := pgauth.ParseSecret(bad); !errors.Is(err, pgauth.ErrBadSecret) {
			t.Errorf("ParseSecret(%q) = %v, want ErrBadSecret", bad, err)
		}
	}
}
