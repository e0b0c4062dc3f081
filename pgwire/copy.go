package pgwire

import (
	"errors"
	"io"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/heliosdb/nano/sql/pgerror"
)

// COPY sub-protocol. The Session drives it through result.Copier, which
// rowWriter implements: CopyIn sends CopyInResponse and hands the session a
// reader over the client's CopyData messages, read from the socket by the
// connection's own goroutine (the one running the session call), so COPY
// adds no goroutine. The data streams: one CopyData message at a time is
// held (bounded by Config.MaxMessageSize). After a failed COPY the client's
// remaining CopyData/CopyDone/CopyFail messages are dropped by handle, as
// PostgreSQL does.

// copyInReader is the io.Reader over the client's COPY data.
type copyInReader struct {
	c   *conn
	buf []byte // the unread rest of the current CopyData (aliases pgproto3's buffer)
	err error  // sticky: io.EOF after CopyDone, or the failure
}

func (r *copyInReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		r.next()
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// next receives one message of the copy-in stream. A CopyData's bytes stay
// valid until the following Receive, which happens only once they are
// consumed.
func (r *copyInReader) next() {
	msg, err := r.c.be.Receive()
	if err != nil {
		// The connection is unusable: the loop ends it after the call.
		r.c.rerr = err
		r.err = pgerror.Newf(pgerror.ConnectionFailure, "unexpected EOF on client connection with an open transaction")
		if !isIOError(err) {
			r.err = pgerror.Newf(pgerror.ProtocolViolation, "invalid frontend message during COPY: %v", err)
		}
		return
	}
	switch m := msg.(type) {
	case *pgproto3.CopyData:
		r.buf = m.Data
	case *pgproto3.CopyDone:
		r.err = io.EOF
	case *pgproto3.CopyFail:
		r.err = pgerror.Newf(pgerror.QueryCanceled, "COPY from stdin failed: %s", m.Message)
	case *pgproto3.Flush, *pgproto3.Sync:
		// Ignored during COPY, as in PostgreSQL.
	default:
		r.err = pgerror.Newf(pgerror.ProtocolViolation, "unexpected message type 0x%02X during COPY from stdin", msgType(msg))
	}
}

// msgType is the type byte of a frontend message.
func msgType(msg pgproto3.FrontendMessage) byte {
	b, err := msg.Encode(nil)
	if err != nil || len(b) == 0 {
		return 0
	}
	return b[0]
}

// errCopyNotHere is returned when a session asks for COPY data twice.
var errCopyNotHere = errors.New("pgwire: COPY is already in progress")

// CopyIn implements result.Copier.
func (w *rowWriter) CopyIn(format int16, ncols int) (io.Reader, error) {
	if w.copying {
		return nil, errCopyNotHere
	}
	w.copying = true
	w.c.appendMsg(&pgproto3.CopyInResponse{OverallFormat: byte(format), ColumnFormatCodes: columnFormats(format, ncols)})
	w.c.flush()
	if w.c.werr != nil {
		return nil, w.c.werr
	}
	return &copyInReader{c: w.c}, nil
}

// CopyOut implements result.Copier.
func (w *rowWriter) CopyOut(format int16, ncols int) error {
	w.c.appendMsg(&pgproto3.CopyOutResponse{OverallFormat: byte(format), ColumnFormatCodes: columnFormats(format, ncols)})
	return w.c.werr
}

// CopyData implements result.Copier.
func (w *rowWriter) CopyData(data []byte) error {
	b := append(w.c.wbuf, 'd', 0, 0, 0, 0)
	n := len(data) + 4
	b[len(b)-4], b[len(b)-3], b[len(b)-2], b[len(b)-1] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	w.c.wbuf = append(b, data...)
	if len(w.c.wbuf) >= flushThreshold {
		w.c.flush()
	}
	return w.c.werr
}

// CopyDone implements result.Copier.
func (w *rowWriter) CopyDone() error {
	w.c.wbuf = append(w.c.wbuf, 'c', 0, 0, 0, 4)
	return w.c.werr
}

func columnFormats(format int16, ncols int) []uint16 {
	f := make([]uint16, ncols)
	for i := range f {
		f[i] = uint16(format)
	}
	return f
}
