package pgwire_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/heliosdb/nano/pgwire"
	"github.com/heliosdb/nano/pgwire/pgwiretest"
	"github.com/heliosdb/nano/sql/pgerror"
)

// A batch whose commit fails at Sync: the Execute output the client has
// not received is withdrawn, so it sees the error and never a
// CommandComplete for the uncommitted write; output it asked for with
// Flush before the Sync has reached it and stays.
func TestFailedSyncWithdrawsUnsentExecuteOutput(t *testing.T) {
	_, addr, f := startServer(t, pgwire.Config{AuthMethod: pgwire.AuthTrust})
	f.SyncErr = func() error {
		return pgerror.New(pgerror.DiskFull, "could not write to the write-ahead log: No space left on device")
	}
	rc := startupRaw(t, addr)
	id := 100
	insert := func() []pgproto3.FrontendMessage { // the fake inserts at Execute: a new id each time
		id++
		return []pgproto3.FrontendMessage{
			&pgproto3.Parse{Query: pgwiretest.InsertItem},
			&pgproto3.Bind{Parameters: [][]byte{fmt.Append(nil, id), []byte("x")}},
			&pgproto3.Describe{ObjectType: 'P'},
			&pgproto3.Execute{},
		}
	}
	rc.send(append(insert(), &pgproto3.Sync{})...)
	got := rc.untilReady()
	want := []string{"ParseComplete", "BindComplete", "NoData", "ErrorResponse ERROR 53100", "ReadyForQuery I"}
	if !slices.Equal(got, want) {
		t.Fatalf("failed commit at Sync: got %q, want %q", got, want)
	}

	// With a Flush after the Execute the tag was already sent.
	rc.send(append(insert(), &pgproto3.Flush{})...)
	for _, w := range []string{"ParseComplete", "BindComplete", "NoData", "CommandComplete INSERT 0 1"} {
		m, err := rc.fe.Receive()
		if err != nil || summarize(m) != w {
			t.Fatalf("after Flush: got %v (%v), want %s", m, err, w)
		}
	}
	rc.send(&pgproto3.Sync{})
	if got := rc.untilReady(); !slices.Equal(got, []string{"ErrorResponse ERROR 53100", "ReadyForQuery I"}) {
		t.Fatalf("Sync after Flush: %q", got)
	}

	f.SyncErr = nil
	rc.send(append(insert(), &pgproto3.Sync{})...)
	if got := rc.untilReady(); !slices.Contains(got, "CommandComplete INSERT 0 1") {
		t.Fatalf("successful commit: %q", got)
	}
}
