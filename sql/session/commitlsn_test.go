package session_test

import (
	"context"
	"testing"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/sql/session"
)

// TestReportCommitLSN: with helios.report_commit_lsn on (a startup
// parameter, as heliosdb-proxy sends it), each commit that wrote moves
// the helios.commit_lsn ParameterStatus to the commit's end LSN; off (the
// default) it is never reported, and SHOW ALL does not list the setting.
func TestReportCommitLSN(t *testing.T) {
	s := newSession(t, session.Config{Engine: newEngine(t)}, map[string]string{session.ReportCommitLSN: "on"})
	if _, ok := s.ParameterStatus()[session.CommitLSNParam]; ok {
		t.Fatal("commit LSN reported before any commit")
	}
	mustQuery(t, s, "CREATE TABLE c (id int primary key)")
	first := s.ParameterStatus()[session.CommitLSNParam]
	mustQuery(t, s, "INSERT INTO c VALUES (1)")
	second := s.ParameterStatus()[session.CommitLSNParam]
	a, err1 := lsn.Parse(first)
	b, err2 := lsn.Parse(second)
	if err1 != nil || err2 != nil || a == 0 || b <= a || b != s.LastCommitLSN() {
		t.Fatalf("commit LSNs %q then %q (last commit %v)", first, second, s.LastCommitLSN())
	}
	mustQuery(t, s, "SELECT * FROM c") // no write: unchanged
	if got := s.ParameterStatus()[session.CommitLSNParam]; got != second {
		t.Fatalf("a read moved the commit LSN to %q", got)
	}

	off := newSession(t, session.Config{Engine: newEngine(t)}, nil)
	mustQuery(t, off, "CREATE TABLE c (id int primary key)")
	if _, ok := off.ParameterStatus()[session.CommitLSNParam]; ok {
		t.Fatal("commit LSN reported without helios.report_commit_lsn")
	}
	rec := &recorder{}
	if err := off.Query(context.Background(), "SHOW ALL", rec); err != nil {
		t.Fatal(err)
	}
	for _, row := range rec.Results[0].Rows {
		if row[0] == session.ReportCommitLSN {
			t.Fatal("SHOW ALL lists helios.report_commit_lsn")
		}
	}
}
