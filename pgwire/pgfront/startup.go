package pgfront

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/heliosdb/nano/sql/pgerror"
)

// Startup packet codes (the int32 after the length of an untyped packet).
const (
	protocol30    = 3 << 16
	cancelCode    = 80877102
	sslCode       = 80877103
	gssEncCode    = 80877104
	maxStartupLen = 10000 // PostgreSQL's MAX_STARTUP_PACKET_LENGTH
)

// Info is what a client asked for in its StartupMessage.
type Info struct {
	User     string
	Database string // the user name when the client named none
	// Params are the other parameters (application_name, options, GUCs);
	// protocol options (_pq_.*) are not among them.
	Params map[string]string
	// ProtocolVersion is the version the client asked for; the server
	// speaks 3.0 and has told it so with NegotiateProtocolVersion when it
	// asked for more.
	ProtocolVersion uint32
}

const errMITM = "This could be either a client-software bug or evidence of an attempted man-in-the-middle attack."

// Startup runs the startup phase within Config.StartupTimeout, as
// PostgreSQL's ProcessStartupPacket and ClientAuthentication do:
//
//  1. Encryption negotiation: SSLRequest is answered 'S' and the
//     connection upgraded to TLS when Config.TLS is set, else 'N';
//     GSSENCRequest is answered 'N'. Bytes the client sent after either
//     request, before reading the answer, are refused with FATAL 08P01
//     (they were not encrypted: CVE-2021-23214). A second request of a
//     kind already answered is an unsupported protocol (0A000), as in
//     PostgreSQL. A CancelRequest is served and the connection ends.
//  2. The StartupMessage: protocol 3.x (a minor version above 0 or _pq_.
//     options are answered NegotiateProtocolVersion), user required
//     (28000), database defaulting to the user. Config.CheckStartup.
//  3. A session slot (limits.go; 53300 when none).
//  4. Authentication with the method Config.Rules chooses (auth.go);
//     28000 when no rule matches or the rule rejects, 28P01 for a wrong
//     password or unknown user.
//  5. The reserved slots for non-superusers (53300).
//
// On success the deadline is lifted and the caller greets the client
// (AuthenticationOk, ParameterStatus, BackendKeyData, ReadyForQuery). On
// failure it returns an error wrapping ErrStartupEnded, after telling the
// client why when it could; the caller closes the connection.
func (c *Conn) Startup() (*Info, error) {
	f := c.f
	_ = c.nc.SetDeadline(time.Now().Add(f.cfg.StartupTimeout))
	sm, err := c.negotiate()
	if err != nil {
		return nil, err
	}
	info, err := startupInfo(sm)
	if err != nil {
		return nil, c.fatal(err)
	}
	c.log = c.log.With("user", info.User, "database", info.Database)
	if f.cfg.CheckStartup != nil {
		if err := f.cfg.CheckStartup(info); err != nil {
			return nil, c.fatal(err)
		}
	}
	if err := f.admit(c); err != nil {
		return nil, c.fatal(err)
	}
	if err := c.negotiateVersion(sm); err != nil {
		return nil, c.ended(err)
	}
	if err := c.authenticate(info); err != nil {
		return nil, err
	}
	if err := f.admitUser(info.User); err != nil {
		return nil, c.fatal(err)
	}
	_ = c.nc.SetDeadline(time.Time{})
	return info, nil
}

// startupMessage is a parsed StartupMessage.
type startupMessage struct {
	version uint32
	params  [][2]string // in the order sent
}

// negotiate reads startup packets until the StartupMessage.
func (c *Conn) negotiate() (*startupMessage, error) {
	sslDone, gssDone := false, false
	for {
		body, err := c.readStartupPacket()
		if err != nil {
			return nil, c.startupReadError(err)
		}
		code := binary.BigEndian.Uint32(body)
		switch {
		case code == cancelCode:
			if len(body) == 12 {
				c.f.cancel(binary.BigEndian.Uint32(body[4:8]), body[8:12])
			}
			return nil, fmt.Errorf("%w: cancel request served", ErrStartupEnded)
		case code == sslCode && !sslDone:
			ok, err := c.startTLS()
			if err != nil {
				return nil, err
			}
			// As PostgreSQL: a further GSSENCRequest only if SSL was refused.
			sslDone, gssDone = true, gssDone || ok
		case code == gssEncCode && !gssDone:
			if err := c.answerEncryption('N', "received unencrypted data after GSSAPI encryption request"); err != nil {
				return nil, err
			}
			gssDone = true
		case code>>16 != 3:
			return nil, c.fatal(pgerror.Newf(pgerror.FeatureNotSupported,
				"unsupported frontend protocol %d.%d: server supports 3.0 to 3.0", code>>16, code&0xffff))
		default:
			sm, err := parseStartup(code, body[4:])
			if err != nil {
				return nil, c.fatal(err)
			}
			return sm, nil
		}
	}
}

// answerEncryption answers an encryption request with one byte and
// refuses bytes the client pipelined after the request.
func (c *Conn) answerEncryption(answer byte, pipelinedMsg string) error {
	pipelined := c.br.Buffered() > 0
	if _, err := c.rw.Write([]byte{answer}); err != nil {
		return c.ended(err)
	}
	if pipelined {
		return c.fatal(pgerror.Newf(pgerror.ProtocolViolation, "%s", pipelinedMsg).WithDetail(errMITM))
	}
	return nil
}

