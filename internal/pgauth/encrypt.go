package pgauth

import "github.com/xdg-go/scram"

// EncryptPassword returns what CREATE/ALTER ROLE ... PASSWORD stores: the
// password as it is when it already is an md5 hash or a SCRAM-SHA-256
// verifier (PostgreSQL's rule, so that dumps restore), else a new SCRAM
// verifier (PostgreSQL's default password_encryption). Never clear text.
func EncryptPassword(password string) string {
	if IsEncrypted(password) {
		return password
	}
	return SCRAMVerifier(password)
}

// IsEncrypted reports whether password is already an md5 hash or a valid
// SCRAM-SHA-256 verifier.
func IsEncrypted(password string) bool {
	s, err := ParseSecret(password)
	return err == nil && s.Kind() != SecretPlain
}

// CheckPassword verifies a password received in clear (HTTP Basic) for
// user: false when the user is unknown (known=false) or the password does
// not match. An unknown user costs the same key derivation as a user with
// a stored SCRAM verifier, so timing does not tell users apart.
func (s *SCRAM) CheckPassword(user string, secret Secret, known bool, password string) bool {
	if !known {
		mock := s.verifier("\x01"+user, func() scram.StoredCredentials {
			salt := s.mock("salt", user)[:scramSaltLen]
			return deriveVerifier(string(s.mock("password", user)), salt)
		})
		_ = Secret{kind: SecretSCRAM, scram: mock}.VerifyCleartext(user, password)
		return false
	}
	return secret.VerifyCleartext(user, password)
}
