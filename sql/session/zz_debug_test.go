package session_test

import (
	"context"
	"testing"

	"github.com/heliosdb/nano/sql/parser"
)

type fv struct{}

func (fv) Get(n string) (string, bool) { return "x", true }

func TestZZ(t *testing.T) {
	e := newEngine(t)
	tx, _ := e.Begin(context.Background(), false)
	st, _ := parser.ParseOne("SELECT current_setting('application_name')")
	p, err := e.Prepare(context.Background(), tx, st, nil)
	t.Log(err)
	c, err := p.Open(context.Background(), tx, nil, fv{})
	t.Log(err)
	row, err := c.Next(context.Background())
	t.Log(row, err)
}
