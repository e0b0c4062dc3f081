package proxy

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"github.com/heliosdb/nano/internal/pgauth"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/heliosdb/nano/proxy/config"
	"github.com/heliosdb/nano/proxy/route"
	"github.com/heliosdb/nano/proxy/wire"
	"github.com/heliosdb/nano/sql/pgerror"
)

// maxNegotiations bounds SSLRequest/GSSENCRequest before the
// StartupMessage.
const maxNegotiations = 2

// fallbackParams are reported when no node could be reached at startup
// and none was ever probed: the values every HeliosDB node reports.
var fallbackParams = map[string]string{
	"server_version": "15.0", "server_encoding": "UTF8", "client_encoding": "UTF8",
	"DateStyle": "ISO, MDY", "IntervalStyle": "postgres", "TimeZone": "UTC",
	"integer_datetimes": "on", "standard_conforming_strings": "on",
}

// startup runs the startup phase within Config.StartupTimeout:
// negotiation, client authentication, the first backend connection and
// the greeting. It returns false when the session must end (the client
// has been told why when possible).
func (s *session) startup() bool {
	_ = s.nc.SetDeadline(time.Now().Add(s.srv.cfg.StartupTimeout))
	sm, ok := s.negotiate()
	if !ok {
		return false
	}
	if !s.startupParams(sm) || !s.authenticate() {
		return false
	}
	_ = s.nc.SetDeadline(time.Time{})
	params, err := s.firstBackend()
	if err != nil {
		s.sendFatal(err)
		return false
	}
	s.greet(params)
	return s.werr == nil
}

// negotiate reads startup packets until the StartupMessage, answering
// SSLRequest and GSSENCRequest with 'N' and serving a CancelRequest.
func (s *session) negotiate() (*pgproto3.StartupMessage, bool) {
	for range maxNegotiations + 1 {
		body, err := s.r.ReadStartup()
		if err != nil {
			s.startupError(err)
			return nil, false
		}
		switch code := binary.BigEndian.Uint32(body); {
		case code == wire.SSLRequestCode || code == wire.GSSEncRequestCode:
			s.out = append(s.out, 'N')
			s.flush()
			if s.werr != nil {
				return nil, false
			}
		case code == wire.CancelRequestCode:
			var cr pgproto3.CancelRequest
			if cr.Decode(body) == nil {
				s.srv.cancel(cr.ProcessID, cr.SecretKey)
			}
			return nil, false
		case code>>16 == 3:
			var sm pgproto3.StartupMessage
			if err := sm.Decode(body); err != nil {
				s.sendFatal(pgerror.Newf(pgerror.ProtocolViolation, "invalid startup packet: %v", err))
				return nil, false
			}
			return &sm, true
		default:
			s.sendFatal(pgerror.Newf(pgerror.ProtocolViolation, "unsupported frontend protocol %d.%d: server supports 3.0", code>>16, code&0xffff))
			return nil, false
		}
	}
	s.sendFatal(pgerror.New(pgerror.ProtocolViolation, "too many encryption requests"))
	return nil, false
}

func (s *session) startupError(err error) {
	if s.srv.isClosing() {
		s.sendFatal(pgerror.New(pgerror.CannotConnectNow, "the proxy is shutting down"))
		return
	}
	if errors.Is(err, wire.ErrBadLength) {
		s.sendFatal(pgerror.Newf(pgerror.ProtocolViolation, "invalid startup packet: %v", err))
		return
	}
	s.log.Debug("proxy: startup read failed", "err", err)
}

// startupParams takes user, database and the parameters to pass on, and
// answers a request for protocol 3.2 or protocol options with
// NegotiateProtocolVersion (we speak 3.0).
func (s *session) startupParams(sm *pgproto3.StartupMessage) bool {
	s.params = map[string]string{}
	var unknown []string
	for k, v := range sm.Parameters {
		switch {
		case k == "user":
			s.user = v
		case k == "database":
			s.database = v
		case k == "replication":
			s.sendFatal(pgerror.New(pgerror.FeatureNotSupported, "the proxy does not accept replication connections"))
			return false
		case strings.HasPrefix(k, "_pq_."):
			unknown = append(unknown, k)
		default:
			s.params[k] = v
		}
	}
	if s.user == "" {
		s.sendFatal(pgerror.New(pgerror.InvalidAuthorization, "no PostgreSQL user name specified in startup packet"))
		return false
	}
	if s.database == "" {
		s.database = s.user
	}
	s.log = s.log.With("user", s.user, "database", s.database)
	if sm.ProtocolVersion != pgproto3.ProtocolVersion30 || len(unknown) > 0 {
		slices.Sort(unknown)
		s.send(&pgproto3.NegotiateProtocolVersion{NewestMinorProtocol: 0, UnrecognizedOptions: unknown})
	}
	return true
}

