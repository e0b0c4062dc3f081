package exec

import (
	"sync"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/heliosdb/nano/sql/parser"
	"github.com/heliosdb/nano/sql/pgerror"
)

// Set-returning functions in the select list (generate_series): a
// srfProjectPlan below the projection runs every such call of the select
// list for each input row, in lockstep, and yields one row per step with
// the calls' values appended (NULL for a call already finished) until all
// are finished, as PostgreSQL's ProjectSet does. The select list refers to
// those values by column.

// srfCtx collects the set-returning calls of one select list.
type srfCtx struct {
	plan  *srfProjectPlan
	calls []*srfPlan
}

// srfProjectPlan appends the values of the calls to each input row.
type srfProjectPlan struct {
	in        plan
	ctx       *srfCtx
	width     int
	widthOnce sync.Once
}

func (p *srfProjectPlan) inWidth() int {
	p.widthOnce.Do(func() { p.width = len(p.in.cols()) })
	return p.width
}

func (p *srfProjectPlan) cols() []colInfo {
	cols := p.in.cols()
	for _, c := range p.ctx.calls {
		cols = append(cols, colInfo{name: c.name, typ: c.t})
	}
	return cols
}

func (p *srfProjectPlan) explain(x *explainer, depth int) {
	x.add(depth, "ProjectSet")
	x.child(p.in, depth+1)
}

func (p *srfProjectPlan) start(e *env) (iter, error) {
	in, err := startPlan(e, p.in)
	if err != nil {
		return nil, err
	}
	base := p.inWidth()
	var row []Datum
	var its []iter
	closeAll := func() {
		for _, it := range its {
			if it != nil {
				it.close()
			}
		}
		its = nil
	}
	return &funcIter{nx: func() ([]Datum, error) {
		for {
			if err := e.checkCancel(); err != nil {
				return nil, err
			}
			if its == nil {
				if row, err = in.next(); err != nil || row == nil {
					return nil, err
				}
				for _, c := range p.ctx.calls {
					it, err := c.startRow(e, row)
					if err != nil {
						closeAll()
						return nil, err
					}
					its = append(its, it)
				}
			}
			out := make([]Datum, base+len(its))
			copy(out, row)
			live := false
			for i, it := range its {
				if it == nil {
					continue
				}
				v, err := it.next()
				if err != nil {
					closeAll()
					return nil, err
				}
				if v == nil {
					it.close()
					its[i] = nil
					continue
				}
				live = true
				out[base+i] = v[0]
			}
			if live {
				return out, nil
			}
			its = nil
		}
	}, cl: func() { closeAll(); in.close() }}, nil
}

// buildSRFProject adds a srfProjectPlan when the select list calls a
// set-returning function.
func (b *builder) buildSRFProject(from plan, s *scope, targets []*pg_query.Node) (plan, *scope) {
	found := false
	for _, t := range targets {
		found = found || hasCall(t, isSRFCall)
	}
	if !found {
		return from, s
	}
	p := &srfProjectPlan{in: from}
	p.ctx = &srfCtx{plan: p}
	ns := *s
	ns.srf = p.ctx
	return p, &ns
}

func isSRFCall(fc *pg_query.FuncCall) bool {
	if fc.Over != nil {
		return false
	}
	name := lastName(fc.Funcname)
	_, arr := srfTable[name]
	return name == "generate_series" || arr
}

// compileSRFCall binds a set-returning call of the select list.
func (b *builder) compileSRFCall(s *scope, fc *pg_query.FuncCall) (*cexpr, error) {
	if s.srf == nil {
		msg := "set-returning functions are not allowed here"
		if b.aggArgs > 0 {
			msg = "aggregate function calls cannot contain set-returning function calls"
		}
		return nil, b.errAt(pgerror.New(pgerror.FeatureNotSupported, msg), fc.Location)
	}
	inner := *s
	inner.srf = nil
	c := &srfPlan{name: lastName(fc.Funcname)}
	if def, ok := srfTable[c.name]; ok {
		if def.cols != nil {
			return nil, b.errAt(pgerror.Newf(pgerror.FeatureNotSupported, "%s in a select list (a record result) is not supported; call it in FROM", c.name), fc.Location)
		}
		call, err := b.compileSRF(&inner, c.name, def, fc)
		if err != nil {
			return nil, err
		}
		c.list, c.t = call, call.t
	} else if err := b.generateSeriesArgs(&inner, fc, c); err != nil {
		return nil, err
	}
	k, p := len(s.srf.calls), s.srf.plan
	s.srf.calls = append(s.srf.calls, c)
	return &cexpr{t: c.t, s: c.name + "(...)", colIdx: -1,
		fn: func(_ *env, row []Datum) (Datum, error) { return row[p.inWidth()+k], nil }}, nil
}

// hasCall reports whether n calls a function matching pred outside of a
// subquery.
func hasCall(n *pg_query.Node, pred func(*pg_query.FuncCall) bool) bool {
	return parser.Contains(n, func(m proto.Message) (bool, bool) {
		switch v := m.(type) {
		case *pg_query.SubLink, *pg_query.RangeSubselect:
			return false, false
		case *pg_query.FuncCall:
			if pred(v) {
				return true, false
			}
		}
		return false, true
	})
}
