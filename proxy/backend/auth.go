package backend

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"sync"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/xdg-go/scram"
)

// Authentication request codes (AuthenticationXxx messages).
const (
	authOK                = 0
	authCleartextPassword = 3
	authMD5Password       = 5
	authSASL              = 10
	authSASLContinue      = 11
	authSASLFinal         = 12
)

const scramSHA256 = "SCRAM-SHA-256"

// authenticator answers a node's authentication requests for one login.
type authenticator struct {
	user, password string
	cache          *scramCache
	conv           *scram.ClientConversation
}

// step consumes one 'R' message body and returns the reply to send (nil
// when none).
func (a *authenticator) step(body []byte) (pgproto3.FrontendMessage, error) {
	if len(body) < 4 {
		return nil, fmt.Errorf("%w: short authentication request", ErrProtocol)
	}
	code, data := binary.BigEndian.Uint32(body), body[4:]
	switch code {
	case authOK:
		return nil, nil
	case authCleartextPassword:
		return &pgproto3.PasswordMessage{Password: a.password}, nil
	case authMD5Password:
		if len(data) != 4 {
			return nil, fmt.Errorf("%w: bad md5 salt", ErrProtocol)
		}
		return &pgproto3.PasswordMessage{Password: md5Response(a.user, a.password, data)}, nil
	case authSASL:
		return a.saslStart(data)
	case authSASLContinue, authSASLFinal:
		if a.conv == nil {
			return nil, fmt.Errorf("%w: SASL message before SASL start", ErrProtocol)
		}
		out, err := a.conv.Step(string(data))
		if err != nil {
			return nil, fmt.Errorf("backend: SCRAM: %w", err)
		}
		if code == authSASLFinal {
			return nil, nil
		}
		return &pgproto3.SASLResponse{Data: []byte(out)}, nil
	}
	return nil, fmt.Errorf("%w: code %d", ErrUnsupportedAuth, code)
}

func (a *authenticator) saslStart(data []byte) (pgproto3.FrontendMessage, error) {
	var mechs []string
	for len(data) > 1 {
		i := slices.Index(data, 0)
		if i < 0 {
			break
		}
		mechs, data = append(mechs, string(data[:i])), data[i+1:]
	}
	if !slices.Contains(mechs, scramSHA256) {
		return nil, fmt.Errorf("%w: SASL mechanisms %v", ErrUnsupportedAuth, mechs)
	}
	client, err := a.cache.client(a.user, a.password)
	if err != nil {
		return nil, err
	}
	a.conv = client.NewConversation()
	first, err := a.conv.Step("")
	if err != nil {
		return nil, fmt.Errorf("backend: SCRAM: %w", err)
	}
	return &pgproto3.SASLInitialResponse{AuthMechanism: scramSHA256, Data: []byte(first)}, nil
}

func md5Response(user, password string, salt []byte) string {
	inner := md5.Sum([]byte(password + user))
	outer := md5.Sum(append([]byte(hex.EncodeToString(inner[:])), salt...))
	return "md5" + hex.EncodeToString(outer[:])
}

// scramCache keeps one scram.Client per (user, password): a client caches
// the salted password per salt, so repeated logins to the same node skip
// the 4096 PBKDF2 iterations. The zero value is ready to use.
type scramCache struct {
	mu sync.Mutex
	m  map[string]*scram.Client
}

func (sc *scramCache) client(user, password string) (*scram.Client, error) {
	if sc == nil {
		sc = &scramCache{}
	}
	key := user + "\x00" + password
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if c, ok := sc.m[key]; ok {
		return c, nil
	}
	// The user name inside SCRAM is ignored by PostgreSQL (the startup
	// packet's is authoritative); send it empty as libpq does.
	c, err := scram.SHA256.NewClient("", password, "")
	if err != nil { // SASLprep rejected the password: use the raw bytes, as libpq does
		if c, err = scram.SHA256.NewClientUnprepped("", password, ""); err != nil {
			return nil, fmt.Errorf("backend: SCRAM: %w", err)
		}
	}
	if sc.m == nil || len(sc.m) > 1024 {
		sc.m = map[string]*scram.Client{}
	}
	sc.m[key] = c
	return c, nil
}
