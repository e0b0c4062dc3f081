package proxy

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"sync"

	"github.com/xdg-go/scram"
)

// clientAuth verifies client passwords against the configured users. The
// SCRAM verifier of each user is derived once (4096 PBKDF2 iterations)
// and kept. Unknown users run the exchange against a random verifier and
// fail like a wrong password, without revealing whether the user exists.
//
// (pgwire/pgauth does the same for the nodes, but the layering rules keep
// proxy/… from importing pgwire/…; this is the proxy's own copy built on
// the same xdg-go/scram library.)
type clientAuth struct {
	method string
	users  map[string]string

	mu       sync.Mutex
	verifier map[string]scram.StoredCredentials
}

const scramIterations = 4096

func newClientAuth(method string, users map[string]string) *clientAuth {
	return &clientAuth{method: method, users: users, verifier: map[string]scram.StoredCredentials{}}
}

// password returns the password of user and whether user is known.
func (a *clientAuth) password(user string) (string, bool) {
	p, ok := a.users[user]
	return p, ok
}

// scramServer starts a SCRAM-SHA-256 conversation for user.
func (a *clientAuth) scramServer(user string) (*scram.ServerConversation, error) {
	creds, err := a.credentials(user)
	if err != nil {
		return nil, err
	}
	srv, err := scram.SHA256.NewServer(func(string) (scram.StoredCredentials, error) { return creds, nil })
	if err != nil {
		return nil, fmt.Errorf("proxy: scram server: %w", err)
	}
	return srv.NewConversation(), nil
}

func (a *clientAuth) credentials(user string) (scram.StoredCredentials, error) {
	password, known := a.users[user]
	if !known {
		return derive(rand.Text())
	}
	a.mu.Lock()
	creds, ok := a.verifier[user]
	a.mu.Unlock()
	if ok {
		return creds, nil
	}
	creds, err := derive(password)
	if err != nil {
		return creds, err
	}
	a.mu.Lock()
	a.verifier[user] = creds
	a.mu.Unlock()
	return creds, nil
}

// derive computes a SCRAM verifier for password with a fresh salt.
func derive(password string) (scram.StoredCredentials, error) {
	c, err := scram.SHA256.NewClient("", password, "")
	if err != nil { // SASLprep rejects it: PostgreSQL then uses the raw bytes
		if c, err = scram.SHA256.NewClientUnprepped("", password, ""); err != nil {
			return scram.StoredCredentials{}, fmt.Errorf("proxy: scram: %w", err)
		}
	}
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	return c.GetStoredCredentialsWithError(scram.KeyFactors{Salt: string(salt), Iters: scramIterations})
}

// verifyMD5 checks an md5 password response in constant time.
func verifyMD5(user, password string, salt [4]byte, response string) bool {
	inner := md5.Sum([]byte(password + user))
	outer := md5.Sum(append([]byte(hex.EncodeToString(inner[:])), salt[:]...))
	return subtle.ConstantTimeCompare([]byte("md5"+hex.EncodeToString(outer[:])), []byte(response)) == 1
}

func verifyCleartext(password, response string) bool {
	return subtle.ConstantTimeCompare([]byte(password), []byte(response)) == 1
}
