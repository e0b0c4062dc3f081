package pgwire

import (
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/heliosdb/nano/internal/pgauth"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/result"
)

// maxNegotiations bounds SSLRequest/GSSENCRequest round trips before the
// StartupMessage.
const maxNegotiations = 2

// startup runs the startup phase within Config.StartupTimeout: protocol
// negotiation, authentication, session creation and the greeting. It
// returns false when the connection must end (it has told the client why
// when it could).
func (c *conn) startup() bool {
	_ = c.nc.SetDeadline(time.Now().Add(c.srv.cfg.StartupTimeout))
	sm, ok := c.negotiate()
	if !ok {
		return false
	}
	info, err := startupInfo(sm)
	if err != nil {
		c.sendFatal(err)
		return false
	}
	c.log = c.log.With("user", info.User, "database", info.Database)
	if err := c.srv.admit(c); err != nil {
		c.sendFatal(err)
		return false
	}
	c.negotiateVersion(sm)
	if !c.authenticate(info.User) {
		return false
	}
	if err := c.srv.admitUser(c, info.User); err != nil {
		c.sendFatal(err)
		return false
	}
	c.srv.assignKey(c)
	info.ProcessID = c.pid
	info.RemoteAddr = c.nc.RemoteAddr().String()
	sess, err := c.srv.sessions.NewSession(c.ctx, info)
	if err != nil {
		c.sendFatal(err)
		return false
	}
	c.sess = sess
	_ = c.nc.SetDeadline(time.Time{})
	c.greet()
	return c.werr == nil
}

// negotiate reads startup packets until the StartupMessage, answering
// SSLRequest and GSSENCRequest and serving a CancelRequest.
func (c *conn) negotiate() (*pgproto3.StartupMessage, bool) {
	for range maxNegotiations + 1 {
		msg, err := c.be.ReceiveStartupMessage()
		if err != nil {
			c.startupReadError(err)
			return nil, false
		}
		switch m := msg.(type) {
		case *pgproto3.StartupMessage:
			return m, true
		case *pgproto3.CancelRequest:
			c.srv.cancel(m.ProcessID, m.SecretKey)
			return nil, false
		case *pgproto3.GSSEncRequest:
			c.wbuf = append(c.wbuf, 'N')
			c.flush()
		case *pgproto3.SSLRequest:
			if !c.startTLS() {
				return nil, false
			}
		}
		if c.werr != nil {
			return nil, false
		}
	}
	c.sendFatal(pgerror.New(pgerror.ProtocolViolation, "too many encryption requests"))
	return nil, false
}

// startTLS answers an SSLRequest and, when TLS is configured, performs the
// handshake and switches the connection to it.
func (c *conn) startTLS() bool {
	cfg := c.srv.cfg.TLSConfig
	if cfg == nil || c.rw != c.nc {
		c.wbuf = append(c.wbuf, 'N')
		c.flush()
		return c.werr == nil
	}
	c.wbuf = append(c.wbuf, 'S')
	c.flush()
	if c.werr != nil {
		return false
	}
	tc := tls.Server(c.nc, cfg)
	if err := tc.HandshakeContext(c.ctx); err != nil {
		c.log.Debug("pgwire: TLS handshake failed", "err", err)
		return false
	}
	c.rw = tc
	c.setBackend(tc)
	return true
}

// startupReadError handles a failed startup read.
func (c *conn) startupReadError(err error) {
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded) && c.isDraining():
		c.sendFatal(pgerror.New(pgerror.CannotConnectNow, "the database system is shutting down"))
	case errors.Is(err, os.ErrDeadlineExceeded):
		c.log.Info("pgwire: startup timed out; closing connection")
	case isIOError(err):
		c.log.Debug("pgwire: connection closed during startup", "err", err)
	default:
		c.sendFatal(pgerror.Newf(pgerror.ProtocolViolation, "invalid startup packet: %v", err))
	}
}

// startupInfo extracts user, database and the other parameters.
func startupInfo(sm *pgproto3.StartupMessage) (result.StartupInfo, error) {
	info := result.StartupInfo{Params: make(map[string]string, len(sm.Parameters))}
	for k, v := range sm.Parameters {
		switch {
		case k == "user":
			info.User = v
		case k == "database":
			info.Database = v
		case strings.HasPrefix(k, "_pq_."):
		default:
			info.Params[k] = v
		}
	}
	if info.User == "" {
		return info, pgerror.New(pgerror.InvalidAuthorization, "no PostgreSQL user name specified in startup packet")
	}
	if info.Database == "" {
		info.Database = info.User
	}
	return info, nil
}

// negotiateVersion answers a request for protocol 3.2 or for protocol
// options with NegotiateProtocolVersion: we speak 3.0 and know no options.
func (c *conn) negotiateVersion(sm *pgproto3.StartupMessage) {
	var unknown []string
	for k := range sm.Parameters {
		if strings.HasPrefix(k, "_pq_.") {
			unknown = append(unknown, k)
		}
	}
	if sm.ProtocolVersion == pgproto3.ProtocolVersion30 && len(unknown) == 0 {
		return
	}
	slices.Sort(unknown)
	c.appendMsg(&pgproto3.NegotiateProtocolVersion{NewestMinorProtocol: 0, UnrecognizedOptions: unknown})
}

