package pgwire

import (
	"encoding/binary"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/result"
	"github.com/heliosdb/nano/sql/types"
)

const (
	// flushThreshold is the buffered output size at which rows are written
	// out before the statement ends.
	flushThreshold = 32 << 10
	// maxIdleBuffer is the largest output buffer kept between flushes.
	maxIdleBuffer = 1 << 20
)

// appendMsg buffers an encoded backend message.
func (c *conn) appendMsg(msg pgproto3.BackendMessage) {
	buf, err := msg.Encode(c.wbuf)
	if err != nil {
		// Only oversized fields fail to encode; report that instead.
		c.log.Error("pgwire: encoding backend message", "type", msgName(msg), "err", err)
		return
	}
	c.wbuf = buf
}

func msgName(msg pgproto3.BackendMessage) string {
	switch msg.(type) {
	case *pgproto3.ErrorResponse:
		return "ErrorResponse"
	case *pgproto3.RowDescription:
		return "RowDescription"
	}
	return "message"
}

// flush writes the buffered output. After a write error the connection is
// finished; later output is dropped.
func (c *conn) flush() {
	if c.werr == nil && len(c.wbuf) > 0 {
		_, c.werr = c.rw.Write(c.wbuf)
	}
	if cap(c.wbuf) > maxIdleBuffer {
		c.wbuf = make([]byte, 0, 8<<10)
	}
	c.wbuf = c.wbuf[:0]
	c.execMark = -1
}

// errorResponse converts err to the wire message with the given default
// severity.
func errorResponse(err error, severity string) *pgproto3.ErrorResponse {
	pe := pgerror.Flatten(err)
	if pe.Severity != "" {
		severity = pe.Severity
	}
	return &pgproto3.ErrorResponse{
		Severity:            severity,
		SeverityUnlocalized: severity,
		Code:                string(pe.Code),
		Message:             pe.Message,
		Detail:              pe.Detail,
		Hint:                pe.Hint,
		Where:               pe.Where,
		Position:            pe.Position,
		SchemaName:          pe.SchemaName,
		TableName:           pe.TableName,
		ColumnName:          pe.ColumnName,
		ConstraintName:      pe.ConstraintName,
	}
}

// sendError buffers an ErrorResponse for err.
func (c *conn) sendError(err error) {
	if c.isTerminated() {
		c.endTerminated() // PostgreSQL reports the FATAL, not the statement's error
		return
	}
	msg := errorResponse(err, pgerror.SeverityError)
	if msg.Code == string(pgerror.InternalError) {
		c.log.Warn("pgwire: internal error", "err", err)
	}
	c.srv.metrics.countError(msg.Code)
	c.appendMsg(msg)
}

// sendFatal sends a FATAL ErrorResponse and flushes it, within a short write
// deadline; the caller then closes the connection.
func (c *conn) sendFatal(err error) {
	msg := errorResponse(err, pgerror.SeverityFatal)
	c.srv.metrics.countError(msg.Code)
	c.log.Debug("pgwire: closing connection with error", "code", msg.Code, "msg", msg.Message)
	_ = c.nc.SetWriteDeadline(time.Now().Add(fatalWriteTimeout))
	c.appendMsg(msg)
	c.flush()
}

// appendRowDescription buffers a RowDescription; formats as in Bind (none:
// text, one: all, else per column).
func (c *conn) appendRowDescription(cols []result.Column, formats []int16) {
	b := c.wbuf
	start := len(b)
	b = append(b, 'T', 0, 0, 0, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(len(cols)))
	for i, col := range cols {
		b = append(b, col.Name...)
		b = append(b, 0)
		b = binary.BigEndian.AppendUint32(b, col.TableOID)
		b = binary.BigEndian.AppendUint16(b, uint16(col.AttrNum))
		b = binary.BigEndian.AppendUint32(b, col.Type.Oid)
		b = binary.BigEndian.AppendUint16(b, uint16(col.Type.Size()))
		b = binary.BigEndian.AppendUint32(b, uint32(col.Type.Mod))
		b = binary.BigEndian.AppendUint16(b, uint16(formatOf(formats, i)))
	}
	binary.BigEndian.PutUint32(b[start+1:], uint32(len(b)-start-1))
	c.wbuf = b
}

// formatOf returns column i's format code under Bind's rules.
func formatOf(formats []int16, i int) int16 {
	switch len(formats) {
	case 0:
		return 0
	case 1:
		return formats[0]
	}
	if i < len(formats) {
		return formats[i]
	}
	return 0
}

