package session

import (
	"context"
	"strconv"

	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/result"
)

// execCopy runs COPY FROM STDIN or COPY TO STDOUT over the writer's COPY
// sub-protocol (result.Copier). The data is consumed as it arrives, so the
// statement is never re-run after a conflict: it ends the implicit block's
// replay log. COPY FROM adds its rows to the block's transaction: in an
// implicit block they commit with the query string, in an explicit one
// with COMMIT.
func (s *Session) execCopy(ctx context.Context, st *statement, out output) error {
	cp, ok := out.w.(result.Copier)
	if !ok {
		return pgerror.New(pgerror.FeatureNotSupported, "COPY FROM STDIN and COPY TO STDOUT need the PostgreSQL wire protocol")
	}
	from := st.ast.Node.GetCopyStmt().GetIsFrom()
	if from {
		if err := s.checkCopyWritable(); err != nil {
			return err
		}
	}
	if s.fwd != nil {
		return pgerror.New(pgerror.FeatureNotSupported, "COPY is not supported in a transaction forwarded to the primary; connect to the primary")
	}
	if err := s.ensureTxn(ctx); err != nil {
		return err
	}
	if from {
		if err := s.freezeCursors(ctx); err != nil {
			return err
		}
	}
	plan, err := s.cfg.Engine.PrepareCopy(ctx, s.txn, st.ast)
	if err != nil {
		return err
	}
	if from && s.readOnlyTx() && !plan.IntoTemp() {
		return errReadOnlyTx("COPY FROM")
	}
	format := int16(0)
	if plan.Binary() {
		format = 1
	}
	vars := noticeVars{sessionVars{s}, out.w}
	var n int64
	if from {
		r, err := cp.CopyIn(format, plan.NumColumns())
		if err != nil {
			return err
		}
		if n, err = plan.CopyFrom(ctx, s.txn, r, vars); err != nil {
			return err
		}
	} else {
		if err := cp.CopyOut(format, plan.NumColumns()); err != nil {
			return err
		}
		if n, err = plan.CopyTo(ctx, s.txn, vars, cp.CopyData); err != nil {
			return err
		}
		if err := cp.CopyDone(); err != nil {
			return err
		}
	}
	tag := "COPY " + strconv.FormatInt(n, 10)
	if from && s.lastInString && s.block == blockImplicit {
		// CommandComplete only once the commit succeeded (see heldTag).
		s.heldTag = &record{st: st, out: out, tag: tag, done: true}
		return nil
	}
	return out.w.Complete(tag)
}

// checkCopyWritable refuses COPY FROM on a read-only node (with the
// node's hint; write forwarding does not carry COPY). In a read-only
// transaction it is refused once planned, unless into a temporary table
// (as PostgreSQL).
func (s *Session) checkCopyWritable() error {
	if ro, hint := s.cfg.ReadOnly(); ro {
		e := errReadOnlyTx("COPY FROM")
		if hint != "" {
			e = e.WithHint("%s", hint)
		}
		return e
	}
	return nil
}
