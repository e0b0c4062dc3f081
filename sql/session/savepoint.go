package session

import (
	"context"

	"github.com/heliosdb/nano/sql/exec"
	"github.com/heliosdb/nano/sql/parser"
	"github.com/heliosdb/nano/sql/pgerror"
)

// Savepoints: SAVEPOINT, RELEASE [SAVEPOINT], ROLLBACK TO [SAVEPOINT], as
// PostgreSQL 15 runs them (its subtransactions).
//
// They are allowed in an explicit block only (elsewhere 25P01 "<command>
// can only be used in transaction blocks", implicit blocks included). The
// session keeps a stack of frames, newest last; a name may repeat and
// then means its newest frame. RELEASE x drops x's frame and every newer
// one and keeps what they did. ROLLBACK TO x undoes everything done since
// x was set and keeps x (newer frames go): the engine transaction's writes
// and locks (exec.Txn.RollbackTo), parameter changes (SET and SET LOCAL),
// and the cursors and portals opened since, which are closed. An unknown
// name is 3B001 `savepoint "x" does not exist`, an error like any other
// (it fails the block).
//
// An error inside a block with savepoints does not roll the whole
// transaction back: as PostgreSQL aborts only the innermost
// subtransaction, the engine transaction is rolled back to the newest
// frame at once (its locks are given back then) and the block is failed;
// ROLLBACK TO one of the frames makes it usable again, COMMIT rolls back
// (tag ROLLBACK), RELEASE and everything else get 25P02.
//
// A forwarded block (forward.go) mirrors the three statements on the
// primary; frames set before the block started forwarding are set there
// when it starts.

// savepointFrame is one SAVEPOINT of the open block.
type savepointFrame struct {
	name string
	// mark is the engine transaction's position; the zero value (the
	// transaction's start) when it had none yet.
	mark       exec.Savepoint
	vars       gucMark
	txReadOnly *bool
	// seq: cursors and portals with a larger seq were opened after it.
	seq uint64
}

// nextSeq numbers a cursor or portal being opened.
func (s *Session) nextSeq() uint64 {
	s.seq++
	return s.seq
}

// execSavepoint runs SAVEPOINT, RELEASE and ROLLBACK TO.
func (s *Session) execSavepoint(ctx context.Context, st *statement, out output) error {
	ts := st.ast.Node.GetTransactionStmt()
	name := ts.GetSavepointName()
	cmd, tag := "SAVEPOINT", "SAVEPOINT"
	switch st.kind {
	case kindRelease:
		cmd, tag = "RELEASE SAVEPOINT", "RELEASE"
	case kindRollbackTo:
		cmd, tag = "ROLLBACK TO SAVEPOINT", "ROLLBACK"
	}
	if s.block != blockExplicit && s.block != blockFailed {
		return pgerror.Newf(pgerror.NoActiveSQLTransaction, "%s can only be used in transaction blocks", cmd)
	}
	i := -1
	if st.kind != kindSavepoint {
		if i = s.findSavepoint(name); i < 0 {
			return pgerror.Newf(pgerror.InvalidSavepointSpec, "savepoint %q does not exist", name)
		}
	}
	if err := s.forwardUtility(ctx, st); err != nil {
		return err
	}
	switch st.kind {
	case kindSavepoint:
		f := savepointFrame{name: name, vars: s.vars.mark(), txReadOnly: s.txReadOnly, seq: s.seq}
		if s.txn != nil {
			f.mark = s.txn.Savepoint()
		}
		s.savepoints = append(s.savepoints, f)
	case kindRelease:
		s.savepoints = s.savepoints[:i]
		if len(s.savepoints) == 0 && s.txn != nil {
			s.txn.SetSavepoints(false)
		}
	case kindRollbackTo:
		s.rollbackToFrame(i)
	}
	return out.w.Complete(tag)
}

// findSavepoint returns the index of the newest frame named name, -1 if
// none.
func (s *Session) findSavepoint(name string) int {
	for i := len(s.savepoints) - 1; i >= 0; i-- {
		if s.savepoints[i].name == name {
			return i
		}
	}
	return -1
}

// rollbackToFrame undoes everything done since frame i was set, drops the
// newer frames and makes the block usable again.
func (s *Session) rollbackToFrame(i int) {
	f := s.savepoints[i]
	s.savepoints = s.savepoints[:i+1]
	if s.txn != nil {
		s.txn.RollbackTo(f.mark)
	}
	s.vars.restore(f.vars)
	s.txReadOnly = f.txReadOnly
	s.closeCursors(func(c *sqlCursor) bool { return c.seq > f.seq })
	for name, p := range s.portals {
		if p.seq > f.seq && !p.st.isTxEnd() {
			s.dropPortal(name, p)
		}
	}
	s.block = blockExplicit
}

// abortSubtransaction is the error path of a block with savepoints: the
// engine transaction goes back to the newest frame and the block fails.
func (s *Session) abortSubtransaction() {
	if s.txn != nil {
		s.txn.RollbackTo(s.savepoints[len(s.savepoints)-1].mark)
	}
	s.block = blockFailed
}

// forwardSavepoints sets the block's frames on the primary when the block
// starts forwarding.
func (s *Session) forwardSavepoints(ctx context.Context) error {
	for _, f := range s.savepoints {
		if err := s.fwd.Exec(ctx, ForwardStatement{SQL: "SAVEPOINT " + parser.QuoteIdent(f.name)}, discard{}); err != nil {
			return err
		}
	}
	return nil
}
