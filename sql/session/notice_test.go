package session_test

import (
	"strings"
	"testing"

	"github.com/heliosdb/nano/sql/session"
)

// The engine's notices reach the client once, as PostgreSQL sends them.
func TestEngineNoticesReachTheWriter(t *testing.T) {
	s := newSession(t, session.Config{Engine: newEngine(t)}, nil)
	r := mustQuery(t, s, "DROP TABLE IF EXISTS nope")
	if len(r.Notices) != 1 || !strings.Contains(r.Notices[0].Message, `"nope" does not exist, skipping`) {
		t.Fatalf("notices %+v", r.Notices)
	}
	mustQuery(t, s, "SET client_min_messages = warning")
	if r := mustQuery(t, s, "DROP TABLE IF EXISTS nope"); len(r.Notices) != 0 {
		t.Fatalf("client_min_messages=warning still sent %+v", r.Notices)
	}
}

// TRUNCATE … CASCADE names each table it cascades to, in PostgreSQL's
// order (each round of referencing tables by OID).
func TestTruncateCascadeNotices(t *testing.T) {
	s := newSession(t, session.Config{Engine: newEngine(t)}, nil)
	for _, q := range []string{
		"CREATE TABLE p (id int PRIMARY KEY)",
		"CREATE TABLE c (id int PRIMARY KEY, pid int REFERENCES p)",
		"CREATE TABLE c3 (id int REFERENCES c)",
		"CREATE TABLE c2 (pid int REFERENCES p)",
	} {
		mustQuery(t, s, q)
	}
	r := mustQuery(t, s, "TRUNCATE p CASCADE")
	var got []string
	for _, n := range r.Notices {
		got = append(got, n.Message)
	}
	want := []string{`truncate cascades to table "c"`, `truncate cascades to table "c2"`, `truncate cascades to table "c3"`}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("notices %q, want %q", got, want)
	}
}
