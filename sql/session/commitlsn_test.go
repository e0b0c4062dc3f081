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

// TestParametersChanged: pgwire builds the ParameterStatus map before a
// ReadyForQuery only when ParametersChanged says so, so it must say yes
// after every change of a reported value — SET, a SET undone by ROLLBACK
// or ROLLBACK TO SAVEPOINT, SET LOCAL ending with its block, RESET,
// RESET ALL, a commit moving the reported
// commit LSN, the node turning read-only (in_hot_standby) — and no after
// statements that change none.
func TestParametersChanged(t *testing.T) {
	readOnly := false
	s := newSession(t, session.Config{Engine: newEngine(t), ReadOnly: func() (bool, string) { return readOnly, "" }},
		map[string]string{session.ReportCommitLSN: "on"})
	s.ParametersChanged() // the first call sees everything
	step := func(sql string, want bool) {
		t.Helper()
		if sql != "" {
			mustQuery(t, s, sql)
		}
		if got := s.ParametersChanged(); got != want {
			t.Fatalf("after %q: ParametersChanged = %v, want %v", sql, got, want)
		}
	}
	step("SELECT 1", false)
	step("SET application_name = 'a'", true)
	step("SET application_name = 'a'", false)
	step("SET statement_timeout = '1min'", false) // not reported
	step("BEGIN", false)
	step("SET TimeZone = 'Europe/Berlin'", true)
	step("ROLLBACK", true)
	step("BEGIN", false)
	step("SET LOCAL DateStyle = 'ISO, DMY'", true)
	step("COMMIT", true)
	step("RESET application_name", true)
	step("BEGIN", false)
	step("SAVEPOINT a", false)
	step("SET application_name = 'sp'", true)
	step("ROLLBACK TO SAVEPOINT a", true)
	step("COMMIT", false)
	step("SET application_name = 'all'", true)
	step("RESET ALL", true)
	step("CREATE TABLE p (id int primary key)", true) // commit LSN
	step("INSERT INTO p VALUES (1)", true)
	step("SELECT * FROM p", false)
	readOnly = true
	step("", true) // in_hot_standby
	step("", false)
}

// TestReportSeenLSN: a session that only reads reports the snapshot its
// statements read, so a commit it may have shown (visible on the primary
// before its own client is told, while a sync standby flushes it) bounds
// heliosdb-proxy's later causal reads. Before, a read reported nothing and
// the next read could go to a standby that had not applied what this one
// showed (a non-linearizable register history in make faults).
func TestReportSeenLSN(t *testing.T) {
	e := newEngine(t)
	reader := newSession(t, session.Config{Engine: e}, map[string]string{session.ReportCommitLSN: "on"})
	writer := newSession(t, session.Config{Engine: e}, nil)
	mustQuery(t, writer, "CREATE TABLE c (id int primary key)")
	mustQuery(t, writer, "INSERT INTO c VALUES (1)")
	mustQuery(t, reader, "SELECT * FROM c")
	got, err := lsn.Parse(reader.ParameterStatus()[session.CommitLSNParam])
	if err != nil || got < writer.LastCommitLSN() {
		t.Fatalf("reader reports %v (%v), the commit it read is at %v", got, err, writer.LastCommitLSN())
	}
	mustQuery(t, reader, "BEGIN")
	mustQuery(t, writer, "INSERT INTO c VALUES (2)")
	mustQuery(t, reader, "SELECT * FROM c") // in a block: reported before the block ends
	if got, _ := lsn.Parse(reader.ParameterStatus()[session.CommitLSNParam]); got < writer.LastCommitLSN() {
		t.Fatalf("in a block: reader reports %v, the commit it read is at %v", got, writer.LastCommitLSN())
	}
	mustQuery(t, reader, "ROLLBACK")
	if got, _ := lsn.Parse(reader.ParameterStatus()[session.CommitLSNParam]); got < writer.LastCommitLSN() {
		t.Fatalf("after ROLLBACK: reader reports %v", got)
	}
}

// TestReportCommitLSNFollowsSet: whether the commit LSN is reported follows
// every change of helios.report_commit_lsn during the session — SET, SET
// LOCAL until its block ends, RESET — not only its startup value (the
// session caches the setting between changes: ReadyForQuery asks for it
// after every statement).
func TestReportCommitLSNFollowsSet(t *testing.T) {
	s := newSession(t, session.Config{Engine: newEngine(t)}, nil)
	reported := func() bool { _, ok := s.ParameterStatus()[session.CommitLSNParam]; return ok }
	mustQuery(t, s, "CREATE TABLE c (id int primary key)")
	if reported() {
		t.Fatal("reported while off")
	}
	steps := []struct {
		sql  string
		want bool
	}{
		{"SET helios.report_commit_lsn = on", true},
		{"INSERT INTO c VALUES (1)", true},
		{"BEGIN", true},
		{"SET LOCAL helios.report_commit_lsn = off", false},
		{"INSERT INTO c VALUES (2)", false},
		{"COMMIT", true},
		{"RESET helios.report_commit_lsn", false},
		{"INSERT INTO c VALUES (3)", false},
		{"SET helios.report_commit_lsn TO on", true},
	}
	for _, st := range steps {
		mustQuery(t, s, st.sql)
		if got := reported(); got != st.want {
			t.Fatalf("after %q: commit LSN reported = %v, want %v", st.sql, got, st.want)
		}
	}
}
