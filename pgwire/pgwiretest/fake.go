package pgwiretest

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/heliosdb/nano/pgwire"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/result"
	"github.com/heliosdb/nano/sql/types"
)

// Statement is the canned behaviour of one statement text.
type Statement struct {
	// ParamTypes are the $n types reported by Describe.
	ParamTypes []types.Oid
	// Columns is nil for statements that return no rows.
	Columns []result.Column
	// Run executes the statement with decoded arguments and returns its
	// rows and command tag ("" = "SELECT <rows>"). nil Run returns no rows
	// and Tag.
	Run func(ctx context.Context, s *Session, args []types.Datum) (rows [][]types.Datum, tag string, err error)
	// Tag is the command tag used when Run is nil.
	Tag string
	// Notices are sent (when the writer is a result.Noticer) before the
	// rows.
	Notices []*pgerror.Error
}

// Factory is a pgwire.SessionFactory of fake Sessions sharing Statements
// and an in-memory table of items (id int8, name text).
type Factory struct {
	// Statements maps statement text to behaviour. Set before serving.
	Statements map[string]*Statement
	// OnNewSession, when set, may reject a session with an error.
	OnNewSession func(info result.StartupInfo) error
	// SyncErr, when set, is the error of every Sync (a failed commit).
	SyncErr func() error

	mu     sync.Mutex
	items  [][]types.Datum
	infos  []result.StartupInfo
	closed atomic.Int32
}

// NewFactory returns a Factory with DefaultStatements and items 1..5.
func NewFactory() *Factory {
	f := &Factory{Statements: DefaultStatements()}
	for i := int64(1); i <= 5; i++ {
		f.items = append(f.items, []types.Datum{i, fmt.Sprintf("item%d", i)})
	}
	return f
}

// NewSession implements pgwire.SessionFactory.
func (f *Factory) NewSession(ctx context.Context, info result.StartupInfo) (pgwire.Session, error) {
	if f.OnNewSession != nil {
		if err := f.OnNewSession(info); err != nil {
			return nil, err
		}
	}
	f.mu.Lock()
	f.infos = append(f.infos, info)
	f.mu.Unlock()
	params := map[string]string{
		"server_version":              "16.0",
		"server_encoding":             "UTF8",
		"client_encoding":             "UTF8",
		"DateStyle":                   "ISO, MDY",
		"IntervalStyle":               "postgres",
		"TimeZone":                    "UTC",
		"integer_datetimes":           "on",
		"standard_conforming_strings": "on",
		"is_superuser":                "on",
		"session_authorization":       info.User,
		"application_name":            info.Params["application_name"],
	}
	return &Session{
		f:        f,
		Info:     info,
		params:   params,
		tx:       result.TxIdle,
		prepared: make(map[string]*prepared),
		portals:  make(map[string]*portal),
	}, nil
}

// Infos returns the StartupInfo of every session created.
func (f *Factory) Infos() []result.StartupInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]result.StartupInfo(nil), f.infos...)
}

// Closed returns how many sessions have been closed.
func (f *Factory) Closed() int { return int(f.closed.Load()) }

// Items returns a copy of the items table.
func (f *Factory) Items() [][]types.Datum {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]types.Datum(nil), f.items...)
}

// Session is the fake pgwire.Session.
type Session struct {
	f        *Factory
	Info     result.StartupInfo
	params   map[string]string
	tx       result.TxStatus
	prepared map[string]*prepared
	portals  map[string]*portal
}

type prepared struct {
	stmt  *Statement // nil for the empty query
	types []types.Oid
}

type portal struct {
	stmt    *Statement
	args    []types.Datum
	formats []int16
	ran     bool
	rows    [][]types.Datum
	tag     string
	pos     int
}

// SetParam changes a reported parameter (as SET would).
func (s *Session) SetParam(name, value string) { s.params[name] = value }

func (s *Session) lookup(sql string) (*Statement, error) {
	st, ok := s.f.Statements[sql]
	if !ok {
		if set := parseSet(sql); set != nil {
			return set, nil
		}
		return nil, pgerror.Newf(pgerror.SyntaxError, "syntax error at or near %q", firstWord(sql)).WithPosition(1)
	}
	return st, nil
}

func firstWord(sql string) string {
	if i := strings.IndexAny(sql, " \t\n"); i > 0 {
		return sql[:i]
	}
	return sql
}

// run executes st and tracks the transaction state.
func (s *Session) run(ctx context.Context, st *Statement, args []types.Datum) ([][]types.Datum, string, error) {
	if s.tx == result.TxFailed && st.Tag != "ROLLBACK" && st.Tag != "COMMIT" {
		return nil, "", pgerror.New(pgerror.InFailedSQLTransaction, "current transaction is aborted, commands ignored until end of transaction block")
	}
	if st.Run == nil {
		return nil, st.Tag, nil
	}
	rows, tag, err := st.Run(ctx, s, args)
	if err != nil {
		if s.tx == result.TxInTx {
			s.tx = result.TxFailed
		}
		return nil, "", err
	}
	if tag == "" {
		tag = fmt.Sprintf("SELECT %d", len(rows))
	}
	return rows, tag, nil
}

// Query implements pgwire.Session.
func (s *Session) Query(ctx context.Context, sql string, w result.Writer) error {
	var stmts []string
	for part := range strings.SplitSeq(sql, ";") {
		if p := strings.TrimSpace(part); p != "" {
			stmts = append(stmts, p)
		}
	}
	if len(stmts) == 0 {
		return result.ErrEmptyQuery
	}
	for _, text := range stmts {
		st, err := s.lookup(text)
		if err != nil {
			return err
		}
		if len(st.ParamTypes) > 0 {
			return pgerror.New(pgerror.UndefinedParameter, "there is no parameter $1")
		}
		rows, tag, err := s.run(ctx, st, nil)
		if err != nil {
			return err
		}
		sendNotices(w, st.Notices)
		if err := writeAll(w, st.Columns, rows, tag); err != nil {
			return err
		}
	}
	return nil
}

