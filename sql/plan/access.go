package plan

// Op is the comparison of a key predicate: column Op value.
type Op uint8

// Key predicate operators. A predicate value never reads the scanned row.
const (
	OpEq      Op = iota + 1 // col = v
	OpLt                    // col < v
	OpLe                    // col <= v
	OpGt                    // col > v
	OpGe                    // col >= v
	OpIn                    // col IN (v1, …)
	OpBetween               // col BETWEEN v1 AND v2
)

func (o Op) String() string {
	switch o {
	case OpEq:
		return "="
	case OpLt:
		return "<"
	case OpLe:
		return "<="
	case OpGt:
		return ">"
	case OpGe:
		return ">="
	case OpIn:
		return "in"
	case OpBetween:
		return "between"
	}
	return "?"
}

// Flip is the operator with its operands swapped (v < col is col > v).
func (o Op) Flip() Op {
	switch o {
	case OpLt:
		return OpGt
	case OpLe:
		return OpGe
	case OpGt:
		return OpLt
	case OpGe:
		return OpLe
	}
	return o
}

// KeyPred is a WHERE conjunct of the form column Op value(s) on one table,
// whose values do not read the table's row.
type KeyPred struct {
	Col int // column ordinal in the table
	Op  Op
	N   int // OpIn: the list length
}

// Key is a way to read a table in key order: its primary key or one of its
// secondary indexes, by column ordinals.
type Key struct {
	Index  int   // -1: the primary key; else the secondary index's position
	Cols   []int // the key columns in order
	Unique bool  // at most one row per full key
	// Hidden: a key of no user column (the rowid of a table without a
	// primary key): never chosen.
	Hidden bool
}

// Access is the chosen key range of a scan: an equality prefix of the key,
// then on the next column either an IN list (single-column keys only) or
// a range. Pred fields index the KeyPred slice given to ChooseAccess; -1
// means unused. The zero Key value with Index -2 is a full scan.
type Access struct {
	Key     int   // index into the keys given to ChooseAccess; -1 = full scan
	Eq      []int // one equality predicate per leading key column
	In      int   // IN-list predicate on the key's only column
	Between int   // BETWEEN predicate on the column after Eq
	Lo, Hi  int   // lower / upper range predicates on the column after Eq
	Score   int   // how selective the range is thought to be (higher: more)
}

// FullScan reports whether the access reads the whole table.
func (a Access) FullScan() bool { return a.Key < 0 }

// Used lists the predicates the key range consumes (so they need not be
// filtered again).
func (a Access) Used() []int {
	var u []int
	u = append(u, a.Eq...)
	for _, i := range []int{a.In, a.Between, a.Lo, a.Hi} {
		if i >= 0 {
			u = append(u, i)
		}
	}
	return u
}

// Unique reports whether the access returns at most one row: an equality
// on every column of a unique key.
func (a Access) Unique(keys []Key) bool {
	return a.Key >= 0 && keys[a.Key].Unique && len(a.Eq) == len(keys[a.Key].Cols)
}

// Scores of ChooseAccess: an equality column counts most, then an IN list,
// then a closed range, then each side of an open one; equality on the
// whole key adds a bonus.
const (
	scoreEq      = 10
	scoreIn      = 8
	scoreBetween = 4
	scoreBound   = 2
	scoreFullKey = 5
)

// ChooseAccess picks the key with the best-scoring range for preds, or a
// full scan when no key is usable. On a tie the earlier key wins (list the
// primary key first). When several predicates of one kind constrain the
// same column, the last one bounds the range and the others stay filters.
func ChooseAccess(keys []Key, preds []KeyPred) Access {
	best := Access{Key: -1, In: -1, Between: -1, Lo: -1, Hi: -1}
	for ki, k := range keys {
		if k.Hidden {
			continue
		}
		a := keyRange(k.Cols, preds)
		if a.Score > best.Score {
			a.Key = ki
			best = a
		}
	}
	return best
}

// keyRange scores the range that preds give on a key of cols.
func keyRange(cols []int, preds []KeyPred) Access {
	a := Access{Key: -1, In: -1, Between: -1, Lo: -1, Hi: -1}
	for i, c := range cols {
		eq, in, lo, hi, btw := -1, -1, -1, -1, -1
		for pi, p := range preds {
			if p.Col != c {
				continue
			}
			switch p.Op {
			case OpEq:
				eq = pi
			case OpIn:
				in = pi
			case OpGt, OpGe:
				lo = pi
			case OpLt, OpLe:
				hi = pi
			case OpBetween:
				btw = pi
			}
		}
		switch {
		case eq >= 0:
			a.Eq = append(a.Eq, eq)
			a.Score += scoreEq
			continue
		case in >= 0 && i == 0 && len(cols) == 1:
			a.In = in
			a.Score += scoreIn
		case btw >= 0:
			a.Between = btw
			a.Score += scoreBetween
		case lo >= 0 || hi >= 0:
			if lo >= 0 {
				a.Lo = lo
				a.Score += scoreBound
			}
			if hi >= 0 {
				a.Hi = hi
				a.Score += scoreBound
			}
		}
		break
	}
	if len(a.Eq) == len(cols) && len(cols) > 0 {
		a.Score += scoreFullKey
	}
	return a
}
