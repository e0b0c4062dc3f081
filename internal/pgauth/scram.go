package pgauth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"sync"

	"github.com/xdg-go/scram"
)

// MechanismSCRAMSHA256 is the only SASL mechanism offered. Channel binding
// (SCRAM-SHA-256-PLUS) is not offered.
const MechanismSCRAMSHA256 = "SCRAM-SHA-256"

const (
	scramIterations = 4096
	scramSaltLen    = 16
	// maxCachedVerifiers bounds the verifier cache; it is emptied when full.
	maxCachedVerifiers = 1024
)

// SCRAM creates SCRAM-SHA-256 conversations and caches the verifiers derived
// from passwords. It is safe for concurrent use.
type SCRAM struct {
	mu    sync.Mutex
	cache map[string]scram.StoredCredentials
	// mockKey makes unknown users' salts: stable per user for the life of
	// the process (as real users' cached verifiers are), unpredictable
	// across processes (PostgreSQL's scram_mock_salt uses a per-cluster
	// nonce the same way).
	mockKey [32]byte
}

// NewSCRAM returns a SCRAM with an empty verifier cache.
func NewSCRAM() *SCRAM {
	s := &SCRAM{cache: make(map[string]scram.StoredCredentials)}
	_, _ = rand.Read(s.mockKey[:])
	return s
}

// Conversation is one SCRAM exchange. Feed it the client-first message
// (from SASLInitialResponse) and then the client-final message (from
// SASLResponse). It is not safe for concurrent use.
type Conversation struct {
	conv *scram.ServerConversation
	step int
}

// Start begins a conversation for a user whose password is password. When
// known is false the user does not exist: the exchange proceeds with a
// mock verifier and fails at the end with ErrAuthFailed.
func (s *SCRAM) Start(user, password string, known bool) *Conversation {
	return s.StartSecret(user, PlainSecret(password), known)
}

// StartSecret begins a conversation for a user whose stored secret is
// secret. A plain password's verifier is derived once and cached; a stored
// SCRAM verifier is used as it is. An unknown user, or one whose secret is
// an md5 hash (which SCRAM cannot check, as in PostgreSQL), gets a mock
// verifier: the exchange runs to the end and fails with ErrAuthFailed.
func (s *SCRAM) StartSecret(user string, secret Secret, known bool) *Conversation {
	var creds scram.StoredCredentials
	switch {
	case known && secret.kind == SecretSCRAM:
		creds = secret.scram
	case known && secret.kind == SecretPlain:
		password := secret.plain
		creds = s.verifier("\x00"+user+"\x00"+password, func() scram.StoredCredentials {
			return deriveVerifier(password, randomSalt())
		})
	default:
		// The same path as a known user: a cached verifier, derived once
		// with the same cost, from a salt that does not change between
		// attempts; only the password is one nobody knows.
		creds = s.verifier("\x01"+user, func() scram.StoredCredentials {
			salt := s.mock("salt", user)[:scramSaltLen]
			return deriveVerifier(string(s.mock("password", user)), salt)
		})
	}
	// The user name inside the SCRAM message is ignored, as in PostgreSQL:
	// the startup packet's user is authoritative (pgx sends "n=").
	lookup := func(string) (scram.StoredCredentials, error) { return creds, nil }
	srv, err := scram.SHA256.NewServer(lookup)
	if err != nil {
		// NewServer only fails for a nil hash generator.
		panic(fmt.Sprintf("pgauth: scram.NewServer: %v", err))
	}
	return &Conversation{conv: srv.NewConversation()}
}

// Step consumes one client message and returns the server's reply. The
// first call returns the server-first message (done=false); the second
// returns the server-final message (done=true) when the proof is valid.
// Errors wrap ErrAuthFailed (wrong password, unknown user) or ErrProtocol.
func (c *Conversation) Step(clientMsg []byte) (reply []byte, done bool, err error) {
	c.step++
	switch c.step {
	case 1:
		out, err := c.conv.Step(string(clientMsg))
		if err != nil {
			return nil, false, fmt.Errorf("%w: client-first message: %v", ErrProtocol, err)
		}
		return []byte(out), false, nil
	case 2:
		out, err := c.conv.Step(string(clientMsg))
		if err != nil {
			if out == string(scram.ErrInvalidProof) {
				return nil, true, ErrAuthFailed
			}
			return nil, true, fmt.Errorf("%w: client-final message: %v", ErrProtocol, err)
		}
		if !c.conv.Valid() {
			return nil, true, ErrAuthFailed
		}
		return []byte(out), true, nil
	}
	return nil, true, fmt.Errorf("%w: message after the exchange finished", ErrProtocol)
}

// mock is HMAC(mockKey, label ‖ user).
func (s *SCRAM) mock(label, user string) []byte {
	m := hmac.New(sha256.New, s.mockKey[:])
	m.Write([]byte(label + "\x00" + user))
	return m.Sum(nil)
}

// verifier returns the cached verifier under key, deriving it with derive
// on a miss.
func (s *SCRAM) verifier(key string, derive func() scram.StoredCredentials) scram.StoredCredentials {
	s.mu.Lock()
	creds, ok := s.cache[key]
	s.mu.Unlock()
	if ok {
		return creds
	}
	creds = derive()
	s.mu.Lock()
	if len(s.cache) >= maxCachedVerifiers {
		clear(s.cache)
	}
	s.cache[key] = creds
	s.mu.Unlock()
	return creds
}

func randomSalt() []byte {
	salt := make([]byte, scramSaltLen)
	_, _ = rand.Read(salt) // crypto/rand.Read never fails
	return salt
}

// deriveVerifier computes the SCRAM-SHA-256 verifier for password, which is
// normalized with SASLprep when possible (PostgreSQL falls back to the raw
// bytes when SASLprep rejects the password, and so do clients).
func deriveVerifier(password string, salt []byte) scram.StoredCredentials {
	return deriveVerifierIters(password, salt, scramIterations)
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}
