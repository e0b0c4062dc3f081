package exec

import (
	"strings"

	"github.com/heliosdb/nano/sql/exec/memacct"
	"github.com/heliosdb/nano/sql/exec/spill"
	"github.com/heliosdb/nano/sql/types"
)

// hashJoinPlan is an inner equi-join: a hash table on the right side's
// keys, probed by each left row; on filters the joined rows. Rows with a
// NULL key match nothing (= is never true on NULL).
//
// Memory: a hybrid hash join. The right rows go to one of spillFanOut
// partitions by a hash of their key, all held in memory while work_mem
// lasts; past it, the largest partition is written to a temporary file
// (and so on until the rest fits). Left rows of a partition in memory are
// joined at once, those of a spilled partition go to a file too; each
// spilled pair is joined afterwards the same way at the next level (a new
// hash salt). Past maxSpillLevel the table grows without work_mem, still
// bounded by the statement's limit (53200).
type hashJoinPlan struct {
	left, right plan
	lkeys       []*cexpr  // over the left row
	rkeys       []*cexpr  // over the right row
	ktypes      []types.T // the type each key pair is encoded as
	on          *cexpr    // residual condition over the joined row
	out         []colInfo
	// leftOuter: a LEFT JOIN — a left row that no right row joins (its key
	// NULL, no equal key, or on false for every candidate) is output once,
	// NULL-extended.
	leftOuter bool
	// rawKeys, when the right side is a table scan and its keys are plain
	// columns, marks those columns: the build reads the scan's rows
	// encoded, decoding only the key (and filter) columns, and decodes a
	// row whole when a probe first matches it — most build rows of a
	// selective join are never decoded.
	rawKeys []bool
}

func newHashJoinPlan(l, r plan, lkeys, rkeys []*cexpr, ktypes []types.T, on *cexpr) *hashJoinPlan {
	p := &hashJoinPlan{left: l, right: r, lkeys: lkeys, rkeys: rkeys, ktypes: ktypes, on: on, out: joinCols(l, r)}
	if sp, ok := r.(*scanPlan); ok {
		want := make([]bool, len(sp.tbl.Columns))
		for _, k := range rkeys {
			if k.colIdx < 0 || k.colIdx >= len(want) {
				return p
			}
			want[k.colIdx] = true
		}
		p.rawKeys = want
	}
	return p
}

func (p *hashJoinPlan) cols() []colInfo { return append([]colInfo(nil), p.out...) }

func (p *hashJoinPlan) explain(x *explainer, depth int) {
	if p.leftOuter {
		x.add(depth, "Hash Left Join")
	} else {
		x.add(depth, "Hash Join")
	}
	var conds []string
	for i := range p.lkeys {
		conds = append(conds, p.lkeys[i].s+" = "+p.rkeys[i].s)
	}
	x.detail(depth, "Hash Cond: ("+strings.Join(conds, " AND ")+")")
	if p.on != nil {
		x.detail(depth, "Join Filter: "+p.on.s)
	}
	x.child(p.left, depth+1)
	x.add(depth+1, "Hash")
	x.child(p.right, depth+2)
}

// hashKey encodes a row's join key; ok=false when a key is NULL.
func hashKey(e *env, keys []*cexpr, ktypes []types.T, row []Datum, buf []byte) ([]byte, bool, error) {
	buf = buf[:0]
	for i, k := range keys {
		v, err := k.fn(e, row)
		if err != nil {
			return nil, false, err
		}
		if v == nil {
			return nil, false, nil
		}
		if k.t != ktypes[i] {
			if v, err = types.Cast(v, k.t, ktypes[i], false); err != nil {
				return nil, false, err
			}
		}
		buf = appendHashKey(buf, v, ktypes[i])
	}
	return buf, true, nil
}

