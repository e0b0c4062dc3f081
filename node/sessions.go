package node

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/heliosdb/nano/pgwire"
	"github.com/heliosdb/nano/sql/exec/memacct"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/result"
	"github.com/heliosdb/nano/sql/session"
	"github.com/heliosdb/nano/sql/types"
)

// databaseNames are the databases a client may name: ours, and the one
// PostgreSQL tools fall back to.
var databaseNames = map[string]bool{"heliosdb": true, "postgres": true}

// sessionFactory adapts sql/session to pgwire's factory interface (the two
// packages do not import each other).
type sessionFactory struct{ n *Node }

func (f sessionFactory) NewSession(ctx context.Context, info result.StartupInfo) (pgwire.Session, error) {
	db := info.Database
	if db == "" {
		db = info.User
	}
	if err := f.n.checkLogin(info.User); err != nil {
		return nil, err
	}
	if !databaseNames[db] {
		return nil, pgerror.Newf(pgerror.InvalidCatalogName, "database %q does not exist", db)
	}
	return session.New(f.n.sessCfg, info)
}

// query runs sql as user ("": the configured user) in a fresh session,
// for the HTTP API. Parameters are sent
// as untyped text, as a client using the text format would.
func (n *Node) query(ctx context.Context, user, sql string, params []any) (*result.Buffer, error) {
	if user == "" {
		user = n.cfg.User
	}
	s, err := session.New(n.sessCfg, result.StartupInfo{User: user, Database: "heliosdb",
		Params: map[string]string{"application_name": "http"}, RemoteAddr: "http"})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	bb := &boundedBuffer{limit: n.stmtMemLimit}
	buf := &bb.Buffer
	if len(params) == 0 {
		return buf, s.Query(ctx, sql, bb)
	}
	raw, err := paramsText(params)
	if err != nil {
		return nil, err
	}
	if _, err := s.Prepare(ctx, "", sql, nil); err != nil {
		return nil, err
	}
	if err := s.Bind(ctx, "", "", raw, nil, nil); err != nil {
		return nil, err
	}
	cols, _, err := s.DescribePortal("")
	if err != nil {
		return nil, err
	}
	if cols != nil {
		buf.SetColumns(cols)
	}
	if _, err := s.Execute(ctx, "", 0, bb); err != nil {
		return nil, err
	}
	return buf, s.Sync(ctx)
}

// paramsText renders JSON parameter values in PostgreSQL's text format.
func paramsText(params []any) ([][]byte, error) {
	out := make([][]byte, len(params))
	for i, p := range params {
		switch v := p.(type) {
		case nil:
		case string:
			out[i] = []byte(v)
		case json.Number:
			out[i] = []byte(v.String())
		case float64:
			out[i] = strconv.AppendFloat(nil, v, 'g', -1, 64)
		case bool:
			out[i] = []byte(strconv.FormatBool(v))
		default:
			b, err := json.Marshal(v)
			if err != nil {
				return nil, pgerror.Newf(pgerror.InvalidParameterValue, "parameter $%d: %v", i+1, err)
			}
			out[i] = b
		}
	}
	return out, nil
}

// boundedBuffer collects an HTTP query's result within the statement
// memory limit (the whole result is held to be sent as one JSON document;
// the PostgreSQL protocol streams instead).
type boundedBuffer struct {
	result.Buffer
	limit, used int64 // limit 0 = unlimited
}

func (b *boundedBuffer) AddRow(row []types.Datum) error {
	b.used += memacct.RowSize(row)
	if b.limit > 0 && b.used > b.limit {
		return pgerror.New(pgerror.OutOfMemory, "out of memory").
			WithDetail("The HTTP result holds more than the statement memory limit of %d bytes.", b.limit).
			WithHint("Fetch big results over the PostgreSQL protocol, which streams them, or add a LIMIT.")
	}
	return b.Buffer.AddRow(row)
}

// Complete ends a statement: the next one's rows replace its rows, so the
// limit applies to each statement's result.
func (b *boundedBuffer) Complete(tag string) error {
	b.used = 0
	return b.Buffer.Complete(tag)
}

// signalBackend backs pg_cancel_backend / pg_terminate_backend: n.pg is
// set before any session runs.
func (n *Node) signalBackend(pid int, terminate bool) bool {
	if n.pg == nil {
		return false
	}
	return n.pg.Signal(pid, terminate)
}
