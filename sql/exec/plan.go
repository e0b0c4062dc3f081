package exec

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/exec/memacct"
	"github.com/heliosdb/nano/sql/exec/spill"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/rowenc"
	"github.com/heliosdb/nano/sql/txn"
	"github.com/heliosdb/nano/sql/types"
)

// plan is an immutable, re-startable operator tree node. Planning and
// execution live in one package: a plan is built by the builder from the
// parse tree and started against an env.
type plan interface {
	cols() []colInfo
	start(e *env) (iter, error)
	explain(x *explainer, depth int)
}

// iter yields rows; nil at the end.
type iter interface {
	next() ([]Datum, error)
	close()
}

type explainer struct {
	lines []string
	// EXPLAIN ANALYZE: what each operator did (nil: plain EXPLAIN), and
	// whether times were taken (TIMING).
	stats  map[plan]*opStats
	timing bool
}

// child explains the input p at depth; under ANALYZE p's first line gets
// its actual rows and times (once: an operator that only passes its
// input's lines through leaves them to the input).
func (x *explainer) child(p plan, depth int) {
	at := len(x.lines)
	p.explain(x, depth)
	if x.stats == nil || at >= len(x.lines) || strings.Contains(x.lines[at], " (actual ") || strings.HasSuffix(x.lines[at], " (never executed)") {
		return
	}
	x.lines[at] += x.stats[p].annotation(x.timing)
}

func (x *explainer) add(depth int, s string) {
	if depth == 0 {
		x.lines = append(x.lines, s)
		return
	}
	x.lines = append(x.lines, strings.Repeat("  ", depth*3-2)+"->  "+s)
}

func (x *explainer) detail(depth int, s string) {
	x.lines = append(x.lines, strings.Repeat("  ", depth*3)+"  "+s)
}

// funcIter adapts closures to iter.
type funcIter struct {
	nx func() ([]Datum, error)
	cl func()
}

func (f *funcIter) next() ([]Datum, error) { return f.nx() }
func (f *funcIter) close() {
	if f.cl != nil {
		f.cl()
	}
}

// ---- table scan ----

// keyRange is the key bounds of a scan, evaluated at run time.
type keyRange struct {
	eq     []*cexpr // equality prefix
	lo, hi *cexpr   // optional range on the next column
	loInc  bool
	hiInc  bool
	in     []*cexpr // IN list on a single-column key (instead of eq)
	conds  []string
}

func (r *keyRange) empty() bool {
	return r == nil || len(r.eq) == 0 && r.lo == nil && r.hi == nil && r.in == nil
}

// scanPlan reads a table by primary key or through a secondary index.
type scanPlan struct {
	tbl     *catalog.Table
	alias   string
	columns []colInfo
	index   *catalog.Index // nil = primary key
	rng     *keyRange
	reverse bool
	filter  *cexpr
	// filterWant marks the columns filter reads (nil: all of them, or no
	// filter) and restWant the others: a row is decoded in two steps, the
	// columns the filter needs, then, when it passes, the rest (setFilter).
	filterWant, restWant []bool
	// where is the whole WHERE clause (filter holds what the access path
	// does not): a row locked after a concurrent change is re-checked
	// against it (lockForWrite).
	where *cexpr
	// shape is what every open of the scan needs and the plan fixes
	// (scanShape), made by the first.
	shape *scanShape
}

// scanShape is the part of a rowScan that depends on the plan only: a
// point select opens its scan once per execution, and making these anew
// was five allocations each time. Read only once made.
type scanShape struct {
	tbl             *catalog.Table // the plan's table and index it was made for
	index           *catalog.Index
	ts, typs        []types.T // key types (of the index, if any); column types
	pkTypes         []types.T
	tbucket, bucket []byte
}

