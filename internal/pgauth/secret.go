package pgauth

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/xdg-go/scram"
	"github.com/xdg-go/stringprep"
)

// SecretKind says what a stored Secret holds.
type SecretKind int

// The forms PostgreSQL stores in pg_authid.rolpassword.
const (
	SecretPlain SecretKind = iota // the password itself (configuration files)
	SecretMD5                     // "md5" + hex(md5(password + user))
	SecretSCRAM                   // "SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>"
)

// Secret is what a server keeps to check one user's password. The zero
// value is an empty plain password. Secrets are immutable values, safe to
// share between goroutines.
type Secret struct {
	kind  SecretKind
	plain string // SecretPlain: the password; SecretMD5: the stored hash
	scram scram.StoredCredentials
}

// PlainSecret is a password kept as it is (the configured user of a node,
// the users of the proxy's file).
func PlainSecret(password string) Secret { return Secret{kind: SecretPlain, plain: password} }

// Kind reports what s holds.
func (s Secret) Kind() SecretKind { return s.kind }

// ParseSecret reads a secret in PostgreSQL's rolpassword forms: a SCRAM
// verifier, an md5 hash, or else a plain password (as PostgreSQL reads a
// string that is neither).
func ParseSecret(stored string) (Secret, error) {
	switch {
	case strings.HasPrefix(stored, "SCRAM-SHA-256$"):
		creds, err := parseSCRAMVerifier(stored)
		if err != nil {
			return Secret{}, err
		}
		return Secret{kind: SecretSCRAM, scram: creds}, nil
	case len(stored) == 35 && strings.HasPrefix(stored, "md5") && isHex(stored[3:]):
		return Secret{kind: SecretMD5, plain: stored}, nil
	}
	return PlainSecret(stored), nil
}

// SCRAMVerifier returns the SCRAM-SHA-256 verifier of password with a new
// random salt, in PostgreSQL's rolpassword form: what a server stores
// instead of the password.
func SCRAMVerifier(password string) string {
	return formatSCRAMVerifier(deriveVerifier(password, randomSalt()))
}

func formatSCRAMVerifier(c scram.StoredCredentials) string {
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("SCRAM-SHA-256$%d:%s$%s:%s", c.Iters, b64([]byte(c.Salt)), b64(c.StoredKey), b64(c.ServerKey))
}

func parseSCRAMVerifier(v string) (scram.StoredCredentials, error) {
	bad := func(why string) (scram.StoredCredentials, error) {
		return scram.StoredCredentials{}, fmt.Errorf("%w: %s", ErrBadSecret, why)
	}
	parts := strings.Split(strings.TrimPrefix(v, "SCRAM-SHA-256$"), "$")
	if len(parts) != 2 {
		return bad("SCRAM verifier is not <iterations>:<salt>$<StoredKey>:<ServerKey>")
	}
	iterSalt := strings.SplitN(parts[0], ":", 2)
	keys := strings.SplitN(parts[1], ":", 2)
	if len(iterSalt) != 2 || len(keys) != 2 {
		return bad("SCRAM verifier is not <iterations>:<salt>$<StoredKey>:<ServerKey>")
	}
	iters, err := strconv.Atoi(iterSalt[0])
	if err != nil || iters <= 0 {
		return bad("SCRAM verifier has an invalid iteration count")
	}
	salt, err1 := base64.StdEncoding.DecodeString(iterSalt[1])
	stored, err2 := base64.StdEncoding.DecodeString(keys[0])
	server, err3 := base64.StdEncoding.DecodeString(keys[1])
	if err1 != nil || err2 != nil || err3 != nil || len(stored) != sha256.Size || len(server) != sha256.Size {
		return bad("SCRAM verifier has invalid base64 fields")
	}
	return scram.StoredCredentials{KeyFactors: scram.KeyFactors{Salt: string(salt), Iters: iters}, StoredKey: stored, ServerKey: server}, nil
}

// VerifyCleartext reports whether password (sent in clear by the client)
// matches s, in time independent of where they differ.
func (s Secret) VerifyCleartext(user, password string) bool {
	switch s.kind {
	case SecretMD5:
		return equal(MD5Hash(user, password), s.plain)
	case SecretSCRAM:
		got := deriveVerifierIters(password, []byte(s.scram.Salt), s.scram.Iters)
		return hmac.Equal(got.StoredKey, s.scram.StoredKey) && hmac.Equal(got.ServerKey, s.scram.ServerKey)
	}
	return equal(s.plain, password)
}

// SupportsMD5 reports whether an md5 exchange can check s: not for a SCRAM
// verifier (PostgreSQL then runs SCRAM instead).
func (s Secret) SupportsMD5() bool { return s.kind != SecretSCRAM }

// VerifyMD5 reports whether response is the md5 answer for user and salt.
func (s Secret) VerifyMD5(user string, salt [4]byte, response string) bool {
	switch s.kind {
	case SecretMD5:
		return equal(md5Salted(s.plain[3:], salt), response)
	case SecretPlain:
		return VerifyMD5(user, s.plain, salt, response)
	}
	return false
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

// deriveVerifierIters is deriveVerifier with a given iteration count.
func deriveVerifierIters(password string, salt []byte, iters int) scram.StoredCredentials {
	if p, err := stringprep.SASLprep.Prepare(password); err == nil {
		password = p
	}
	salted, err := pbkdf2.Key(sha256.New, password, salt, iters, sha256.Size)
	if err != nil {
		panic(fmt.Sprintf("pgauth: pbkdf2: %v", err)) // only for invalid parameters
	}
	clientKey := hmacSHA256(salted, "Client Key")
	storedKey := sha256.Sum256(clientKey)
	return scram.StoredCredentials{
		KeyFactors: scram.KeyFactors{Salt: string(salt), Iters: iters},
		StoredKey:  storedKey[:],
		ServerKey:  hmacSHA256(salted, "Server Key"),
	}
}
