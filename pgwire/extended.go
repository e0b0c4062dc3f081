package pgwire

import (
	"errors"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/result"
	"github.com/heliosdb/nano/sql/types"
)

// extError reports an extended-protocol failure and skips to Sync.
func (c *conn) extError(err error) {
	c.sendError(err)
	c.ignoreTillSync = true
}

func (c *conn) parse(m *pgproto3.Parse) {
	c.inBatch = true
	ctx := c.beginStatement()
	_, err := c.sess.Prepare(ctx, m.Name, m.Query, m.ParameterOIDs)
	c.endStatement()
	if err != nil {
		c.extError(err)
		return
	}
	c.wbuf = append(c.wbuf, '1', 0, 0, 0, 4)
}

func (c *conn) bind(m *pgproto3.Bind) {
	c.inBatch = true
	if err := checkFormats(m.ResultFormatCodes); err != nil {
		c.extError(err)
		return
	}
	if err := checkFormats(m.ParameterFormatCodes); err != nil {
		c.extError(err)
		return
	}
	// Bind decodes its parameters and runs nothing: no statement context
	// (cancellation, client check) is armed for it.
	err := c.sess.Bind(c.ctx, m.DestinationPortal, m.PreparedStatement, m.Parameters, m.ParameterFormatCodes, m.ResultFormatCodes)
	if err != nil {
		c.extError(err)
		return
	}
	c.wbuf = append(c.wbuf, '2', 0, 0, 0, 4)
}

func checkFormats(formats []int16) error {
	for _, f := range formats {
		if f != 0 && f != 1 {
			return pgerror.Newf(pgerror.ProtocolViolation, "unsupported format code: %d", f)
		}
	}
	return nil
}

func (c *conn) describe(m *pgproto3.Describe) {
	c.inBatch = true
	switch m.ObjectType {
	case 'S':
		desc, err := c.sess.DescribeStatement(m.Name)
		if err != nil {
			c.extError(err)
			return
		}
		c.appendMsg(&pgproto3.ParameterDescription{ParameterOIDs: desc.ParamTypes})
		c.appendColumns(desc.Columns, nil)
	case 'P':
		cols, formats, err := c.sess.DescribePortal(m.Name)
		if err != nil {
			c.extError(err)
			return
		}
		c.appendColumns(cols, formats)
	default:
		c.extError(pgerror.Newf(pgerror.ProtocolViolation, "invalid DESCRIBE message subtype %d", m.ObjectType))
	}
}

// appendColumns sends RowDescription, or NoData for no columns.
func (c *conn) appendColumns(cols []result.Column, formats []int16) {
	if cols == nil {
		c.wbuf = append(c.wbuf, 'n', 0, 0, 0, 4)
		return
	}
	c.appendRowDescription(cols, formats)
}

func (c *conn) execute(m *pgproto3.Execute) {
	c.inBatch = true
	cols, formats, err := c.sess.DescribePortal(m.Portal)
	if err == nil {
		err = checkBinaryOutput(cols, formats)
	}
	if err != nil {
		c.extError(err)
		return
	}
	if c.execMark < 0 {
		c.execMark = len(c.wbuf)
	}
	start := time.Now()
	c.w.reset(true)
	c.w.cols, c.w.formats = cols, formats
	ctx := c.beginStatement()
	suspended, err := c.sess.Execute(ctx, m.Portal, int(m.MaxRows), &c.w)
	c.endStatement()
	c.srv.metrics.extDur.Observe(time.Since(start).Seconds())
	switch {
	case errors.Is(err, result.ErrEmptyQuery):
		c.wbuf = append(c.wbuf, 'I', 0, 0, 0, 4)
	case err != nil:
		c.extError(err)
	case suspended:
		c.wbuf = append(c.wbuf, 's', 0, 0, 0, 4)
	}
}

// checkBinaryOutput fails, as PostgreSQL does, when binary output is asked
// for a type that has none.
func checkBinaryOutput(cols []result.Column, formats []int16) error {
	for i, col := range cols {
		if formatOf(formats, i) == 1 && !types.HasBinary(col.Type.Oid) {
			return pgerror.Newf(pgerror.UndefinedFunction, "no binary output function available for type %s", col.Type)
		}
	}
	return nil
}

func (c *conn) closeMsg(m *pgproto3.Close) {
	c.inBatch = true
	var err error
	switch m.ObjectType {
	case 'S':
		err = c.sess.CloseStatement(m.Name)
	case 'P':
		err = c.sess.ClosePortal(m.Name)
	default:
		err = pgerror.Newf(pgerror.ProtocolViolation, "invalid CLOSE message subtype %d", m.ObjectType)
	}
	if err != nil {
		c.extError(err)
		return
	}
	c.wbuf = append(c.wbuf, '3', 0, 0, 0, 4)
}

// sync ends a batch: the session commits or aborts, then ReadyForQuery.
//
// When the commit fails, the output of the batch's Executes that is still
// buffered (not yet flushed to the client) is withdrawn, so the client
// sees the error where the batch's first statement ran, never a
// CommandComplete and then the error of the same, uncommitted, write.
// (PostgreSQL sends each Execute's CommandComplete before the commit at
// Sync; it is only ever followed by an error when the commit fails, e.g.
// on a full disk, where PostgreSQL crashes instead.) Output the client
// already received (a Flush message, or more than flushThreshold bytes)
// cannot be withdrawn.
//
// The commit runs under a statement context, so a CancelRequest (or
// pg_cancel_backend) reaches a commit still waiting to be written.
func (c *conn) sync() {
	c.ignoreTillSync = false
	var err error
	if sw, ok := c.sess.(SyncWorkReporter); ok && !sw.SyncHasWork() {
		err = c.sess.Sync(c.ctx)
	} else {
		ctx := c.beginStatement()
		err = c.sess.Sync(ctx)
		c.endStatement()
	}
	if err != nil {
		if c.execMark >= 0 {
			c.wbuf = c.wbuf[:c.execMark]
		}
		c.sendError(err)
	}
	c.execMark = -1
	c.readyForQuery()
}