func sendNotices(w result.Writer, notices []*pgerror.Error) {
	if n, ok := w.(result.Noticer); ok {
		for _, e := range notices {
			n.Notice(e)
		}
	}
}

func writeAll(w result.Writer, cols []result.Column, rows [][]types.Datum, tag string) error {
	if cols != nil {
		if err := w.SetColumns(cols); err != nil {
			return err
		}
	}
	for _, r := range rows {
		if err := w.AddRow(r); err != nil {
			return err
		}
	}
	return w.Complete(tag)
}

// Prepare implements pgwire.Session.
func (s *Session) Prepare(ctx context.Context, name, sql string, paramTypes []types.Oid) (result.StatementDescription, error) {
	sql = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(sql), ";"))
	if _, ok := s.prepared[name]; ok && name != "" {
		return result.StatementDescription{}, pgerror.Newf(pgerror.DuplicatePreparedStmt, "prepared statement %q already exists", name)
	}
	p := &prepared{}
	if sql != "" {
		st, err := s.lookup(sql)
		if err != nil {
			return result.StatementDescription{}, err
		}
		p.stmt = st
		p.types = st.ParamTypes
	}
	s.prepared[name] = p
	return s.describe(p), nil
}

func (s *Session) describe(p *prepared) result.StatementDescription {
	if p.stmt == nil {
		return result.StatementDescription{ParamTypes: []types.Oid{}}
	}
	return result.StatementDescription{ParamTypes: append([]types.Oid{}, p.types...), Columns: p.stmt.Columns}
}

// DescribeStatement implements pgwire.Session.
func (s *Session) DescribeStatement(name string) (result.StatementDescription, error) {
	p, ok := s.prepared[name]
	if !ok {
		return result.StatementDescription{}, pgerror.Newf(pgerror.InvalidSQLStatementName, "prepared statement %q does not exist", name)
	}
	return s.describe(p), nil
}

// Bind implements pgwire.Session.
func (s *Session) Bind(ctx context.Context, portalName, stmt string, params [][]byte, paramFormats, resultFormats []int16) error {
	p, ok := s.prepared[stmt]
	if !ok {
		return pgerror.Newf(pgerror.InvalidSQLStatementName, "prepared statement %q does not exist", stmt)
	}
	if len(params) != len(p.types) {
		return pgerror.Newf(pgerror.ProtocolViolation, "bind message supplies %d parameters, but prepared statement %q requires %d", len(params), stmt, len(p.types))
	}
	args := make([]types.Datum, len(params))
	for i, raw := range params {
		d, err := DecodeParam(p.types[i], formatAt(paramFormats, i), raw)
		if err != nil {
			return err
		}
		args[i] = d
	}
	s.portals[portalName] = &portal{stmt: p.stmt, args: args, formats: append([]int16(nil), resultFormats...)}
	return nil
}

func formatAt(formats []int16, i int) int16 {
	switch {
	case len(formats) == 0:
		return 0
	case len(formats) == 1:
		return formats[0]
	case i < len(formats):
		return formats[i]
	}
	return 0
}

// DescribePortal implements pgwire.Session.
func (s *Session) DescribePortal(name string) ([]result.Column, []int16, error) {
	p, ok := s.portals[name]
	if !ok {
		return nil, nil, pgerror.Newf(pgerror.InvalidCursorName, "portal %q does not exist", name)
	}
	if p.stmt == nil {
		return nil, nil, nil
	}
	return p.stmt.Columns, p.formats, nil
}

// Execute implements pgwire.Session.
func (s *Session) Execute(ctx context.Context, name string, maxRows int, w result.Writer) (bool, error) {
	p, ok := s.portals[name]
	if !ok {
		return false, pgerror.Newf(pgerror.InvalidCursorName, "portal %q does not exist", name)
	}
	if p.stmt == nil {
		return false, result.ErrEmptyQuery
	}
	if !p.ran {
		rows, tag, err := s.run(ctx, p.stmt, p.args)
		if err != nil {
			return false, err
		}
		p.ran, p.rows, p.tag = true, rows, tag
		sendNotices(w, p.stmt.Notices)
	}
	for sent := 0; p.pos < len(p.rows); sent++ {
		if maxRows > 0 && sent == maxRows {
			return true, nil
		}
		if err := w.AddRow(p.rows[p.pos]); err != nil {
			return false, err
		}
		p.pos++
	}
	return false, w.Complete(p.tag)
}

// CloseStatement implements pgwire.Session.
func (s *Session) CloseStatement(name string) error {
	delete(s.prepared, name)
	return nil
}

// ClosePortal implements pgwire.Session.
func (s *Session) ClosePortal(name string) error {
	delete(s.portals, name)
	return nil
}

// Sync implements pgwire.Session: outside a transaction block the unnamed
// portal is dropped.
func (s *Session) Sync(ctx context.Context) error {
	if s.tx == result.TxIdle {
		delete(s.portals, "")
	}
	if s.f.SyncErr != nil {
		return s.f.SyncErr()
	}
	return nil
}

// TxStatus implements pgwire.Session.
func (s *Session) TxStatus() result.TxStatus { return s.tx }

// ParameterStatus implements pgwire.Session.
func (s *Session) ParameterStatus() map[string]string { return maps.Clone(s.params) }

// Close implements pgwire.Session.
func (s *Session) Close() error {
	s.f.closed.Add(1)
	return nil
}