// greet sends AuthenticationOk, the parameters, BackendKeyData and the
// first ReadyForQuery.
func (c *conn) greet() {
	c.appendMsg(&pgproto3.AuthenticationOk{})
	params := c.sess.ParameterStatus()
	c.reported = make(map[string]string, len(params))
	for _, k := range slices.Sorted(maps.Keys(params)) {
		c.reported[k] = params[k]
		c.appendMsg(&pgproto3.ParameterStatus{Name: k, Value: params[k]})
		if k == "TimeZone" {
			c.setTimeZone(params[k])
		}
	}
	c.appendMsg(&pgproto3.BackendKeyData{ProcessID: c.pid, SecretKey: c.secret[:]})
	c.wbuf = append(c.wbuf, 'Z', 0, 0, 0, 5, byte(c.sess.TxStatus()))
	c.flush()
}

// authenticate runs the configured method; on failure it has sent FATAL.
func (c *conn) authenticate(user string) bool {
	cfg := c.srv.cfg
	if cfg.AuthMethod == AuthTrust {
		return true
	}
	password, known := cfg.Credentials(user)
	var err error
	switch cfg.AuthMethod {
	case AuthPassword:
		err = c.authCleartext(password, known)
	case AuthMD5:
		err = c.authMD5(user, password, known)
	default:
		err = c.authSCRAM(user, password, known)
	}
	switch {
	case err == nil:
		return true
	case errors.Is(err, pgauth.ErrAuthFailed):
		c.log.Info("pgwire: password authentication failed")
		c.sendFatal(pgerror.Newf(pgerror.InvalidPassword, "password authentication failed for user %q", user))
	case isIOError(err):
		// Clients such as psql hang up to prompt for a password.
		c.log.Debug("pgwire: connection closed during authentication", "err", err)
	default:
		c.sendFatal(pgerror.WithCode(err, pgerror.ProtocolViolation))
	}
	return false
}

// authRequest sends an authentication request and reads the client's
// answer, checking its type.
func (c *conn) authRequest(req pgproto3.BackendMessage, authType uint32) (pgproto3.FrontendMessage, error) {
	c.appendMsg(req)
	c.flush()
	if c.werr != nil {
		return nil, c.werr
	}
	if err := c.be.SetAuthType(authType); err != nil {
		return nil, fmt.Errorf("pgwire: set auth type: %w", err)
	}
	msg, err := c.be.Receive()
	if err != nil {
		if isIOError(err) {
			return nil, err
		}
		return nil, pgerror.Newf(pgerror.ProtocolViolation, "invalid authentication message: %v", err)
	}
	return msg, nil
}

func (c *conn) authCleartext(password string, known bool) error {
	msg, err := c.authRequest(&pgproto3.AuthenticationCleartextPassword{}, pgproto3.AuthTypeCleartextPassword)
	if err != nil {
		return err
	}
	pm, ok := msg.(*pgproto3.PasswordMessage)
	if !ok {
		return unexpectedAuthMessage(msg)
	}
	if !pgauth.VerifyCleartext(password, pm.Password) || !known {
		return pgauth.ErrAuthFailed
	}
	return nil
}

func (c *conn) authMD5(user, password string, known bool) error {
	var salt [4]byte
	_, _ = rand.Read(salt[:])
	msg, err := c.authRequest(&pgproto3.AuthenticationMD5Password{Salt: salt}, pgproto3.AuthTypeMD5Password)
	if err != nil {
		return err
	}
	pm, ok := msg.(*pgproto3.PasswordMessage)
	if !ok {
		return unexpectedAuthMessage(msg)
	}
	if !pgauth.VerifyMD5(user, password, salt, pm.Password) || !known {
		return pgauth.ErrAuthFailed
	}
	return nil
}

func (c *conn) authSCRAM(user, password string, known bool) error {
	conv := c.srv.scram.Start(user, password, known)
	msg, err := c.authRequest(&pgproto3.AuthenticationSASL{AuthMechanisms: []string{pgauth.MechanismSCRAMSHA256}}, pgproto3.AuthTypeSASL)
	if err != nil {
		return err
	}
	first, ok := msg.(*pgproto3.SASLInitialResponse)
	if !ok {
		return unexpectedAuthMessage(msg)
	}
	if first.AuthMechanism != pgauth.MechanismSCRAMSHA256 {
		return pgerror.New(pgerror.ProtocolViolation, "client selected an invalid SASL authentication mechanism")
	}
	reply, _, err := conv.Step(first.Data)
	if err != nil {
		return err
	}
	msg, err = c.authRequest(&pgproto3.AuthenticationSASLContinue{Data: reply}, pgproto3.AuthTypeSASLContinue)
	if err != nil {
		return err
	}
	final, ok := msg.(*pgproto3.SASLResponse)
	if !ok {
		return unexpectedAuthMessage(msg)
	}
	if reply, _, err = conv.Step(final.Data); err != nil {
		return err
	}
	c.appendMsg(&pgproto3.AuthenticationSASLFinal{Data: reply})
	return c.be.SetAuthType(pgproto3.AuthTypeOk)
}

func unexpectedAuthMessage(msg pgproto3.FrontendMessage) error {
	return pgerror.Newf(pgerror.ProtocolViolation, "expected password response, got %T", msg)
}