// startTLS answers an SSLRequest and, when TLS is configured, performs
// the handshake and switches the connection to it. Bytes pipelined after
// the request are refused once the handshake is done (so the client reads
// the refusal), as PostgreSQL does; they are never read as protocol.
func (c *Conn) startTLS() (bool, error) {
	cfg := c.f.cfg.TLS
	if cfg == nil {
		return false, c.answerEncryption('N', "received unencrypted data after SSL request")
	}
	pipelined := c.br.Buffered() > 0
	if _, err := c.nc.Write([]byte{'S'}); err != nil {
		return false, c.ended(err)
	}
	tc := tls.Server(c.nc, cfg)
	if err := tc.Handshake(); err != nil {
		c.log.Info("pgfront: TLS handshake failed", "err", err)
		return false, c.ended(err)
	}
	c.rw, c.tls = tc, true
	c.br = bufio.NewReaderSize(tc, readBufferSize)
	if pipelined {
		return true, c.fatal(pgerror.New(pgerror.ProtocolViolation, "received unencrypted data after SSL request").WithDetail(errMITM))
	}
	return true, nil
}

// readStartupPacket reads an untyped packet: its body after the length.
func (c *Conn) readStartupPacket() ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(c.br, hdr[:]); err != nil {
		return nil, err
	}
	n := int(int32(binary.BigEndian.Uint32(hdr[:])))
	if n < 8 || n > maxStartupLen {
		return nil, errBadStartupLength
	}
	body := make([]byte, n-4)
	if _, err := io.ReadFull(c.br, body); err != nil {
		return nil, err
	}
	return body, nil
}

var errBadStartupLength = errors.New("invalid length of startup packet")

// startupReadError handles a failed startup read. As PostgreSQL, a
// packet of an invalid length is only logged (COMMERROR) and the
// connection closed.
func (c *Conn) startupReadError(err error) error {
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded) && c.Draining():
		return c.fatal(pgerror.New(pgerror.CannotConnectNow, c.f.cfg.ShutdownMessage))
	case errors.Is(err, os.ErrDeadlineExceeded):
		c.log.Info("pgfront: startup timed out; closing connection")
	case errors.Is(err, errBadStartupLength):
		c.log.Info("pgfront: invalid length of startup packet; closing connection")
	default:
		c.log.Debug("pgfront: connection closed during startup", "err", err)
	}
	return c.ended(err)
}

// parseStartup reads the parameters of a StartupMessage as PostgreSQL
// does: name/value pairs up to a terminator that must be the last byte.
func parseStartup(version uint32, b []byte) (*startupMessage, error) {
	sm := &startupMessage{version: version}
	for len(b) > 0 && b[0] != 0 {
		name, rest, ok := cstring(b)
		if !ok {
			break
		}
		value, rest, ok := cstring(rest)
		if !ok {
			break
		}
		sm.params = append(sm.params, [2]string{name, value})
		b = rest
	}
	if len(b) != 1 || b[0] != 0 {
		return nil, pgerror.New(pgerror.ProtocolViolation, "invalid startup packet layout: expected terminator as last byte")
	}
	return sm, nil
}

func cstring(b []byte) (string, []byte, bool) {
	i := bytes.IndexByte(b, 0)
	if i < 0 {
		return "", b, false
	}
	return string(b[:i]), b[i+1:], true
}

// startupInfo extracts user, database and the other parameters.
func startupInfo(sm *startupMessage) (*Info, error) {
	info := &Info{Params: make(map[string]string, len(sm.params)), ProtocolVersion: sm.version}
	for _, p := range sm.params {
		switch k, v := p[0], p[1]; {
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
		return nil, pgerror.New(pgerror.InvalidAuthorization, "no PostgreSQL user name specified in startup packet")
	}
	if info.Database == "" {
		info.Database = info.User
	}
	return info, nil
}

// negotiateVersion answers a request for protocol 3.1+ or for protocol
// options with NegotiateProtocolVersion: we speak 3.0 and know no options.
func (c *Conn) negotiateVersion(sm *startupMessage) error {
	var unknown []string
	for _, p := range sm.params {
		if strings.HasPrefix(p[0], "_pq_.") {
			unknown = append(unknown, p[0])
		}
	}
	if sm.version == protocol30 && len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	return c.send(&pgproto3.NegotiateProtocolVersion{NewestMinorProtocol: 0, UnrecognizedOptions: unknown})
}

// send writes messages to the client.
func (c *Conn) send(msgs ...pgproto3.BackendMessage) error {
	var buf []byte
	for _, m := range msgs {
		var err error
		if buf, err = m.Encode(buf); err != nil {
			return fmt.Errorf("pgfront: encode %T: %w", m, err)
		}
	}
	_, err := c.rw.Write(buf)
	return err
}

// fatal sends err as FATAL and returns the error that ends the startup.
func (c *Conn) fatal(err error) error {
	_ = c.nc.SetWriteDeadline(time.Now().Add(fatalWriteTimeout))
	if werr := c.send(fatalResponse(err)); werr != nil {
		c.log.Debug("pgfront: could not send FATAL", "err", werr)
	}
	return fmt.Errorf("%w: %w", ErrStartupEnded, err)
}

// ended returns the error that ends the startup without telling the
// client (it hung up, or is not speaking the protocol).
func (c *Conn) ended(err error) error {
	return fmt.Errorf("%w: %w", ErrStartupEnded, err)
}
