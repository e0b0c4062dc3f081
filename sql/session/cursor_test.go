package session

import (
	"context"
	"fmt"
	"math"
	"testing"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

// sliceSource yields rows 1..n (one int8 column).
type sliceSource struct{ i, n int64 }

func (s *sliceSource) Next(context.Context) ([]types.Datum, error) {
	if s.i >= s.n {
		return nil, nil
	}
	s.i++
	return []types.Datum{s.i}, nil
}

// TestCursorFetchPositions replays PostgreSQL 15's answers (psql against
// a 5-row SCROLL cursor and a NO SCROLL one) for each FETCH/MOVE.
func TestCursorFetchPositions(t *testing.T) {
	const (
		fwd = pg_query.FetchDirection_FETCH_FORWARD
		bwd = pg_query.FetchDirection_FETCH_BACKWARD
		abs = pg_query.FetchDirection_FETCH_ABSOLUTE
		rel = pg_query.FetchDirection_FETCH_RELATIVE
		all = math.MaxInt64
	)
	type step struct {
		dir  pg_query.FetchDirection
		how  int64
		want string // rows, or the SQLSTATE
	}
	cases := []struct {
		name   string
		scroll bool
		steps  []step
	}{
		{"scroll", true, []step{
			{fwd, 2, "[1 2]"}, {bwd, 1, "[1]"}, {bwd, 5, "[]"}, {abs, -1, "[5]"}, {abs, 1, "[1]"},
			{abs, 3, "[3]"}, {abs, -2, "[4]"}, {rel, 1, "[5]"}, {rel, -2, "[3]"}, {rel, 0, "[3]"},
			{fwd, 0, "[3]"}, {abs, 10, "[]"}, {bwd, 2, "[5 4]"}, {fwd, -1, "[3]"}, {fwd, all, "[4 5]"},
			{bwd, all, "[5 4 3 2 1]"}, {abs, 0, "[]"}, {fwd, 1, "[1]"},
		}},
		{"noscroll", false, []step{
			{fwd, 2, "[1 2]"}, {abs, 4, "[4]"}, {rel, 0, "55000"}, {abs, 1, "55000"}, {bwd, 1, "55000"},
			{rel, 1, "[5]"}, {fwd, all, "[]"},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cr := &cursorRows{src: &sliceSource{n: 5}, scroll: c.scroll, explicit: c.scroll}
			for i, s := range c.steps {
				var got []int64
				n, err := cr.fetch(context.Background(), s.dir, s.how, func(r []types.Datum) error {
					got = append(got, r[0].(int64))
					return nil
				})
				res := fmt.Sprint(got)
				if got == nil {
					res = "[]"
				}
				if err != nil {
					res = string(pgerror.CodeOf(err))
				} else if n != int64(len(got)) {
					t.Errorf("step %d: count %d for %d rows", i, n, len(got))
				}
				if res != s.want {
					t.Errorf("step %d (%v %d): got %s, want %s", i, s.dir, s.how, res, s.want)
				}
			}
		})
	}
}