func (p *hashJoinPlan) start(e *env) (iter, error) {
	j := &hashJoinRun{e: e, p: p, level: 0}
	var right iter
	var raw *rawRows
	var err error
	// EXPLAIN ANALYZE counts the right side's rows through startPlan.
	if p.rawKeys != nil && e.stats == nil {
		sp := p.right.(*scanPlan)
		if raw, err = sp.startRaw(e, p.rawKeys); err != nil {
			return nil, err
		}
		j.raw, j.rawTypes = sp, raw.rs.typs
	} else if right, err = startPlan(e, p.right); err != nil {
		return nil, err
	}
	left, err := startPlan(e, p.left)
	if err != nil {
		if right != nil {
			right.close()
		}
		return nil, err
	}
	if raw != nil {
		err = j.buildRaw(raw)
	} else {
		err = j.build(iterAdapter{right})
		right.close()
	}
	if err != nil {
		left.close()
		j.close()
		return nil, err
	}
	j.probeSrc = iterAdapter{left}
	return &funcIter{nx: j.next, cl: func() { j.close(); left.close() }}, nil
}

// hashJoinRun is one level of a hash join: the build side's partitions in
// memory or spilled, and the probing of them.
type hashJoinRun struct {
	e      *env
	p      *hashJoinPlan
	level  int
	budget *memacct.Budget
	tables [spillFanOut]map[string][]hjRow // nil once spilled
	sizes  [spillFanOut]int64
	rparts *spill.Partitions // spilled build rows
	lparts *spill.Partitions // probe rows of spilled partitions
	spilt  [spillFanOut]bool
	keyBuf []byte

	probeSrc spill.Iterator
	cur      []Datum // the probe row being joined
	matches  []hjRow // its remaining matches
	joinedOK bool    // some match of cur passed on (leftOuter)
	part     int     // next spilled partition to join
	child    *hashJoinRun
	// raw: the level-0 build read the right scan's rows encoded
	// (hashJoinPlan.rawKeys); rawTypes are its column types.
	raw      *scanPlan
	rawTypes []types.T
}

// hjRow is a build row: decoded, or (raw build) its encoding until a
// probe matches it.
type hjRow struct {
	row []Datum
	enc []byte
}

// decoded returns r's row, decoding (and keeping) it when it is encoded.
func (j *hashJoinRun) decoded(r *hjRow) ([]Datum, error) {
	if r.row == nil {
		row, err := j.raw.decodeRaw(r.enc, j.rawTypes)
		if err != nil {
			return nil, err
		}
		r.row, r.enc = row, nil
	}
	return r.row, nil
}

func (j *hashJoinRun) partOf(key []byte) int {
	return int(spill.Hash(key, j.level) % spillFanOut)
}

func (j *hashJoinRun) initTables() {
	j.budget = j.e.budget()
	for i := range j.tables {
		j.tables[i] = map[string][]hjRow{}
	}
}

// build reads the right side into the partitions.
func (j *hashJoinRun) build(src spill.Iterator) error {
	j.initTables()
	for {
		if err := j.e.checkCancel(); err != nil {
			return err
		}
		row, err := src.Next()
		if err != nil {
			return err
		}
		if row == nil {
			return nil
		}
		key, ok, err := hashKey(j.e, j.p.rkeys, j.p.ktypes, row, j.keyBuf)
		if err != nil {
			return err
		}
		j.keyBuf = key
		if !ok {
			continue
		}
		if err := j.add(key, hjRow{row: row}, memacct.RowSize(row)); err != nil {
			return err
		}
	}
}

// buildRaw reads the right scan's rows encoded into the partitions.
func (j *hashJoinRun) buildRaw(src *rawRows) error {
	j.initTables()
	ncols := int64(len(j.rawTypes))
	for {
		enc, keyRow, err := src.next()
		if err != nil {
			return err
		}
		if enc == nil {
			return nil
		}
		key, ok, err := hashKey(j.e, j.p.rkeys, j.p.ktypes, keyRow, j.keyBuf)
		if err != nil {
			return err
		}
		j.keyBuf = key
		if !ok {
			continue
		}
		// What the row takes once decoded, at most: its slice, and each
		// value's boxing plus the encoded bytes it came from.
		size := memacct.RowSize(nil) + ncols*2*16 + int64(len(enc))
		if err := j.add(key, hjRow{enc: enc}, size); err != nil {
			return err
		}
	}
}

