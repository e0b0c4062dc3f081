package session_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/heliosdb/nano/sql/result"
	"github.com/heliosdb/nano/sql/session"
	"github.com/heliosdb/nano/sql/types"
)

// discard is a result.Writer that keeps nothing.
type discard struct{ rows int }

func (d *discard) SetColumns([]result.Column) error { return nil }
func (d *discard) AddRow([]types.Datum) error       { d.rows++; return nil }
func (d *discard) Complete(string) error            { return nil }

// BenchmarkPointSelect is pgbench's select-only statement run in the
// session, without the wire: simple (through the simple-query plan cache)
// and extended (Bind, Execute, Sync of one prepared statement). Its
// allocs/op and ns/op are the session's and engine's cost of a point
// select.
//
//	go test -run '^$' -bench PointSelect -benchmem ./sql/session/
func BenchmarkPointSelect(b *testing.B) {
	s := newSession(b, session.Config{Engine: newEngine(b)}, nil)
	const rows = 1000
	mustQuery(b, s, "CREATE TABLE accounts (aid int PRIMARY KEY, bid int, abalance int, filler char(84))")
	mustQuery(b, s, "INSERT INTO accounts SELECT g, 1, 0, '' FROM generate_series(1, 1000) g")
	ctx := context.Background()
	b.Run("simple", func(b *testing.B) {
		w := &discard{}
		i := 0
		b.ReportAllocs()
		for b.Loop() {
			i = i%rows + 1
			if err := s.Query(ctx, "SELECT abalance FROM accounts WHERE aid = "+strconv.Itoa(i), w); err != nil {
				b.Fatal(err)
			}
		}
		if w.rows == 0 {
			b.Fatal("no rows")
		}
	})
	b.Run("extended", func(b *testing.B) {
		_ = s.CloseStatement("p")
		if _, err := s.Prepare(ctx, "p", "SELECT abalance FROM accounts WHERE aid = $1", []types.Oid{types.OidInt4}); err != nil {
			b.Fatal(err)
		}
		w := &discard{}
		var param [4]byte
		i := 0
		b.ReportAllocs()
		for b.Loop() {
			i = i%rows + 1
			param[0], param[1], param[2], param[3] = byte(i>>24), byte(i>>16), byte(i>>8), byte(i)
			if err := s.Bind(ctx, "", "p", [][]byte{param[:]}, []int16{1}, []int16{1}); err != nil {
				b.Fatal(err)
			}
			if _, err := s.Execute(ctx, "", 0, w); err != nil {
				b.Fatal(err)
			}
			if err := s.Sync(ctx); err != nil {
				b.Fatal(err)
			}
		}
		if w.rows == 0 {
			b.Fatal("no rows")
		}
	})
}

// BenchmarkBulkInsert is scripts/bench-compare.sh's bulk load in the
// session, without the wire: one op is a 1000-row INSERT … VALUES of
// (int, int, 'text') literals into a table with an int primary key, each
// its own transaction. allocs/op over 1000 is the statement's allocations
// per row (parse, plan, insert, commit).
//
//	go test -run '^$' -bench BulkInsert -benchmem ./sql/session/
func BenchmarkBulkInsert(b *testing.B) {
	s := newSession(b, session.Config{Engine: newEngine(b)}, nil)
	mustQuery(b, s, "CREATE TABLE bulk (id int PRIMARY KEY, v int, s text)")
	ctx := context.Background()
	w := &discard{}
	next := 1
	stmt := func() string {
		var sb strings.Builder
		sb.WriteString("INSERT INTO bulk VALUES ")
		for j := next; j < next+1000; j++ {
			if j > next {
				sb.WriteByte(',')
			}
			fmt.Fprintf(&sb, "(%d,%d,'row %d')", j, j%97, j)
		}
		next += 1000
		return sb.String()
	}
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		q := stmt()
		b.StartTimer()
		if err := s.Query(ctx, q, w); err != nil {
			b.Fatal(err)
		}
	}
}
