package pgdiff

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// StatementTimeout bounds one statement on either server; past it the
// statement counts as failed with SQLSTATE "timeout".
const StatementTimeout = 10 * time.Second

// Session is one connection to a server under test, reopened when a
// statement leaves it broken.
type Session struct {
	dsn  string
	conn *pgconn.PgConn
}

// Dial opens a session on dsn.
func Dial(ctx context.Context, dsn string) (*Session, error) {
	s := &Session{dsn: dsn}
	if err := s.connect(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Session) connect(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, StatementTimeout)
	defer cancel()
	c, err := pgconn.Connect(cctx, s.dsn)
	if err != nil {
		return fmt.Errorf("pgdiff: connecting to %s: %w", s.dsn, err)
	}
	s.conn = c
	return nil
}

// PID is the server process serving the session (PostgreSQL's backend),
// as the server announced it at startup; 0 when not connected.
func (s *Session) PID() uint32 {
	if s.conn == nil {
		return 0
	}
	return s.conn.PID()
}

// Close ends the session.
func (s *Session) Close() {
	if s.conn != nil {
		s.conn.Close(context.Background())
	}
}

// Exec runs sql with the simple query protocol (text results) and returns
// the last result. A statement that breaks the connection (a timeout, a
// server crash) yields Code "broken" and the session reconnects.
func (s *Session) Exec(ctx context.Context, sql string) Result {
	if s.conn == nil || s.conn.IsClosed() {
		if err := s.connect(ctx); err != nil {
			return Result{Code: "broken", Message: err.Error()}
		}
	}
	sctx, cancel := context.WithTimeout(ctx, StatementTimeout)
	defer cancel()
	results, err := s.conn.Exec(sctx, sql).ReadAll()
	var res Result
	if len(results) > 0 {
		last := results[len(results)-1]
		res.Tag = last.CommandTag.String()
		for _, f := range last.FieldDescriptions {
			res.Columns = append(res.Columns, Column{Name: f.Name, OID: f.DataTypeOID})
		}
		for _, row := range last.Rows {
			vals := make([]Value, len(row))
			for i, b := range row {
				vals[i] = Value{Text: string(b), Null: b == nil}
			}
			res.Rows = append(res.Rows, vals)
		}
		if err == nil {
			err = last.Err
		}
	}
	if err != nil {
		var pe *pgconn.PgError
		switch {
		case errors.As(err, &pe):
			return Result{Code: pe.Code, Message: pe.Message}
		case sctx.Err() != nil:
			s.conn.Close(context.Background())
			return Result{Code: "timeout", Message: fmt.Sprintf("no answer within %s", StatementTimeout)}
		default:
			s.conn.Close(context.Background())
			return Result{Code: "broken", Message: err.Error()}
		}
	}
	return res
}

// Outcome is the comparison of one statement.
type Outcome struct {
	Statement Statement
	PG, Ours  Result
	Diffs     []Difference
}

// RunFile runs every statement of f on both sessions, in order, and compares
// the answers.
func RunFile(ctx context.Context, f File, pg, ours *Session) []Outcome {
	out := make([]Outcome, 0, len(f.Statements))
	for _, st := range f.Statements {
		o := Outcome{Statement: st, PG: pg.Exec(ctx, st.SQL), Ours: ours.Exec(ctx, st.SQL)}
		o.Diffs = Diff(st, Ordered(st.SQL), o.PG, o.Ours)
		out = append(out, o)
	}
	return out
}