// shapeOf returns p's scanShape, made on the first call (and again if the
// plan's table or index was replaced).
func (p *scanPlan) shapeOf() *scanShape {
	if sh := p.shape; sh != nil && sh.tbl == p.tbl && sh.index == p.index {
		return sh
	}
	sh := &scanShape{tbl: p.tbl, index: p.index, ts: p.keyTypes(), typs: p.tbl.Types()}
	tb := catalog.TableBucket(p.tbl.ID)
	sh.tbucket = tb[:len(tb):len(tb)]
	sh.bucket = sh.tbucket
	if p.index != nil {
		ib := catalog.IndexBucket(p.index.ID)
		sh.bucket = ib[:len(ib):len(ib)]
	}
	sh.pkTypes = make([]types.T, len(p.tbl.PrimaryKey))
	for i, o := range p.tbl.PrimaryKey {
		sh.pkTypes[i] = sh.typs[o]
	}
	p.shape = sh
	return sh
}

func (p *scanPlan) cols() []colInfo { return p.columns }

// setFilter makes conds (compiled over s, whose reads are tracked since
// before they were compiled: scope.trackReads) the scan's filter. When they
// read only some of the columns, a row they reject is decoded no further.
func (p *scanPlan) setFilter(conds []*cexpr, s *scope) {
	p.filter, p.filterWant, p.restWant = nil, nil, nil
	if len(conds) == 0 {
		return
	}
	p.filter = andExprs(conds)
	if s.reads == nil {
		return
	}
	n := len(p.tbl.Columns)
	want, rest := make([]bool, n), make([]bool, n)
	some := false
	for i := range want {
		want[i] = i < len(s.reads) && s.reads[i]
		rest[i] = !want[i]
		some = some || rest[i]
	}
	if some && len(s.reads) <= n {
		p.filterWant, p.restWant = want, rest
	}
}

func (p *scanPlan) keyTypes() []types.T {
	ords := p.tbl.PrimaryKey
	if p.index != nil {
		ords = p.index.Columns
	}
	ts := make([]types.T, len(ords))
	for i, o := range ords {
		ts[i] = p.tbl.Columns[o].Type
	}
	return ts
}

func (p *scanPlan) explain(x *explainer, depth int) {
	name := p.tbl.Name
	if p.alias != p.tbl.Name {
		name += " " + p.alias
	}
	switch {
	case p.rng.empty() && p.reverse:
		x.add(depth, fmt.Sprintf("Index Scan Backward using %s on %s", p.tbl.PKName, name))
	case p.rng.empty():
		x.add(depth, "Seq Scan on "+name)
	default:
		idx := p.tbl.PKName
		if p.index != nil {
			idx = p.index.Name
		}
		kind := "Index Scan"
		if p.reverse {
			kind = "Index Scan Backward"
		}
		x.add(depth, fmt.Sprintf("%s using %s on %s", kind, idx, name))
		x.detail(depth, "Index Cond: ("+strings.Join(p.rng.conds, " AND ")+")")
	}
	if p.filter != nil {
		x.detail(depth, "Filter: "+p.filter.s)
	}
}

// keyBound converts a key bound's value to the key column's type t. A
// string longer than a varchar(n) or char(n) column allows is no error
// (k < 'zzzzz' on a char(4) key reads every row; k = 'abcde' none): it
// keeps its length and compares with the stored keys as it is. A char(n)
// bound is blank-padded to n, as the stored keys are.
func keyBound(v Datum, from, t types.T) (Datum, error) {
	if t.Family() != types.FamString || t.Length() < 0 {
		return types.Cast(v, from, t, false)
	}
	v, err := types.Cast(v, from, types.T{Oid: t.Oid, Mod: -1}, false)
	if err != nil || t.Oid != types.OidBpchar {
		return v, err
	}
	s := strings.TrimRight(v.(string), " ")
	if l := utf8.RuneCountInString(s); l < t.Length() {
		s += strings.Repeat(" ", t.Length()-l)
	}
	return s, nil
}

