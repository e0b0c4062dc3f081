package session_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/heliosdb/nano/sql/exec"
	"github.com/heliosdb/nano/sql/exec/exectest"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/result"
	"github.com/heliosdb/nano/sql/session"
	"github.com/heliosdb/nano/sql/types"
)

// stmtResult is one statement's output.
type stmtResult struct {
	Columns []result.Column
	Rows    [][]types.Datum
	Tag     string
}

// recorder is a result.Writer that keeps every statement's output apart.
type recorder struct {
	Results []stmtResult
	cur     stmtResult
	Notices []*pgerror.Error
}

func (r *recorder) SetColumns(c []result.Column) error { r.cur.Columns = c; return nil }
func (r *recorder) AddRow(row []types.Datum) error {
	r.cur.Rows = append(r.cur.Rows, append([]types.Datum(nil), row...))
	return nil
}
func (r *recorder) Complete(tag string) error {
	r.cur.Tag = tag
	r.Results = append(r.Results, r.cur)
	r.cur = stmtResult{}
	return nil
}
func (r *recorder) Notice(n *pgerror.Error) { r.Notices = append(r.Notices, n) }

func (r *recorder) tags() []string {
	var out []string
	for _, x := range r.Results {
		out = append(out, x.Tag)
	}
	return out
}

func newEngine(t testing.TB) *exec.Engine { t.Helper(); return exectest.New(t) }

func newSession(t testing.TB, cfg session.Config, params map[string]string) *session.Session {
	t.Helper()
	s, err := session.New(cfg, result.StartupInfo{User: "helios", Database: "heliosdb", Params: params})
	if err != nil {
		t.Fatalf("session.New: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// mustQuery runs sql and fails the test on error.
func mustQuery(t testing.TB, s *session.Session, sql string) *recorder {
	t.Helper()
	r := &recorder{}
	if err := s.Query(context.Background(), sql, r); err != nil {
		t.Fatalf("%s: %v (%s)", sql, err, pgerror.CodeOf(err))
	}
	return r
}

// queryCode runs sql, which must fail, and returns the SQLSTATE.
func queryCode(t testing.TB, s *session.Session, sql string) pgerror.Code {
	t.Helper()
	err := s.Query(context.Background(), sql, &recorder{})
	if err == nil {
		t.Fatalf("%s: succeeded, want an error", sql)
	}
	return pgerror.CodeOf(err)
}

// scalar runs a one-row one-column query and returns the value as text.
func scalar(t testing.TB, s *session.Session, sql string) string {
	t.Helper()
	r := mustQuery(t, s, sql)
	last := r.Results[len(r.Results)-1]
	if len(last.Rows) != 1 || len(last.Rows[0]) != 1 {
		t.Fatalf("%s: got rows %v", sql, last.Rows)
	}
	return fmt.Sprint(last.Rows[0][0])
}

func wantCode(t testing.TB, err error, code pgerror.Code) {
	t.Helper()
	if got := pgerror.CodeOf(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
}
