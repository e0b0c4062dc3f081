package exec

import (
	"sort"
	"sync"

	"github.com/cockroachdb/apd/v3"

	"github.com/heliosdb/nano/sql/exec/memacct"
	"github.com/heliosdb/nano/sql/exec/spill"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

// The window operator. Each pass handles the calls of one window
// definition: its input rows are extended with their PARTITION BY and
// ORDER BY values, sorted with the spilling sorter (work_mem), cut into
// partitions, and each partition is held in memory (charged to the
// statement's account: 53200 past its limit) while its calls are computed
// into their output slots. Rows stream out partition by partition; a pass
// over another definition sorts the previous pass's output again.

// Frame option bits of a WindowDef (PostgreSQL's FRAMEOPTION_*).
const (
	frameNonDefault      = 0x00001
	frameRange           = 0x00002
	frameRows            = 0x00004
	frameGroups          = 0x00008
	frameStartUnbounded  = 0x00020
	frameEndUnbounded    = 0x00100
	frameStartCurrent    = 0x00200
	frameEndCurrent      = 0x00400
	frameStartPreceding  = 0x00800
	frameEndPreceding    = 0x01000
	frameStartFollowing  = 0x02000
	frameEndFollowing    = 0x04000
	frameExcludeCurrent  = 0x08000
	frameExcludeGroup    = 0x10000
	frameExcludeTies     = 0x20000
	frameDefaultOptions  = frameRange | frameStartUnbounded | frameEndCurrent
	frameExcludeAnything = frameExcludeCurrent | frameExcludeGroup | frameExcludeTies
)

// winSpec is one window definition, compiled against the input scope.
type winSpec struct {
	partition []*cexpr
	order     []*cexpr
	orderKeys []sortKey // idx relative to the first order value
	options   int32
	startOff  *cexpr // offsets of <n> PRECEDING/FOLLOWING
	endOff    *cexpr
}

// winCall is one window function call.
type winCall struct {
	name string
	args []*cexpr
	agg  *aggSpec // aggregates over the frame
	t    types.T
	spec int // index into windowPlan.specs
	idx  int // its output column is the input's width + idx
}

// windowPlan appends one column per window call to its input's rows.
type windowPlan struct {
	in    plan
	ctx   *winCtx
	specs []*winSpec
	// width is the input's column count, known once planning is over
	// (an aggregate's columns grow while the select list is compiled).
	width     int
	widthOnce sync.Once
}

func (p *windowPlan) inWidth() int {
	p.widthOnce.Do(func() { p.width = len(p.in.cols()) })
	return p.width
}

func (p *windowPlan) cols() []colInfo {
	cols := p.in.cols()
	for _, c := range p.ctx.calls {
		cols = append(cols, colInfo{name: c.name, typ: c.t})
	}
	return cols
}

func (p *windowPlan) explain(x *explainer, depth int) {
	x.add(depth, "WindowAgg")
	x.child(p.in, depth+1)
}

func (p *windowPlan) start(e *env) (iter, error) {
	in, err := startPlan(e, p.in)
	if err != nil {
		return nil, err
	}
	base := p.inWidth()
	width := base + len(p.ctx.calls)
	var cur iter = &funcIter{nx: func() ([]Datum, error) {
		row, err := in.next()
		if row == nil || err != nil {
			return nil, err
		}
		out := make([]Datum, width)
		copy(out, row)
		return out, nil
	}, cl: in.close}
	for si, sp := range p.specs {
		var calls []*winCall
		for _, c := range p.ctx.calls {
			if c.spec == si {
				calls = append(calls, c)
			}
		}
		if cur, err = startWindowPass(e, cur, base, width, sp, calls); err != nil {
			return nil, err
		}
	}
	return cur, nil
}

// startWindowPass sorts src by sp's keys and computes calls partition by
// partition.
func startWindowPass(e *env, src iter, base, width int, sp *winSpec, calls []*winCall) (iter, error) {
	nk := len(sp.partition) + len(sp.order)
	keys := make([]sortKey, 0, nk)
	for i, pe := range sp.partition {
		keys = append(keys, sortKey{idx: width + i, bpchar: pe.t.Oid == types.OidBpchar})
	}
	for _, k := range sp.orderKeys {
		k.idx += width + len(sp.partition)
		keys = append(keys, k)
	}
	cmp := func(a, b []Datum) int { return compareRows(a, b, keys) }
	s := spill.NewSorter(cmp, e.budget(), e.space())
	for {
		if err := e.checkCancel(); err != nil {
			s.Close()
			src.close()
			return nil, err
		}
		row, err := src.next()
		if err != nil {
			s.Close()
			src.close()
			return nil, err
		}
		if row == nil {
			break
		}
		ext := make([]Datum, width, width+nk)
		copy(ext, row)
		for _, c := range sp.partition {
			v, err := c.fn(e, row)
			if err != nil {
				s.Close()
				src.close()
				return nil, err
			}
			ext = append(ext, v)
		}
		for _, c := range sp.order {
			v, err := c.fn(e, row)
			if err != nil {
				s.Close()
				src.close()
				return nil, err
			}
			ext = append(ext, v)
		}
		if err := s.Add(ext); err != nil {
			s.Close()
			src.close()
			return nil, err
		}
	}
	src.close()
	sorted, err := s.Finish()
	if err != nil {
		s.Close()
		return nil, err
	}
	w := &winPass{e: e, src: sorted, sp: sp, calls: calls, base: base, width: width,
		partKeys: keys[:len(sp.partition)], peerKeys: keys[len(sp.partition):], acct: e.account()}
	return &funcIter{nx: w.next, cl: func() { w.release(); sorted.Close(); s.Close() }}, nil
}

// winPass streams the rows of one pass, a partition at a time.
type winPass struct {
	e        *env
	src      spill.Iterator
	sp       *winSpec
	calls    []*winCall
	base     int // output column of call idx 0
	width    int
	partKeys []sortKey
	peerKeys []sortKey
	acct     *memacct.Account
	held     int64
	part     [][]Datum // the current partition
	pos      int
	pending  []Datum // first row of the next partition
	done     bool
}

func (w *winPass) release() {
	w.acct.Shrink(w.held)
	w.held = 0
}

func (w *winPass) next() ([]Datum, error) {
	if w.pos < len(w.part) {
		w.pos++
		return w.part[w.pos-1][:w.width], nil
	}
	if w.done {
		return nil, nil
	}
	if err := w.load(); err != nil {
		return nil, err
	}
	if len(w.part) == 0 {
		return nil, nil
	}
	if err := w.compute(); err != nil {
		return nil, err
	}
	w.pos = 1
	return w.part[0][:w.width], nil
}

// load reads the next partition into w.part.
func (w *winPass) load() error {
	w.release()
	w.part, w.pos = w.part[:0], 0
	if w.pending != nil {
		if err := w.hold(w.pending); err != nil {
			return err
		}
		w.part = append(w.part, w.pending)
		w.pending = nil
	}
	for {
		if err := w.e.checkCancel(); err != nil {
			return err
		}
		row, err := w.src.Next()
		if err != nil {
			return err
		}
		if row == nil {
			w.done = true
			return nil
		}
		if len(w.part) > 0 && compareRows(w.part[0], row, w.partKeys) != 0 {
			w.pending = row
			return nil
		}
		if err := w.hold(row); err != nil {
			return err
		}
		w.part = append(w.part, row)
	}
}

func (w *winPass) hold(row []Datum) error {
	n := memacct.RowSize(row) + 8
	if err := w.acct.Grow(n); err != nil {
		return err
	}
	w.held += n
	return nil
}

// compute fills the calls' slots of every row of the partition.
func (w *winPass) compute() error {
	f := newWinFrame(w.part, w.peerKeys)
	for _, c := range w.calls {
		if err := w.computeCall(f, c); err != nil {
			return err
		}
	}
	return nil
}

// winFrame knows the peer groups of a partition.
type winFrame struct {
	rows  [][]Datum
	group []int // peer group number of each row
	first []int // first row of each group
}

func newWinFrame(rows [][]Datum, peerKeys []sortKey) *winFrame {
	f := &winFrame{rows: rows, group: make([]int, len(rows))}
	for i := range rows {
		if i == 0 || len(peerKeys) > 0 && compareRows(rows[i-1], rows[i], peerKeys) != 0 {
			f.first = append(f.first, i)
		}
		f.group[i] = len(f.first) - 1
	}
	return f
}

// groupEnd is one past the last row of peer group g.
func (f *winFrame) groupEnd(g int) int {
	if g+1 < len(f.first) {
		return f.first[g+1]
	}
	return len(f.rows)
}

func (w *winPass) computeCall(f *winFrame, c *winCall) error {
	n := len(f.rows)
	slot := w.base + c.idx
	e := w.e
	switch c.name {
	case "row_number", "rank", "dense_rank", "percent_rank", "cume_dist":
		for i, r := range f.rows {
			r[slot] = rankValue(c.name, f, i, n)
		}
		return nil
	case "ntile":
		return w.ntile(f, c)
	case "lag", "lead":
		return w.lagLead(f, c)
	}
	// Frame functions: first_value, last_value, nth_value and aggregates.
	lastS, lastE := -1, -1
	var lastV Datum
	var inc *aggState
	incEnd := 0
	for i, r := range f.rows {
		if err := e.checkCancel(); err != nil {
			return err
		}
		s, en, err := w.frameBounds(f, i)
		if err != nil {
			return err
		}
		if s == lastS && en == lastE && w.sp.options&frameExcludeAnything == 0 {
			r[slot] = lastV
			continue
		}
		var v Datum
		switch {
		case c.agg == nil:
			v, err = w.frameValue(c, f, i, s, en)
		case s == 0 && en >= incEnd && w.sp.options&frameExcludeAnything == 0 && !c.agg.distinct:
			// A frame that only grows (the default frame): accumulate.
			if inc == nil || lastS != 0 {
				inc, incEnd = &aggState{}, 0
			}
			for ; incEnd < en; incEnd++ {
				if err = accumulate(e, c.agg, inc, f.rows[incEnd], e.budget()); err != nil {
					return err
				}
			}
			v, err = finish(e, c.agg, inc)
		default:
			st := &aggState{}
			rows := w.frameRows(f, i, s, en)
			for _, j := range rows {
				if err = accumulate(e, c.agg, st, f.rows[j], e.budget()); err != nil {
					break
				}
			}
			if err == nil {
				v, err = finish(e, c.agg, st)
			}
		}
		if err != nil {
			return err
		}
		r[slot], lastS, lastE, lastV = v, s, en, v
	}
	return nil
}

func rankValue(name string, f *winFrame, i, n int) Datum {
	g := f.group[i]
	switch name {
	case "row_number":
		return int64(i + 1)
	case "rank":
		return int64(f.first[g] + 1)
	case "dense_rank":
		return int64(g + 1)
	case "percent_rank":
		if n <= 1 {
			return float64(0)
		}
		return float64(f.first[g]) / float64(n-1)
	}
	return float64(f.groupEnd(g)) / float64(n) // cume_dist
}

func (w *winPass) ntile(f *winFrame, c *winCall) error {
	slot := w.base + c.idx
	n := int64(len(f.rows))
	v, err := c.args[0].fn(w.e, f.rows[0])
	if err != nil {
		return err
	}
	if v == nil {
		for _, r := range f.rows {
			r[slot] = nil
		}
		return nil
	}
	k := i64(v)
	if k <= 0 {
		return pgerror.New(pgerror.InvalidArgumentForNtile, "argument of ntile must be greater than zero")
	}
	per, extra := n/k, n%k
	if k > n {
		per, extra = 1, 0
	}
	bucket, left := int64(1), per
	if extra > 0 {
		left++
	}
	for _, r := range f.rows {
		if left == 0 {
			bucket++
			left = per
			if bucket <= extra {
				left++
			}
		}
		r[slot] = bucket
		left--
	}
	return nil
}

func (w *winPass) lagLead(f *winFrame, c *winCall) error {
	slot := w.base + c.idx
	for i, r := range f.rows {
		off := int64(1)
		if len(c.args) > 1 {
			v, err := c.args[1].fn(w.e, r)
			if err != nil {
				return err
			}
			if v == nil {
				r[slot] = nil
				continue
			}
			off = i64(v)
		}
		if c.name == "lag" {
			off = -off
		}
		j := int64(i) + off
		var v Datum
		var err error
		switch {
		case j >= 0 && j < int64(len(f.rows)):
			v, err = c.args[0].fn(w.e, f.rows[j])
		case len(c.args) > 2:
			v, err = c.args[2].fn(w.e, r)
		}
		if err != nil {
			return err
		}
		r[slot] = v
	}
	return nil
}

// frameValue is first_value/last_value/nth_value over rows [s, en).
func (w *winPass) frameValue(c *winCall, f *winFrame, cur, s, en int) (Datum, error) {
	rows := w.frameRows(f, cur, s, en)
	r := f.rows[cur]
	switch c.name {
	case "first_value":
		if len(rows) == 0 {
			return nil, nil
		}
		return c.args[0].fn(w.e, f.rows[rows[0]])
	case "last_value":
		if len(rows) == 0 {
			return nil, nil
		}
		return c.args[0].fn(w.e, f.rows[rows[len(rows)-1]])
	}
	nv, err := c.args[1].fn(w.e, r)
	if err != nil || nv == nil {
		return nil, err
	}
	k := i64(nv)
	if k <= 0 {
		return nil, pgerror.New(pgerror.InvalidArgumentForNthValue, "argument of nth_value must be greater than zero")
	}
	if k > int64(len(rows)) {
		return nil, nil
	}
	return c.args[0].fn(w.e, f.rows[rows[k-1]])
}

// frameRows lists the rows of [s, en) left after the EXCLUDE clause.
func (w *winPass) frameRows(f *winFrame, cur, s, en int) []int {
	var out []int
	opt := w.sp.options
	for j := s; j < en; j++ {
		switch {
		case opt&frameExcludeCurrent != 0 && j == cur:
			continue
		case opt&frameExcludeGroup != 0 && f.group[j] == f.group[cur]:
			continue
		case opt&frameExcludeTies != 0 && j != cur && f.group[j] == f.group[cur]:
			continue
		}
		out = append(out, j)
	}
	return out
}

// frameBounds is the frame of row i: rows [s, en) of the partition.
func (w *winPass) frameBounds(f *winFrame, i int) (int, int, error) {
	opt := w.sp.options
	n := len(f.rows)
	g := f.group[i]
	r := f.rows[i]
	var s, en int
	switch {
	case opt&frameStartUnbounded != 0:
		s = 0
	case opt&frameStartCurrent != 0:
		s = i
		if opt&frameRows == 0 {
			s = f.first[g]
		}
	case opt&frameRange != 0:
		var err error
		if s, err = w.rangeBound(f, i, w.sp.startOff, opt&frameStartPreceding != 0, true); err != nil {
			return 0, 0, err
		}
	default:
		off, err := w.offset(w.sp.startOff, r, "starting")
		if err != nil {
			return 0, 0, err
		}
		if opt&frameStartPreceding != 0 {
			off = -off
		}
		s = w.offsetRow(f, i, off, true)
	}
	switch {
	case opt&frameEndUnbounded != 0:
		en = n
	case opt&frameEndCurrent != 0:
		en = i + 1
		if opt&frameRows == 0 {
			en = f.groupEnd(g)
		}
	case opt&frameRange != 0:
		var err error
		if en, err = w.rangeBound(f, i, w.sp.endOff, opt&frameEndPreceding != 0, false); err != nil {
			return 0, 0, err
		}
	default:
		off, err := w.offset(w.sp.endOff, r, "ending")
		if err != nil {
			return 0, 0, err
		}
		if opt&frameEndPreceding != 0 {
			off = -off
		}
		en = w.offsetRow(f, i, off, false)
	}
	s = max(0, min(s, n))
	en = max(s, min(en, n))
	return s, en, nil
}

func (w *winPass) offset(c *cexpr, r []Datum, which string) (int64, error) {
	v, err := c.fn(w.e, r)
	if err != nil {
		return 0, err
	}
	if v == nil {
		return 0, pgerror.Newf(pgerror.NullValueNotAllowed, "frame %s offset must not be null", which)
	}
	off := i64(v)
	if off < 0 {
		return 0, pgerror.Newf(pgerror.InvalidPrecedingOrFollowingSize, "frame %s offset must not be negative", which)
	}
	return off, nil
}

// offsetRow is the frame bound off rows (ROWS) or peer groups (GROUPS)
// from row i: the first row of the bound for a start, one past its last
// for an end.
func (w *winPass) offsetRow(f *winFrame, i int, off int64, start bool) int {
	if w.sp.options&frameGroups != 0 {
		g := int64(f.group[i]) + off
		switch {
		case g < 0:
			return 0
		case g >= int64(len(f.first)):
			return len(f.rows)
		case start:
			return f.first[g]
		}
		return f.groupEnd(int(g))
	}
	j := int64(i) + off
	if !start {
		j++
	}
	return int(max(-1, min(j, int64(len(f.rows)))))
}

// rangeBound is a RANGE frame bound of row i: the first row whose ORDER BY
// value is within off of row i's (start), or one past the last (end). The
// rows are sorted on that value, so the bound is found by binary search.
// A row whose value is NULL has its NULL peers as the bound.
func (w *winPass) rangeBound(f *winFrame, i int, offExpr *cexpr, preceding, start bool) (int, error) {
	key := w.peerKeys[0]
	kt := w.sp.order[0].t
	cur := f.rows[i][key.idx]
	g := f.group[i]
	if cur == nil {
		if start {
			return f.first[g], nil
		}
		return f.groupEnd(g), nil
	}
	off, err := offExpr.fn(w.e, f.rows[i])
	if err != nil {
		return 0, err
	}
	which := "ending"
	if start {
		which = "starting"
	}
	if off == nil {
		return 0, pgerror.Newf(pgerror.NullValueNotAllowed, "frame %s offset must not be null", which)
	}
	if negativeOffset(off) {
		return 0, pgerror.New(pgerror.InvalidPrecedingOrFollowingSize, "invalid preceding or following size in window function")
	}
	rt := kt
	if kt.Oid == types.OidDate {
		rt = types.Timestamp
	}
	// PRECEDING moves against the sort direction.
	var bound Datum
	if preceding != key.desc {
		bound, err = types.Sub(cur, off, rt)
	} else {
		bound, err = types.Add(cur, off, rt)
	}
	if err != nil { // past the type's range: every row lies within it that way
		if preceding {
			return 0, nil
		}
		return len(f.rows), nil
	}
	n := len(f.rows)
	return sort.Search(n, func(j int) bool {
		v := f.rows[j][key.idx]
		if v == nil {
			return !key.nullsFirst
		}
		c := types.Compare(v, bound)
		if key.desc {
			c = -c
		}
		if start {
			return c >= 0
		}
		return c > 0
	}), nil
}

func negativeOffset(d Datum) bool {
	switch v := d.(type) {
	case int64:
		return v < 0
	case float64:
		return v < 0
	case *apd.Decimal:
		return v.Negative && !v.IsZero()
	}
	return false
}