// add puts a build row of the given size under key, spilling partitions
// past work_mem.
func (j *hashJoinRun) add(key []byte, r hjRow, size int64) error {
	pi := j.partOf(key)
	n := size + int64(len(key)) + keyOverhead
	for !j.spilt[pi] && !j.budget.TryGrow(n) {
		if j.level >= maxSpillLevel {
			if err := j.budget.Grow(n); err != nil {
				return err
			}
			break
		}
		if err := j.spillLargest(); err != nil {
			return err
		}
	}
	if j.spilt[pi] {
		row, err := j.decoded(&r)
		if err != nil {
			return err
		}
		return j.rparts.Add(pi, row)
	}
	j.tables[pi][string(key)] = append(j.tables[pi][string(key)], r)
	j.sizes[pi] += n
	return nil
}

// spillLargest writes the largest partition held in memory to its file.
func (j *hashJoinRun) spillLargest() error {
	big := -1
	for i := range j.tables {
		if !j.spilt[i] && (big < 0 || j.sizes[i] > j.sizes[big]) {
			big = i
		}
	}
	if j.rparts == nil {
		var err error
		if j.rparts, err = spill.NewPartitions(j.e.space(), spillFanOut); err != nil {
			return err
		}
		if j.lparts, err = spill.NewPartitions(j.e.space(), spillFanOut); err != nil {
			return err
		}
	}
	for _, rows := range j.tables[big] {
		for i := range rows {
			row, err := j.decoded(&rows[i])
			if err != nil {
				return err
			}
			if err := j.rparts.Add(big, row); err != nil {
				return err
			}
		}
	}
	j.tables[big] = nil
	j.budget.Shrink(j.sizes[big])
	j.sizes[big] = 0
	j.spilt[big] = true
	return nil
}

func (j *hashJoinRun) joined(l, r []Datum) ([]Datum, bool, error) {
	row := make([]Datum, 0, len(l)+len(r))
	row = append(append(row, l...), r...)
	if j.p.on != nil {
		v, err := j.p.on.fn(j.e, row)
		if err != nil || v != true {
			return nil, false, err
		}
	}
	return row, true, nil
}

func (j *hashJoinRun) next() ([]Datum, error) {
	for j.probeSrc != nil {
		for len(j.matches) > 0 {
			r, err := j.decoded(&j.matches[0])
			if err != nil {
				return nil, err
			}
			j.matches = j.matches[1:]
			row, ok, err := j.joined(j.cur, r)
			if err != nil || ok {
				j.joinedOK = j.joinedOK || ok
				return row, err
			}
		}
		if l := j.cur; l != nil {
			j.cur = nil
			if j.p.leftOuter && !j.joinedOK {
				return j.nullExtended(l), nil
			}
		}
		if err := j.e.checkCancel(); err != nil {
			return nil, err
		}
		l, err := j.probeSrc.Next()
		if err != nil {
			return nil, err
		}
		if l == nil {
			j.probeSrc = nil
			j.release()
			break
		}
		key, ok, err := hashKey(j.e, j.p.lkeys, j.p.ktypes, l, j.keyBuf)
		if err != nil {
			return nil, err
		}
		j.keyBuf = key
		if !ok {
			if j.p.leftOuter {
				return j.nullExtended(l), nil
			}
			continue
		}
		pi := j.partOf(key)
		if j.spilt[pi] {
			if err := j.lparts.Add(pi, l); err != nil {
				return nil, err
			}
			continue
		}
		j.cur, j.matches, j.joinedOK = l, j.tables[pi][string(key)], false
	}
	for {
		if j.child != nil {
			row, err := j.child.next()
			if err != nil || row != nil {
				return row, err
			}
			j.child.close()
			j.child = nil
		}
		for j.part < spillFanOut && !j.spilt[j.part] {
			j.part++
		}
		if j.part >= spillFanOut {
			return nil, nil
		}
		pi := j.part
		j.part++
		rit, _, err := j.rparts.Iter(pi)
		if err != nil {
			return nil, err
		}
		lit, _, err := j.lparts.Iter(pi)
		if err != nil {
			return nil, err
		}
		child := &hashJoinRun{e: j.e, p: j.p, level: j.level + 1}
		if err := child.build(rit); err != nil {
			child.close()
			return nil, err
		}
		child.probeSrc = lit
		j.child = child
	}
}