// appendCommandComplete buffers a CommandComplete with tag.
func (c *conn) appendCommandComplete(tag string) {
	b := append(c.wbuf, 'C')
	b = binary.BigEndian.AppendUint32(b, uint32(4+len(tag)+1))
	b = append(b, tag...)
	c.wbuf = append(b, 0)
}

// maxAllocSize is PostgreSQL's limit on one allocation (1 GB - 1): a
// DataRow's body must stay below it, as PostgreSQL's message buffer does.
const maxAllocSize = 1<<30 - 1

// rowTooBig is PostgreSQL's error for a DataRow that would reach 1 GB: its
// buffer holds have bytes and a value needs more.
func rowTooBig(have, more int) error {
	return pgerror.New(pgerror.ProgramLimitExceeded, "out of memory").
		WithDetail("Cannot enlarge string buffer containing %d bytes by %d more bytes.", have, more)
}

// valueLen is the length of d's wire form when it may be big (strings and
// bytea), checked before the value is formatted; -1 for other (small)
// values. A bytea's hex text that cannot be allocated fails as in
// PostgreSQL.
func valueLen(d types.Datum, binaryFormat bool) (int, error) {
	switch v := d.(type) {
	case string:
		return len(v), nil
	case []byte:
		if binaryFormat {
			return len(v), nil
		}
		if n := 2 + 2*len(v); n+1 > maxAllocSize {
			return 0, pgerror.Newf(pgerror.ProgramLimitExceeded, "invalid memory alloc request size %d", n+1)
		}
		return 2 + 2*len(v), nil
	}
	return -1, nil
}

// appendDataRow buffers one DataRow; on an encoding error nothing is
// buffered.
func (c *conn) appendDataRow(row []types.Datum, cols []result.Column, formats []int16) error {
	b := c.wbuf
	start := len(b)
	b = append(b, 'D', 0, 0, 0, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(len(row)))
	for i, d := range row {
		if d == nil {
			b = append(b, 0xff, 0xff, 0xff, 0xff)
			continue
		}
		lenPos := len(b)
		b = append(b, 0, 0, 0, 0)
		have := len(b) - start - 5
		n, err := valueLen(d, formatOf(formats, i) == 1)
		if err == nil && n >= maxAllocSize-have {
			err = rowTooBig(have, n)
		}
		if err != nil {
			c.wbuf = b[:start]
			return err
		}
		if formatOf(formats, i) == 1 {
			nb, err := types.AppendBinary(b, d, cols[i].Type)
			if err != nil {
				c.wbuf = b[:start]
				return err
			}
			b = nb
		} else {
			b = types.AppendTextLoc(b, d, cols[i].Type, c.loc)
		}
		if len(b)-start-5 >= maxAllocSize {
			c.wbuf = b[:start]
			return rowTooBig(have, len(b)-lenPos-4)
		}
		binary.BigEndian.PutUint32(b[lenPos:], uint32(len(b)-lenPos-4))
	}
	binary.BigEndian.PutUint32(b[start+1:], uint32(len(b)-start-1))
	c.wbuf = b
	return nil
}

// rowWriter is the result.Writer (and result.Noticer) handed to the
// session. One per connection, reset per statement.
type rowWriter struct {
	c        *conn
	extended bool // Execute: the columns come from Describe, none are sent
	cols     []result.Column
	formats  []int16
	copying  bool // CopyIn was called in this statement
}

func (w *rowWriter) reset(extended bool) {
	w.extended = extended
	w.copying = false
	w.cols = nil
	w.formats = nil
}

// SetColumns sends RowDescription (simple protocol only).
func (w *rowWriter) SetColumns(cols []result.Column) error {
	if w.extended {
		return w.c.werr
	}
	w.cols = cols
	w.formats = nil
	w.c.appendRowDescription(cols, nil)
	return w.c.werr
}

// AddRow sends a DataRow in the statement's formats.
func (w *rowWriter) AddRow(row []types.Datum) error {
	if len(row) != len(w.cols) {
		return pgerror.Newf(pgerror.InternalError, "pgwire: row has %d values for %d columns", len(row), len(w.cols))
	}
	if err := w.c.appendDataRow(row, w.cols, w.formats); err != nil {
		return err
	}
	if len(w.c.wbuf) >= flushThreshold {
		w.c.flush()
	}
	return w.c.werr
}

// Complete sends CommandComplete.
func (w *rowWriter) Complete(tag string) error {
	w.c.appendCommandComplete(tag)
	return w.c.werr
}

// Notice sends a NoticeResponse.
func (w *rowWriter) Notice(n *pgerror.Error) {
	msg := errorResponse(n, pgerror.SeverityNotice)
	w.c.appendMsg((*pgproto3.NoticeResponse)(msg))
}
