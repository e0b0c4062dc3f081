package session

import (
	"github.com/heliosdb/nano/sql/exec"
	"github.com/heliosdb/nano/sql/pgerror"
)

// Temporary tables live in the session's exec.TempSpace, made at the first
// transaction and closed (the tables dropped) by Close, whatever ended the
// session: a Terminate, a dead connection or a shutdown. A standby creates
// none: without write forwarding it answers as PostgreSQL's hot standby
// (25006); with it, it refuses clearly, because the table would live in a
// session on the primary that this session reaches only while a block is
// forwarded.

// tempSpace returns the session's TempSpace, told whether this node may
// create temporary tables now.
func (s *Session) tempSpace() *exec.TempSpace {
	if s.temp == nil {
		s.temp = s.cfg.Engine.NewTempSpace()
	}
	var refuse error
	if ro, _ := s.cfg.ReadOnly(); ro {
		refuse = pgerror.New(pgerror.ReadOnlySQLTransaction, "cannot execute CREATE TABLE in a read-only transaction")
		if s.cfg.Forward != nil {
			refuse = pgerror.New(pgerror.FeatureNotSupported, "temporary tables cannot be created on a standby, even with write forwarding").
				WithHint("A temporary table lives in the session that creates it: connect to the primary, or through heliosdb-proxy, which keeps such a session on the primary.")
		}
	}
	s.temp.SetRefusal(refuse)
	return s.temp
}