// firstBackend opens the session's read backend, whose ParameterStatus
// values greet the client. A node that rejects the login (bad password
// for this user on the node, bad startup parameter) fails the startup
// with its error. With no node reachable the session still starts, with
// the parameters last probed, so its statements can wait for a node.
func (s *session) firstBackend() (map[string]string, error) {
	for range len(s.srv.nodes.View()) {
		d := route.Decide(s.srv.policy, s.srv.nodes.View(), s.rs, route.Read, s.srv.rr.Load())
		if d.Wait() {
			break
		}
		if d.Reason == route.ReasonRoundRobin {
			s.srv.rr.Add(1)
		}
		bc, err := s.backendFor(d.Node)
		if err == nil {
			s.rs.ReadNode, s.rs.LastNode = d.Node, d.Node
			return bc.Params, nil
		}
		if !nodeFault(err) {
			return nil, err
		}
	}
	params := s.srv.nodes.Params()
	if params == nil {
		params = fallbackParams
	}
	params = maps.Clone(params)
	if v, ok := s.params["application_name"]; ok {
		params["application_name"] = v
	}
	s.log.Info("proxy: no node reachable at session start; greeting with the last known parameters")
	return params, nil
}

// greet sends AuthenticationOk, the parameters, BackendKeyData and the
// first ReadyForQuery. The proxy is a read-write endpoint whatever node
// served the greeting, so in_hot_standby is reported off.
func (s *session) greet(params map[string]string) {
	s.send(&pgproto3.AuthenticationOk{})
	for _, k := range slices.Sorted(maps.Keys(params)) {
		v := params[k]
		if k == "in_hot_standby" {
			v = "off"
		}
		s.send(&pgproto3.ParameterStatus{Name: k, Value: v})
	}
	s.send(&pgproto3.BackendKeyData{ProcessID: s.pid, SecretKey: s.secret[:]})
	s.readyForQuery()
}

// authenticate verifies the client with the configured method; on
// failure it has sent FATAL 28P01.
func (s *session) authenticate() bool {
	password, known := s.srv.auth.password(s.user)
	var err error
	switch s.srv.auth.method {
	case config.AuthPassword:
		err = s.authCleartext(password, known)
	case config.AuthMD5:
		err = s.authMD5(password, known)
	default:
		err = s.authSCRAM(password, known)
	}
	switch {
	case err == nil:
		s.password = password
		return true
	case errors.Is(err, errAuthFailed):
		s.log.Info("proxy: password authentication failed")
		s.sendFatal(pgerror.Newf(pgerror.InvalidPassword, "password authentication failed for user %q", s.user))
	case pgerror.As(err) != nil:
		s.sendFatal(err)
	default:
		s.log.Debug("proxy: connection closed during authentication", "err", err)
	}
	return false
}

var errAuthFailed = errors.New("proxy: authentication failed")

// authExchange sends an authentication request and reads the client's
// 'p' message.
func (s *session) authExchange(req wire.Encoder) ([]byte, error) {
	s.send(req)
	s.flush()
	if s.werr != nil {
		return nil, s.werr
	}
	typ, body, err := s.r.Next()
	if err != nil {
		return nil, err
	}
	if typ != 'p' {
		return nil, pgerror.Newf(pgerror.ProtocolViolation, "expected password response, got message type %d", typ)
	}
	return body, nil
}

func (s *session) authCleartext(password string, known bool) error {
	body, err := s.authExchange(&pgproto3.AuthenticationCleartextPassword{})
	if err != nil {
		return err
	}
	var pm pgproto3.PasswordMessage
	if err := pm.Decode(body); err != nil {
		return pgerror.Newf(pgerror.ProtocolViolation, "invalid password message: %v", err)
	}
	if !pgauth.VerifyCleartext(password, pm.Password) || !known {
		return errAuthFailed
	}
	return nil
}

func (s *session) authMD5(password string, known bool) error {
	var salt [4]byte
	_, _ = rand.Read(salt[:])
	body, err := s.authExchange(&pgproto3.AuthenticationMD5Password{Salt: salt})
	if err != nil {
		return err
	}
	var pm pgproto3.PasswordMessage
	if err := pm.Decode(body); err != nil {
		return pgerror.Newf(pgerror.ProtocolViolation, "invalid password message: %v", err)
	}
	if !pgauth.VerifyMD5(s.user, password, salt, pm.Password) || !known {
		return errAuthFailed
	}
	return nil
}

func (s *session) authSCRAM(password string, known bool) error {
	conv := s.srv.auth.scram.Start(s.user, password, known)
	body, err := s.authExchange(&pgproto3.AuthenticationSASL{AuthMechanisms: []string{pgauth.MechanismSCRAMSHA256}})
	if err != nil {
		return err
	}
	var first pgproto3.SASLInitialResponse
	if err := first.Decode(body); err != nil || first.AuthMechanism != pgauth.MechanismSCRAMSHA256 {
		return pgerror.New(pgerror.ProtocolViolation, "client selected an invalid SASL authentication mechanism")
	}
	serverFirst, _, err := conv.Step(first.Data)
	if err != nil {
		return pgerror.Newf(pgerror.ProtocolViolation, "malformed SCRAM message: %v", err)
	}
	if body, err = s.authExchange(&pgproto3.AuthenticationSASLContinue{Data: serverFirst}); err != nil {
		return err
	}
	var final pgproto3.SASLResponse
	if err := final.Decode(body); err != nil {
		return pgerror.Newf(pgerror.ProtocolViolation, "malformed SCRAM message: %v", err)
	}
	serverFinal, _, err := conv.Step(final.Data)
	switch {
	case errors.Is(err, pgauth.ErrProtocol):
		return pgerror.Newf(pgerror.ProtocolViolation, "malformed SCRAM message: %v", err)
	case err != nil:
		return errAuthFailed
	}
	s.send(&pgproto3.AuthenticationSASLFinal{Data: serverFinal})
	return nil
}
