package pgauth_test

import (
	"strings"
	"testing"

	"github.com/heliosdb/nano/internal/pgauth"
)

func TestEncryptPassword(t *testing.T) {
	// A verifier PostgreSQL 15 stored for the password "pw1".
	const pg = "SCRAM-SHA-256$4096:/YO6e2+IwG+W0q2GXO6L5w==$4ous6Itv03B5E+6WDo3rEdQAglCZiZIfs44ti44z9DI=:glbQwi8OD9/ZD0LWFQMO7DJUCp9+Wl3kalzlAWtKpC0="
	const md5 = "md5aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	for _, kept := range []string{pg, md5} {
		if got := pgauth.EncryptPassword(kept); got != kept {
			t.Errorf("EncryptPassword(%q) = %q, want it stored as is", kept, got)
		}
	}
	v := pgauth.EncryptPassword("pw1")
	if !strings.HasPrefix(v, "SCRAM-SHA-256$4096:") || strings.Contains(v, "pw1") {
		t.Fatalf("EncryptPassword(pw1) = %q, want a SCRAM verifier", v)
	}
	s := pgauth.NewSCRAM()
	for _, stored := range []string{pg, v} {
		sec, err := pgauth.ParseSecret(stored)
		if err != nil {
			t.Fatal(err)
		}
		if !s.CheckPassword("r1", sec, true, "pw1") || s.CheckPassword("r1", sec, true, "pw2") {
			t.Errorf("CheckPassword against %q is wrong", stored)
		}
		if s.CheckPassword("r1", sec, false, "pw1") {
			t.Error("an unknown user passed")
		}
	}
}
