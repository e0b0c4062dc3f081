package pgwire

import (
	"net"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/heliosdb/nano/sql/pgerror"
)

// Connection limits (Config.MaxConnections), as PostgreSQL applies them:
//
//   - A client that has sent its startup packet takes a slot before it
//     authenticates (PostgreSQL's InitProcess); with every slot taken it
//     gets FATAL 53300 "sorry, too many clients already". Startup and
//     authentication are bounded by StartupTimeout, so a client that never
//     finishes gives its slot back.
//   - After authentication, a user that is not a superuser may not take one
//     of the last ReservedConnections slots (superuser_reserved_connections).
//   - Raw connections that have not sent a startup packet yet are bounded
//     too (twice MaxConnections, like PostgreSQL's postmaster children):
//     one more is answered 53300 at once and closed, so a flood of idle
//     sockets cannot exhaust the process's file descriptors.

// admit takes a slot for c; an error is to be sent as FATAL.
func (s *Server) admit(c *conn) error {
	if s.cfg.MaxConnections <= 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.slots) >= s.cfg.MaxConnections {
		s.log.Warn("pgwire: refusing a connection: max connections reached", "max_connections", s.cfg.MaxConnections)
		return pgerror.New(pgerror.TooManyConnections, "sorry, too many clients already")
	}
	s.slots[c] = struct{}{}
	return nil
}

// admitUser applies the reserved slots once user has authenticated.
func (s *Server) admitUser(c *conn, user string) error {
	if s.cfg.MaxConnections <= 0 || s.cfg.ReservedConnections <= 0 {
		return nil
	}
	if s.cfg.IsSuperuser == nil || s.cfg.IsSuperuser(user) {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.slots) > s.cfg.MaxConnections-s.cfg.ReservedConnections {
		return pgerror.New(pgerror.TooManyConnections, "remaining connection slots are reserved for non-replication superuser connections")
	}
	return nil
}

// releaseSlot gives c's slot back; s.mu is held.
func (s *Server) releaseSlot(c *conn) { delete(s.slots, c) }

// overloaded reports whether a new raw connection must be turned away;
// s.mu is held.
func (s *Server) overloaded() bool {
	return s.cfg.MaxConnections > 0 && len(s.conns) >= 2*s.cfg.MaxConnections
}

// turnAway answers a connection over the raw limit with FATAL 53300 and
// closes it, without reading anything from it.
func (s *Server) turnAway(nc net.Conn) {
	defer nc.Close()
	msg := &pgproto3.ErrorResponse{Severity: pgerror.SeverityFatal, SeverityUnlocalized: pgerror.SeverityFatal,
		Code: string(pgerror.TooManyConnections), Message: "sorry, too many clients already"}
	b, err := msg.Encode(nil)
	if err != nil {
		return
	}
	_ = nc.SetWriteDeadline(time.Now().Add(fatalWriteTimeout))
	_, _ = nc.Write(b)
}
