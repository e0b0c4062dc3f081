package pgfront

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

// fatalWriteTimeout bounds the last write before a connection is closed.
const fatalWriteTimeout = time.Second

var errTooMany = pgerror.New(pgerror.TooManyConnections, "sorry, too many clients already")

// admit takes a slot for c; an error is to be sent as FATAL.
func (f *Front) admit(c *Conn) error {
	if f.cfg.MaxConnections <= 0 {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.slots) >= f.cfg.MaxConnections {
		f.log.Warn("pgfront: refusing a connection: max connections reached", "max_connections", f.cfg.MaxConnections)
		return errTooMany
	}
	f.slots[c] = struct{}{}
	return nil
}

// admitUser applies the reserved slots once user has authenticated.
func (f *Front) admitUser(user string) error {
	if f.cfg.MaxConnections <= 0 || f.cfg.ReservedConnections <= 0 {
		return nil
	}
	if f.cfg.IsSuperuser == nil || f.cfg.IsSuperuser(user) {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.slots) > f.cfg.MaxConnections-f.cfg.ReservedConnections {
		return pgerror.New(pgerror.TooManyConnections, "remaining connection slots are reserved for non-replication superuser connections")
	}
	return nil
}

// overloaded reports whether a new raw connection must be turned away;
// f.mu is held.
func (f *Front) overloaded() bool {
	return f.cfg.MaxConnections > 0 && len(f.conns) >= 2*f.cfg.MaxConnections
}

// turnAway answers a connection over the raw limit with FATAL 53300 and
// closes it, without reading anything from it.
func turnAway(nc net.Conn) {
	defer nc.Close()
	b, err := fatalResponse(errTooMany).Encode(nil)
	if err != nil {
		return
	}
	_ = nc.SetWriteDeadline(time.Now().Add(fatalWriteTimeout))
	_, _ = nc.Write(b)
}

// fatalResponse renders err as a FATAL ErrorResponse.
func fatalResponse(err error) *pgproto3.ErrorResponse {
	e := pgerror.Flatten(err)
	return &pgproto3.ErrorResponse{Severity: pgerror.SeverityFatal, SeverityUnlocalized: pgerror.SeverityFatal,
		Code: string(e.Code), Message: e.Message, Detail: e.Detail, Hint: e.Hint}
}