// bounds evaluates the key range into [start, end) byte bounds; ok=false
// means the range is provably empty (a NULL bound).
func (p *scanPlan) bounds(e *env, row []Datum, r *keyRange, ts []types.T, inVal Datum) (start, end []byte, ok bool, err error) {
	var prefix []byte
	vals := r.eq
	for i, c := range vals {
		v, err := c.fn(e, row)
		if err != nil || v == nil {
			return nil, nil, false, err
		}
		if v, err = keyBound(v, c.t, ts[i]); err != nil {
			return nil, nil, false, nil
		}
		prefix = rowenc.AppendKey(prefix, v, ts[i])
	}
	if r.in != nil {
		prefix = rowenc.AppendKey(prefix, inVal, ts[0])
	}
	start, end = prefix, prefixEnd(prefix)
	n := len(vals)
	if r.lo != nil {
		v, err := r.lo.fn(e, row)
		if err != nil || v == nil {
			return nil, nil, false, err
		}
		if v, err = keyBound(v, r.lo.t, ts[n]); err != nil {
			return nil, nil, false, nil
		}
		k := rowenc.AppendKey(append([]byte(nil), prefix...), v, ts[n])
		if r.loInc {
			start = k
		} else {
			start = prefixEnd(k)
		}
	}
	if r.hi != nil {
		v, err := r.hi.fn(e, row)
		if err != nil || v == nil {
			return nil, nil, false, err
		}
		if v, err = keyBound(v, r.hi.t, ts[n]); err != nil {
			return nil, nil, false, nil
		}
		k := rowenc.AppendKey(append([]byte(nil), prefix...), v, ts[n])
		if r.hiInc {
			end = prefixEnd(k)
		} else {
			end = k
		}
	}
	if len(start) == 0 {
		start = nil
	}
	return start, end, true, nil
}

// prefixEnd is the smallest key greater than every key with prefix p
// (nil = unbounded).
func prefixEnd(p []byte) []byte {
	out := append([]byte(nil), p...)
	for i := len(out) - 1; i >= 0; i-- {
		if out[i] < 0xff {
			out[i]++
			return out[:i+1]
		}
	}
	return nil
}

func (p *scanPlan) start(e *env) (iter, error) { return p.startAt(e, nil) }

// startAt starts the scan with its key range's expressions evaluated over
// row (the outer row of an index nested-loop join; nil otherwise).
func (p *scanPlan) startAt(e *env, row []Datum) (iter, error) {
	it := &scanIter{p: p, e: e}
	if err := p.openInto(&it.rs, e, row); err != nil {
		return nil, err
	}
	return it, nil
}

// scanIter is a table scan's iter, its rowScan inside (one allocation per
// execution instead of three).
type scanIter struct {
	p       *scanPlan
	e       *env
	rs      rowScan
	scratch []Datum
}

func (it *scanIter) close() {}

func (it *scanIter) next() ([]Datum, error) {
	p, e, rs := it.p, it.e, &it.rs
	typs := rs.typs
	for {
		v, err := rs.nextValue()
		if v == nil || err != nil {
			return nil, err
		}
		if p.filterWant != nil {
			// The filter's columns first: a row it rejects costs no
			// allocation; one it accepts is completed and handed out
			// (a new scratch row is made for the next).
			if it.scratch == nil {
				it.scratch = make([]Datum, len(typs))
			}
			if err := rowenc.DecodeRowInto(v, typs, it.scratch, p.filterWant); err != nil {
				return nil, pgerror.Wrapf(err, pgerror.DataCorrupted, "table %s", p.tbl.Name)
			}
			ok, err := p.filter.fn(e, it.scratch)
			if err != nil {
				return nil, err
			}
			if ok != true {
				continue
			}
			if err := rowenc.DecodeRowInto(v, typs, it.scratch, p.restWant); err != nil {
				return nil, pgerror.Wrapf(err, pgerror.DataCorrupted, "table %s", p.tbl.Name)
			}
			row := it.scratch
			it.scratch = nil
			return row, nil
		}
		row, err := rowenc.DecodeRow(v, typs)
		if err != nil {
			return nil, pgerror.Wrapf(err, pgerror.DataCorrupted, "table %s", p.tbl.Name)
		}
		if p.filter != nil {
			ok, err := p.filter.fn(e, row)
			if err != nil {
				return nil, err
			}
			if ok != true {
				continue
			}
		}
		return row, nil
	}
}

// rawRows reads the rows of a scan that pass its filter as their stored
// encoding, with only some columns decoded: what a hash join's build side
// needs to place a row (its key), deferring the rest until a row matches.
type rawRows struct {
	p       *scanPlan
	rs      *rowScan
	need    []bool // the filter's columns and the caller's
	scratch []Datum
}

