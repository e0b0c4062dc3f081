package result

import (
	"errors"
	"io"

	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

// Column describes one result column, as RowDescription needs it.
type Column struct {
	Name     string
	Type     types.T
	TableOID uint32 // 0 when not a plain table column
	AttrNum  int16  // 0 when not a plain table column
}

// Writer receives the results of one statement. Calls come in the order
// SetColumns? AddRow* Complete; SetColumns is skipped by statements that
// return no rows. The row slice is only valid during the AddRow call: the
// writer must encode or copy it before returning. Implementations need not
// be safe for concurrent use.
type Writer interface {
	// SetColumns announces the row shape of a row-returning statement.
	SetColumns(cols []Column) error
	// AddRow sends one row; len(row) == len(cols).
	AddRow(row []types.Datum) error
	// Complete ends the statement with a command tag such as "SELECT 3",
	// "INSERT 0 1", "UPDATE 2", "CREATE TABLE".
	Complete(tag string) error
}

// Noticer is implemented by writers that can deliver NoticeResponse
// messages (e.g. "table does not exist, skipping").
type Noticer interface {
	Notice(n *pgerror.Error)
}

// TxStatus is the transaction status of ReadyForQuery.
type TxStatus byte

const (
	TxIdle   TxStatus = 'I'
	TxInTx   TxStatus = 'T'
	TxFailed TxStatus = 'E'
)

// Buffer is a Writer that keeps everything in memory; used by the HTTP API
// and tests. It holds the last statement's result: a statement that starts
// after one completed replaces the columns, rows and tag (a multi-statement
// query answers with its last result, as psql -c shows it); notices
// accumulate.
type Buffer struct {
	Columns []Column
	Rows    [][]types.Datum
	Tag     string
	Notices []*pgerror.Error

	completed bool // the statement in Columns/Rows/Tag has completed
}

// next starts a new statement's result when the previous one completed.
func (b *Buffer) next() {
	if b.completed {
		b.Columns, b.Rows, b.Tag, b.completed = nil, nil, "", false
	}
}

func (b *Buffer) SetColumns(cols []Column) error { b.next(); b.Columns = cols; return nil }

func (b *Buffer) AddRow(row []types.Datum) error {
	b.next()
	b.Rows = append(b.Rows, append([]types.Datum(nil), row...))
	return nil
}

func (b *Buffer) Complete(tag string) error { b.next(); b.Tag, b.completed = tag, true; return nil }

func (b *Buffer) Notice(n *pgerror.Error) { b.Notices = append(b.Notices, n) }

// StartupInfo is what the client said in its StartupMessage, after
// authentication succeeded.
type StartupInfo struct {
	User     string
	Database string
	// Params holds the remaining startup parameters (application_name,
	// client_encoding, DateStyle, options, ...).
	Params     map[string]string
	RemoteAddr string
	ProcessID  uint32
}

// StatementDescription describes a prepared statement.
type StatementDescription struct {
	ParamTypes []types.Oid // one per $n; resolved, never 0
	Columns    []Column    // nil when the statement returns no rows
}

// ErrEmptyQuery is returned by a session for a query string with no
// statements; pgwire answers EmptyQueryResponse.
var ErrEmptyQuery = errors.New("result: empty query")

// Copier is implemented by Writers of a client connection that speaks the
// COPY sub-protocol (pgwire's); other Writers (the HTTP API's Buffer) do
// not, and COPY FROM STDIN / TO STDOUT are refused there. format is 0 for
// text and CSV, 1 for binary; ncols is the number of columns copied.
type Copier interface {
	// CopyIn sends CopyInResponse, flushes it, and returns the client's
	// data: Read yields the bytes of its CopyData messages and io.EOF
	// after CopyDone; CopyFail ends it with 57014, any other message with
	// 08P01. The reader is valid only during the statement.
	CopyIn(format int16, ncols int) (io.Reader, error)
	// CopyOut sends CopyOutResponse.
	CopyOut(format int16, ncols int) error
	// CopyData sends one CopyData message (data is not retained).
	CopyData(data []byte) error
	// CopyDone sends CopyDone; Complete follows with "COPY n".
	CopyDone() error
}
