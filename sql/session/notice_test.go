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