// startRaw starts the scan as rawRows decoding the columns of want (and
// those the filter reads).
func (p *scanPlan) startRaw(e *env, want []bool) (*rawRows, error) {
	rs, err := p.open(e, nil)
	if err != nil {
		return nil, err
	}
	need := append([]bool(nil), want...)
	for i := range need {
		need[i] = need[i] || p.filter != nil && (p.filterWant == nil || p.filterWant[i])
	}
	return &rawRows{p: p, rs: rs, need: need, scratch: make([]Datum, len(rs.typs))}, nil
}

// next returns the next row passing the filter: a copy of its encoding,
// and a scratch row holding the needed columns (valid until the next
// call); nil at the end.
func (r *rawRows) next() ([]byte, []Datum, error) {
	for {
		v, err := r.rs.nextValue()
		if v == nil || err != nil {
			return nil, nil, err
		}
		if err := rowenc.DecodeRowInto(v, r.rs.typs, r.scratch, r.need); err != nil {
			return nil, nil, pgerror.Wrapf(err, pgerror.DataCorrupted, "table %s", r.p.tbl.Name)
		}
		if r.p.filter != nil {
			ok, err := r.p.filter.fn(r.rs.e, r.scratch)
			if err != nil {
				return nil, nil, err
			}
			if ok != true {
				continue
			}
		}
		return append([]byte(nil), v...), r.scratch, nil
	}
}

// decodeRaw decodes a row rawRows returned.
func (p *scanPlan) decodeRaw(raw []byte, typs []types.T) ([]Datum, error) {
	row, err := rowenc.DecodeRow(raw, typs)
	if err != nil {
		return nil, pgerror.Wrapf(err, pgerror.DataCorrupted, "table %s", p.tbl.Name)
	}
	return row, nil
}

// rowScan walks the stored rows of a scan's key ranges.
type rowScan struct {
	p               *scanPlan
	e               *env
	ranges          [][2][]byte
	one             [1][2][]byte // ranges of a scan with one range
	ts, typs        []types.T    // key types (of the index, if any); column types (read only)
	pkTypes         []types.T
	tbucket, bucket []byte
	ri              int
	it              *txn.Iter
}

// open evaluates the key range over row and positions a rowScan before
// its first row.
func (p *scanPlan) open(e *env, row []Datum) (*rowScan, error) {
	rs := &rowScan{}
	if err := p.openInto(rs, e, row); err != nil {
		return nil, err
	}
	return rs, nil
}

// openInto is open into rs.
func (p *scanPlan) openInto(rs *rowScan, e *env, row []Datum) error {
	sh := p.shapeOf()
	ts := sh.ts
	*rs = rowScan{p: p, e: e, ts: ts, typs: sh.typs, pkTypes: sh.pkTypes, tbucket: sh.tbucket, bucket: sh.bucket}
	var ranges [][2][]byte
	if p.rng.empty() {
		ranges = rs.one[:]
	} else if p.rng.in != nil {
		seen := map[string]bool{}
		for _, c := range p.rng.in {
			v, err := c.fn(e, row)
			if err != nil {
				return err
			}
			if v == nil {
				continue
			}
			if v, err = keyBound(v, c.t, ts[0]); err != nil {
				continue
			}
			s, en, ok, err := p.bounds(e, row, p.rng, ts, v)
			if err != nil {
				return err
			}
			if ok && !seen[string(s)] {
				seen[string(s)] = true
				ranges = append(ranges, [2][]byte{s, en})
			}
		}
		sort.Slice(ranges, func(i, j int) bool { return string(ranges[i][0]) < string(ranges[j][0]) })
	} else {
		s, en, ok, err := p.bounds(e, row, p.rng, ts, nil)
		if err != nil {
			return err
		}
		if ok {
			rs.one[0] = [2][]byte{s, en}
			ranges = rs.one[:]
		}
	}
	if p.reverse {
		for i, j := 0, len(ranges)-1; i < j; i, j = i+1, j-1 {
			ranges[i], ranges[j] = ranges[j], ranges[i]
		}
	}
	rs.ranges = ranges
	return nil
}