// nullExtended is left row l joined to no right row.
func (j *hashJoinRun) nullExtended(l []Datum) []Datum {
	row := make([]Datum, len(j.p.out))
	copy(row, l)
	return row
}

// release drops the in-memory tables.
func (j *hashJoinRun) release() {
	for i := range j.tables {
		j.tables[i] = nil
	}
	j.matches = nil
	j.budget.Release()
}

func (j *hashJoinRun) close() {
	if j.child != nil {
		j.child.close()
		j.child = nil
	}
	j.release()
}

// lookupJoinPlan is an inner index nested-loop join: for each left row,
// the right table is read by a key range whose values come from the left
// row (inner.rng's expressions are compiled over the left row).
type lookupJoinPlan struct {
	left  plan
	inner *scanPlan
	on    *cexpr // over the joined row
	out   []colInfo
	// leftOuter: a LEFT JOIN — a left row no inner row joins is output
	// once, NULL-extended.
	leftOuter bool
}

func newLookupJoinPlan(l plan, inner *scanPlan, on *cexpr) *lookupJoinPlan {
	return &lookupJoinPlan{left: l, inner: inner, on: on, out: joinCols(l, inner)}
}

func (p *lookupJoinPlan) cols() []colInfo { return append([]colInfo(nil), p.out...) }

func (p *lookupJoinPlan) explain(x *explainer, depth int) {
	if p.leftOuter {
		x.add(depth, "Nested Loop Left Join")
	} else {
		x.add(depth, "Nested Loop")
	}
	if p.on != nil {
		x.detail(depth, "Join Filter: "+p.on.s)
	}
	x.child(p.left, depth+1)
	x.child(p.inner, depth+1)
}

func (p *lookupJoinPlan) start(e *env) (iter, error) {
	left, err := startPlan(e, p.left)
	if err != nil {
		return nil, err
	}
	var cur []Datum
	var in iter
	matched := false
	return &funcIter{nx: func() ([]Datum, error) {
		for {
			if err := e.checkCancel(); err != nil {
				return nil, err
			}
			if in == nil {
				if cur, err = left.next(); err != nil || cur == nil {
					return nil, err
				}
				if in, err = p.inner.startAt(e, cur); err != nil {
					return nil, err
				}
				matched = false
			}
			r, err := in.next()
			if err != nil {
				return nil, err
			}
			if r == nil {
				in.close()
				in = nil
				if p.leftOuter && !matched {
					row := make([]Datum, len(p.out))
					copy(row, cur)
					return row, nil
				}
				continue
			}
			row := make([]Datum, 0, len(cur)+len(r))
			row = append(append(row, cur...), r...)
			if p.on != nil {
				v, err := p.on.fn(e, row)
				if err != nil {
					return nil, err
				}
				if v != true {
					continue
				}
			}
			matched = true
			return row, nil
		}
	}, cl: func() {
		if in != nil {
			in.close()
		}
		left.close()
	}}, nil
}

// reorderPlan puts the columns of a join planned in another order back
// in FROM-list order: output column i is input column perm[i].
type reorderPlan struct {
	in      plan
	perm    []int
	columns []colInfo
}

func (p *reorderPlan) cols() []colInfo                 { return p.columns }
func (p *reorderPlan) explain(x *explainer, depth int) { x.child(p.in, depth) }
func (p *reorderPlan) start(e *env) (iter, error) {
	in, err := startPlan(e, p.in)
	if err != nil {
		return nil, err
	}
	return &funcIter{nx: func() ([]Datum, error) {
		row, err := in.next()
		if row == nil || err != nil {
			return nil, err
		}
		out := make([]Datum, len(p.perm))
		for i, j := range p.perm {
			out[i] = row[j]
		}
		return out, nil
	}, cl: in.close}, nil
}
