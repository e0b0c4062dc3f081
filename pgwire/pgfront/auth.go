package pgfront

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/heliosdb/nano/internal/pgauth"
	"github.com/heliosdb/nano/sql/pgerror"
)

// maxAuthMessage bounds a client's authentication message, as
// PostgreSQL's PG_MAX_AUTH_TOKEN_LENGTH.
const maxAuthMessage = 65535

// authenticate decides the method (Config.Rules) and runs it. On failure
// it has told the client and returns an error wrapping ErrStartupEnded.
func (c *Conn) authenticate(info *Info) error {
	cfg := c.f.cfg
	m, matched := cfg.Rules.Method(Client{Addr: c.nc.RemoteAddr(), User: info.User, Database: info.Database, TLS: c.tls})
	switch {
	case !matched:
		c.log.Info("pgfront: no rule for the connection", "tls", c.tls)
		return c.fatal(pgerror.Newf(pgerror.InvalidAuthorization, "no pg_hba.conf entry for host %q, user %q, database %q, %s",
			hostOf(c.nc.RemoteAddr()), info.User, info.Database, c.encryption()))
	case m == MethodReject:
		return c.fatal(pgerror.Newf(pgerror.InvalidAuthorization, "pg_hba.conf rejects connection for host %q, user %q, database %q, %s",
			hostOf(c.nc.RemoteAddr()), info.User, info.Database, c.encryption()))
	case m == MethodTrust:
		return nil
	}
	var secret pgauth.Secret
	known := false
	if cfg.Users != nil {
		secret, known = cfg.Users.Secret(info.User)
	}
	var err error
	switch {
	case m == MethodPassword:
		err = c.authCleartext(info.User, secret, known)
	case m == MethodMD5 && known && secret.SupportsMD5():
		err = c.authMD5(info.User, secret, known)
	default:
		// scram-sha-256, or md5 for a user whose secret is a SCRAM
		// verifier (PostgreSQL then runs SCRAM), or for an unknown user:
		// PostgreSQL pretends such a user has a password of
		// password_encryption's type (scram-sha-256), the form roles are
		// stored in, so the exchange does not reveal that it is unknown.
		err = c.authSCRAM(info.User, secret, known)
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, pgauth.ErrAuthFailed):
		c.log.Info("pgfront: password authentication failed", "method", string(m))
		return c.fatal(pgerror.Newf(pgerror.InvalidPassword, "password authentication failed for user %q", info.User))
	case pgerror.As(err) != nil:
		return c.fatal(err)
	default:
		// Clients such as psql hang up to prompt for a password.
		c.log.Debug("pgfront: connection closed during authentication", "err", err)
		return c.ended(err)
	}
}

func (c *Conn) encryption() string {
	if c.tls {
		return "SSL encryption"
	}
	return "no encryption"
}

func hostOf(a net.Addr) string {
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

// authExchange sends an authentication request and reads the client's
// 'p' message. expect names it for the error of another message type.
func (c *Conn) authExchange(req pgproto3.BackendMessage, expect string) ([]byte, error) {
	if err := c.send(req); err != nil {
		return nil, err
	}
	var hdr [5]byte
	if _, err := io.ReadFull(c.br, hdr[:]); err != nil {
		return nil, err
	}
	if hdr[0] != 'p' {
		return nil, pgerror.Newf(pgerror.ProtocolViolation, "expected %s response, got message type %d", expect, hdr[0])
	}
	n := int(int32(binary.BigEndian.Uint32(hdr[1:])))
	if n < 4 || n-4 > maxAuthMessage {
		return nil, pgerror.New(pgerror.ProtocolViolation, "invalid message length")
	}
	body := make([]byte, n-4)
	if _, err := io.ReadFull(c.br, body); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return body, nil
}

// readPassword runs a password exchange and returns what the client sent.
func (c *Conn) readPassword(req pgproto3.BackendMessage) (string, error) {
	body, err := c.authExchange(req, "password")
	if err != nil {
		return "", err
	}
	var pm pgproto3.PasswordMessage
	if err := pm.Decode(body); err != nil || len(pm.Password)+1 != len(body) {
		return "", pgerror.New(pgerror.ProtocolViolation, "invalid password packet size")
	}
	if pm.Password == "" {
		return "", pgerror.New(pgerror.InvalidPassword, "empty password returned by client")
	}
	return pm.Password, nil
}

func (c *Conn) authCleartext(user string, secret pgauth.Secret, known bool) error {
	password, err := c.readPassword(&pgproto3.AuthenticationCleartextPassword{})
	if err != nil {
		return err
	}
	if !secret.VerifyCleartext(user, password) || !known {
		return pgauth.ErrAuthFailed
	}
	return nil
}

func (c *Conn) authMD5(user string, secret pgauth.Secret, known bool) error {
	var salt [4]byte
	_, _ = rand.Read(salt[:])
	response, err := c.readPassword(&pgproto3.AuthenticationMD5Password{Salt: salt})
	if err != nil {
		return err
	}
	if !secret.VerifyMD5(user, salt, response) || !known {
		return pgauth.ErrAuthFailed
	}
	return nil
}

// authSCRAM runs SCRAM-SHA-256. Malformed SASL messages are 08P01
// "malformed SCRAM message" with the reason as detail, as in PostgreSQL.
func (c *Conn) authSCRAM(user string, secret pgauth.Secret, known bool) error {
	conv := c.f.scram.StartSecret(user, secret, known)
	body, err := c.authExchange(&pgproto3.AuthenticationSASL{AuthMechanisms: []string{pgauth.MechanismSCRAMSHA256}}, "SASL")
	if err != nil {
		return err
	}
	var first pgproto3.SASLInitialResponse
	if err := first.Decode(body); err != nil || first.AuthMechanism != pgauth.MechanismSCRAMSHA256 {
		return pgerror.New(pgerror.ProtocolViolation, "client selected an invalid SASL authentication mechanism")
	}
	serverFirst, _, err := conv.Step(first.Data)
	if err != nil {
		return scramError(err)
	}
	if body, err = c.authExchange(&pgproto3.AuthenticationSASLContinue{Data: serverFirst}, "SASL"); err != nil {
		return err
	}
	serverFinal, _, err := conv.Step(body)
	if err != nil {
		return scramError(err)
	}
	return c.send(&pgproto3.AuthenticationSASLFinal{Data: serverFinal})
}

// scramError maps a pgauth error: a failed proof stays ErrAuthFailed
// (28P01), anything else is a malformed message.
func scramError(err error) error {
	if errors.Is(err, pgauth.ErrAuthFailed) {
		return err
	}
	return pgerror.New(pgerror.ProtocolViolation, "malformed SCRAM message").WithDetail("%s", scramDetail(err))
}

func scramDetail(err error) string {
	s := err.Error()
	if p := pgauth.ErrProtocol.Error() + ": "; len(s) > len(p) && s[:len(p)] == p {
		s = s[len(p):]
	}
	return fmt.Sprintf("%s.", s)
}