// nextValue returns the next stored row's encoding (valid until the next
// call), nil at the end.
func (rs *rowScan) nextValue() ([]byte, error) {
	e, p := rs.e, rs.p
	for {
		if err := e.checkCancel(); err != nil {
			return nil, err
		}
		if rs.it == nil {
			if rs.ri >= len(rs.ranges) {
				return nil, nil
			}
			r := rs.ranges[rs.ri]
			if err := e.txn.ssiRead(rs.bucket, r[0], r[1]); err != nil {
				return nil, err
			}
			rs.it = e.txn.iterate(rs.bucket, r[0], r[1], p.reverse)
			rs.ri++
		}
		k, v := rs.it.Next()
		if k == nil {
			rs.it = nil
			continue
		}
		if p.index != nil {
			pk := indexPK(p.index, k, v, rs.ts, rs.pkTypes)
			if pk == nil {
				continue
			}
			if err := e.txn.ssiReadKey(rs.tbucket, pk); err != nil {
				return nil, err
			}
			if v = e.txn.get(rs.tbucket, pk); v == nil {
				continue
			}
		}
		return v, nil
	}
}

// indexPK extracts the primary key bytes from an index entry.
func indexPK(ix *catalog.Index, k, v []byte, ts, pkTypes []types.T) []byte {
	if ix.Unique && len(v) > 0 {
		return v
	}
	rest := k
	for _, t := range ts {
		var err error
		if _, rest, err = rowenc.DecodeKey(rest, t); err != nil {
			return nil
		}
	}
	return rest
}

// ---- values / single row ----

type valuesPlan struct {
	columns []colInfo
	rows    [][]*cexpr
}

func (p *valuesPlan) cols() []colInfo { return p.columns }
func (p *valuesPlan) explain(x *explainer, depth int) {
	if len(p.columns) == 0 {
		x.add(depth, "Result")
		return
	}
	x.add(depth, fmt.Sprintf("Values Scan (%d rows)", len(p.rows)))
}
func (p *valuesPlan) start(e *env) (iter, error) {
	i := 0
	return &funcIter{nx: func() ([]Datum, error) {
		if i >= len(p.rows) {
			return nil, nil
		}
		r := p.rows[i]
		i++
		out := make([]Datum, len(r))
		for j, c := range r {
			if c.isConst && c.foldErr == nil {
				out[j] = c.val
				continue
			}
			v, err := c.fn(e, nil)
			if err != nil {
				return nil, err
			}
			out[j] = v
		}
		return out, nil
	}}, nil
}

// ---- filter / project / limit ----

type filterPlan struct {
	in   plan
	cond *cexpr
}

func (p *filterPlan) cols() []colInfo { return p.in.cols() }
func (p *filterPlan) explain(x *explainer, depth int) {
	x.child(p.in, depth)
	x.detail(depth, "Filter: "+p.cond.s)
}
func (p *filterPlan) start(e *env) (iter, error) {
	in, err := startPlan(e, p.in)
	if err != nil {
		return nil, err
	}
	return &funcIter{nx: func() ([]Datum, error) {
		for {
			if err := e.checkCancel(); err != nil {
				return nil, err
			}
			row, err := in.next()
			if err != nil || row == nil {
				return row, err
			}
			v, err := p.cond.fn(e, row)
			if err != nil {
				return nil, err
			}
			if v == true {
				return row, nil
			}
		}
	}, cl: in.close}, nil
}

type projectPlan struct {
	in      plan
	exprs   []*cexpr
	columns []colInfo
}

func (p *projectPlan) cols() []colInfo                 { return p.columns }
func (p *projectPlan) explain(x *explainer, depth int) { x.child(p.in, depth) }
func (p *projectPlan) start(e *env) (iter, error) {
	in, err := startPlan(e, p.in)
	if err != nil {
		return nil, err
	}
	return &projectIter{p: p, e: e, in: in}, nil
}

// projectIter is projectPlan's iter (a struct rather than a funcIter:
// one allocation per execution instead of two).
type projectIter struct {
	p  *projectPlan
	e  *env
	in iter
}

func (it *projectIter) next() ([]Datum, error) {
	row, err := it.in.next()
	if err != nil || row == nil {
		return nil, err
	}
	out := make([]Datum, len(it.p.exprs))
	for i, c := range it.p.exprs {
		if out[i], err = c.fn(it.e, row); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (it *projectIter) close() { it.in.close() }

type limitPlan struct {
	in            plan
	limit, offset *cexpr
}

func (p *limitPlan) cols() []colInfo { return p.in.cols() }
func (p *limitPlan) explain(x *explainer, depth int) {
	x.add(depth, "Limit")
	x.child(p.in, depth+1)
}
func (p *limitPlan) start(e *env) (iter, error) {
	lim, off := int64(-1), int64(0)
	if p.limit != nil {
		v, err := p.limit.fn(e, nil)
		if err != nil {
			return nil, err
		}
		if v != nil {
			if lim = i64(v); lim < 0 {
				return nil, pgerror.New(pgerror.InvalidRowCountInLimit, "LIMIT must not be negative")
			}
		}
	}
	if p.offset != nil {
		v, err := p.offset.fn(e, nil)
		if err != nil {
			return nil, err
		}
		if v != nil {
			if off = i64(v); off < 0 {
				return nil, pgerror.New(pgerror.InvalidRowCountInOffset, "OFFSET must not be negative")
			}
		}
	}
	if lim == 0 {
		// As PostgreSQL's Limit: no row is asked of the input, so nothing
		// below runs (a sort that would fail on some row does not).
		return &funcIter{nx: func() ([]Datum, error) { return nil, nil }}, nil
	}
	var in iter
	var err error
	if sp, ok := p.in.(*sortPlan); ok && lim > 0 && off <= math.MaxInt64-lim {
		in, err = startPlanWith(e, sp, func() (iter, error) { return sp.startBounded(e, lim+off) })
	} else {
		in, err = startPlan(e, p.in)
	}
	if err != nil {
		return nil, err
	}
	n := int64(0)
	return &funcIter{nx: func() ([]Datum, error) {
		for off > 0 {
			row, err := in.next()
			if err != nil || row == nil {
				return nil, err
			}
			off--
		}
		if lim >= 0 && n >= lim {
			return nil, nil
		}
		n++
		return in.next()
	}, cl: in.close}, nil
}

// ---- sort / distinct ----

type sortKey struct {
	idx        int
	desc       bool
	nullsFirst bool
	bpchar     bool // compare as bpchar: trailing blanks do not count
	s          string
}

type sortPlan struct {
	in   plan
	keys []sortKey
}

func (p *sortPlan) cols() []colInfo { return p.in.cols() }
func (p *sortPlan) explain(x *explainer, depth int) {
	x.add(depth, "Sort")
	var ks []string
	for _, k := range p.keys {
		s := k.s
		if k.desc {
			s += " DESC"
		}
		ks = append(ks, s)
	}
	x.detail(depth, "Sort Key: "+strings.Join(ks, ", "))
	if s := x.stats[p]; s != nil && s.method != "" {
		x.detail(depth, s.method)
	}
	x.child(p.in, depth+1)
}

func compareRows(a, b []Datum, keys []sortKey) int {
	for _, k := range keys {
		x, y := a[k.idx], b[k.idx]
		var c int
		switch {
		case x == nil && y == nil:
			c = 0
		case x == nil:
			c = 1
			if k.nullsFirst {
				c = -1
			}
		case y == nil:
			c = -1
			if k.nullsFirst {
				c = 1
			}
		case k.bpchar:
			c = types.CompareBpchar(x, y)
			if k.desc {
				c = -c
			}
		default:
			c = types.Compare(x, y)
			if k.desc {
				c = -c
			}
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// drain runs p to completion and returns its rows. The rows are charged
// to the statement's memory account while they are collected (53200 past
// its limit) and given back at the end: the caller holds them briefly.
func drain(e *env, p plan) ([][]Datum, error) {
	in, err := startPlan(e, p)
	if err != nil {
		return nil, err
	}
	defer in.close()
	acct := e.account()
	var rows [][]Datum
	var held int64
	defer func() { acct.Shrink(held) }()
	for {
		if err := e.checkCancel(); err != nil {
			return nil, err
		}
		row, err := in.next()
		if err != nil {
			return nil, err
		}
		if row == nil {
			return rows, nil
		}
		n := memacct.RowSize(row) + 8
		if err := acct.Grow(n); err != nil {
			return nil, err
		}
		held += n
		rows = append(rows, row)
	}
}

func sliceIter(rows [][]Datum) iter {
	i := 0
	return &funcIter{nx: func() ([]Datum, error) {
		if i >= len(rows) {
			return nil, nil
		}
		i++
		return rows[i-1], nil
	}}
}

func (p *sortPlan) start(e *env) (iter, error) { return p.startBounded(e, -1) }

// sorter is spill.Sorter or spill.TopN.
type sorter interface {
	Add(row []Datum) error
	Finish() (spill.Iterator, error)
	Close()
}

// startBounded sorts the input; bound >= 0 (a LIMIT right above the sort:
// its count plus its offset) keeps only the first bound rows, in a bounded
// heap (PostgreSQL's top-N heapsort).
func (p *sortPlan) startBounded(e *env, bound int64) (iter, error) {
	in, err := startPlan(e, p.in)
	if err != nil {
		return nil, err
	}
	defer in.close()
	cmp := func(a, b []Datum) int { return compareRows(a, b, p.keys) }
	var s sorter
	var top *spill.TopN
	if bound >= 0 && bound <= maxTopN {
		top = spill.NewTopN(cmp, int(bound), e.budget(), e.space())
		s = top
	} else {
		s = spill.NewSorter(cmp, e.budget(), e.space())
	}
	for {
		if err := e.checkCancel(); err != nil {
			s.Close()
			return nil, err
		}
		row, err := in.next()
		if err != nil {
			s.Close()
			return nil, err
		}
		if row == nil {
			break
		}
		if err := s.Add(row); err != nil {
			s.Close()
			return nil, err
		}
	}
	if top != nil && !top.Spilled() {
		e.noteSortMethod(p, fmt.Sprintf("Sort Method: top-N heapsort  Memory: %dkB", (top.Held()+1023)/1024))
	}
	it, err := s.Finish()
	if err != nil {
		s.Close()
		return nil, err
	}
	return &funcIter{nx: it.Next, cl: func() { it.Close(); s.Close() }}, nil
}

// maxTopN is the largest LIMIT (plus OFFSET) sorted in a bounded heap;
// past it a heap's per-row cost is no better than sorting everything.
const maxTopN = 1 << 20

type distinctPlan struct {
	in plan
	n  int // leading columns that define distinctness
}

func (p *distinctPlan) cols() []colInfo { return p.in.cols() }
func (p *distinctPlan) explain(x *explainer, depth int) {
	x.add(depth, "HashAggregate")
	x.child(p.in, depth+1)
}

func rowKey(row []Datum, cols []colInfo, n int) string {
	var sb []byte
	for i := 0; i < n; i++ {
		if row[i] == nil {
			sb = append(sb, 0)
			continue
		}
		sb = append(sb, 1)
		sb = appendHashKey(sb, row[i], cols[i].typ)
	}
	return string(sb)
}

// compareAs is types.Compare under type t's ordering: bpchar values
// compare without their trailing blanks.
func compareAs(t types.T, a, b Datum) int {
	if t.Oid == types.OidBpchar {
		return types.CompareBpchar(a, b)
	}
	return types.Compare(a, b)
}

// appendHashKey is rowenc.AppendKey for hashing (DISTINCT, GROUP BY, set
// operations, hash joins): values equal under their type's = operator
// encode identically, so a bpchar loses its trailing blanks ('a  ' of a
// char(3) and 'a    ' of a char(5) are one group, as bpchareq says).
func appendHashKey(buf []byte, d Datum, t types.T) []byte {
	if t.Oid == types.OidBpchar {
		d = types.TrimBpchar(d)
	}
	return rowenc.AppendKey(buf, d, t)
}

func (p *distinctPlan) start(e *env) (iter, error) {
	in, err := startPlan(e, p.in)
	if err != nil {
		return nil, err
	}
	d := newHashDistinct(e, iterAdapter{in}, p.in.cols(), p.n, 0)
	return &funcIter{nx: d.next, cl: func() { d.close(); in.close() }}, nil
}
