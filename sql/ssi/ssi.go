package ssi

import (
	"cmp"
	"context"
	"slices"
	"sync"

	"github.com/heliosdb/nano/sql/pgerror"
)

// Limits bound the Manager's memory; zero fields take the defaults.
type Limits struct {
	// LocksPerBucket: ranges one transaction holds in one bucket before
	// they become a lock of the whole bucket (default 256).
	LocksPerBucket int
	// WritesPerBucket: keys one transaction wrote in one bucket before
	// they count as a write of the whole bucket (default 1024).
	WritesPerBucket int
	// MaxCommitted: committed transactions kept for running ones before
	// the oldest are summarised (default 1000, PostgreSQL's 10 per
	// connection at max_connections = 100).
	MaxCommitted int
}

func (l Limits) withDefaults() Limits {
	if l.LocksPerBucket <= 0 {
		l.LocksPerBucket = 256
	}
	if l.WritesPerBucket <= 0 {
		l.WritesPerBucket = 1024
	}
	if l.MaxCommitted <= 0 {
		l.MaxCommitted = 1000
	}
	return l
}

// Manager tracks the SERIALIZABLE transactions of one primary.
type Manager struct {
	lim Limits

	mu        sync.Mutex
	seq       uint64             // last commit (and prepare) sequence number
	active    map[*Xact]struct{} // registered, not committed or aborted
	committed []*Xact            // kept committed transactions, in commit order
	readers   map[string]map[*Xact]struct{}
	writers   map[string]map[*Xact]struct{}
	sum       summary
}

// summary is what is left of summarised committed transactions.
type summary struct {
	maxSeq uint64            // newest commit among them; 0 = empty
	reads  map[string]uint64 // bucket → newest commit that read it
	writes map[string]sumWrite
}

type sumWrite struct {
	commit uint64 // newest commit that wrote the bucket
	// conflict: earliest commit an out-conflict of one of those writers
	// pointed to (0 = none had one).
	conflict uint64
}

// New returns a Manager with lim.
func New(lim Limits) *Manager {
	return &Manager{lim: lim.withDefaults(), active: map[*Xact]struct{}{},
		readers: map[string]map[*Xact]struct{}{}, writers: map[string]map[*Xact]struct{}{}}
}

// Xact is one SERIALIZABLE transaction.
type Xact struct {
	m     *Manager
	ID    uint64 // the transaction number in error details
	PID   uint32 // its session's process id
	owner uint64 // its session's lock owner (SetOwner)

	snapSeq    uint64 // last commit before its snapshot
	prepareSeq uint64 // set by PreCommit
	commitSeq  uint64 // set by Commit
	readOnly   bool   // declared READ ONLY, or committed without writes
	declaredRO bool
	doomed     bool
	didWrite   bool
	released   bool // no longer tracked (aborted, or a safe snapshot)

	in  map[*Xact]struct{} // readers R with R -rw-> x
	out map[*Xact]struct{} // writers W with x -rw-> W
	// conflictOut: an out-conflict to a transaction that committed before
	// x did; earliestOut is the first such commit.
	conflictOut bool
	earliestOut uint64
	summaryIn   bool
	summaryOut  bool

	reads  map[string]*spanSet
	writes map[string]*keySet

	// A READ ONLY transaction: the read-write ones that may still make its
	// snapshot unsafe; a read-write one: the READ ONLY ones that list it.
	unsafeOf map[*Xact]struct{}
	roOf     map[*Xact]struct{}
	roSafe   bool
	roUnsafe bool
	resolved chan struct{} // closed when roSafe or roUnsafe is decided
	waiting  bool          // in WaitSafe
}

type span struct {
	lo, hi string
	inf    bool // hi is +infinity
}

type spanSet struct {
	all   bool
	spans []span
}

func (s *spanSet) covers(k string) bool {
	if s.all {
		return true
	}
	for _, sp := range s.spans {
		if k >= sp.lo && (sp.inf || k < sp.hi) {
			return true
		}
	}
	return false
}

type keySet struct {
	all  bool
	keys map[string]struct{}
}

func (s *keySet) overlaps(sp span) bool {
	if s.all {
		return true
	}
	if !sp.inf && sp.hi > sp.lo && len(sp.hi) == len(sp.lo)+1 && sp.hi[len(sp.lo)] == 0 && sp.hi[:len(sp.lo)] == sp.lo {
		_, ok := s.keys[sp.lo] // a single key
		return ok
	}
	for k := range s.keys {
		if k >= sp.lo && (sp.inf || k < sp.hi) {
			return true
		}
	}
	return false
}

const msgSerialize = "could not serialize access due to read/write dependencies among transactions"

func failure(detail string, args ...any) error {
	return pgerror.New(pgerror.SerializationFailure, msgSerialize).
		WithDetail(detail, args...).WithHint("The transaction might succeed if retried.")
}

// Begin registers a SERIALIZABLE transaction. take opens its snapshot; it
// runs under the Manager's lock, so the snapshot holds exactly the
// transactions committed before it. A READ ONLY transaction that no
// running read-write transaction can make unsafe is not tracked at all:
// Begin returns nil (and nil error) for it, and every method of a nil
// Xact does nothing.
func (m *Manager) Begin(id uint64, pid uint32, readOnly bool, take func() error) (*Xact, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := take(); err != nil {
		return nil, err
	}
	x := &Xact{m: m, ID: id, PID: pid, snapSeq: m.seq, readOnly: readOnly, declaredRO: readOnly}
	if readOnly {
		for o := range m.active {
			if o.commitSeq == 0 && !o.doomed && !o.readOnly {
				if x.unsafeOf == nil {
					x.unsafeOf = map[*Xact]struct{}{}
				}
				x.unsafeOf[o] = struct{}{}
				if o.roOf == nil {
					o.roOf = map[*Xact]struct{}{}
				}
				o.roOf[x] = struct{}{}
			}
		}
		if len(x.unsafeOf) == 0 {
			return nil, nil
		}
		x.resolved = make(chan struct{})
	}
	m.active[x] = struct{}{}
	return x, nil
}

// WaitSafe waits until a READ ONLY transaction's snapshot is known safe
// (true: it is no longer tracked) or unsafe (false: the caller aborts it
// and tries a new snapshot), for READ ONLY DEFERRABLE.
func (x *Xact) WaitSafe(ctx context.Context) (bool, error) {
	if x == nil {
		return true, nil
	}
	m := x.m
	m.mu.Lock()
	x.waiting = true
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		x.waiting = false
		m.mu.Unlock()
	}()
	select {
	case <-x.resolved:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if x.roSafe {
		m.release(x)
		return true, nil
	}
	return false, nil
}

// SafeSnapshotBlockers returns the process ids of the read-write
// transactions that the READ ONLY DEFERRABLE transaction of pid waits for
// (pg_safe_snapshot_blocking_pids).
func (m *Manager) SafeSnapshotBlockers(pid uint32) []uint32 {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []uint32
	for x := range m.active {
		if x.PID != pid || !x.waiting {
			continue
		}
		for o := range x.unsafeOf {
			out = append(out, o.PID)
		}
	}
	return out
}

// Tracked reports whether x still takes SIREAD locks.
func (x *Xact) Tracked() bool {
	if x == nil {
		return false
	}
	x.m.mu.Lock()
	defer x.m.mu.Unlock()
	return !x.released
}

// Read records that x read the keys of bucket in [lo, hi) (hi nil = to the
// end; lo and hi nil = the whole bucket) and flags the conflicts with
// concurrent transactions that wrote there.
func (x *Xact) Read(bucket string, lo, hi []byte) error {
	if x == nil {
		return nil
	}
	m := x.m
	m.mu.Lock()
	defer m.mu.Unlock()
	if x.released {
		return nil
	}
	if x.roSafe {
		m.release(x)
		return nil
	}
	if x.doomed {
		return failure("Reason code: Canceled on identification as a pivot, during conflict out checking.")
	}
	sp := span{lo: string(lo), hi: string(hi), inf: hi == nil}
	x.addRead(bucket, sp)
	for w := range m.writers[bucket] {
		if w == x || w.doomed || !w.writes[bucket].overlaps(sp) {
			continue
		}
		if err := m.conflictOut(x, w); err != nil {
			return err
		}
	}
	if sw, ok := m.sum.writes[bucket]; ok && sw.commit > x.snapSeq {
		if sw.conflict != 0 && (!x.readOnly || sw.conflict <= x.snapSeq) {
			return failure("Reason code: Canceled on conflict out to old pivot.")
		}
		if sw.conflict != 0 {
			if x.summaryIn || len(x.in) > 0 {
				return failure("Reason code: Canceled on identification as a pivot, with conflict out to old committed transaction.")
			}
		}
		x.summaryOut = true
	}
	return nil
}

func (x *Xact) addRead(bucket string, sp span) {
	m := x.m
	if x.reads == nil {
		x.reads = map[string]*spanSet{}
	}
	s := x.reads[bucket]
	if s == nil {
		s = &spanSet{}
		x.reads[bucket] = s
		rs := m.readers[bucket]
		if rs == nil {
			rs = map[*Xact]struct{}{}
			m.readers[bucket] = rs
		}
		rs[x] = struct{}{}
	}
	switch {
	case s.all:
	case sp.lo == "" && sp.inf:
		s.all, s.spans = true, nil
	case len(s.spans) >= m.lim.LocksPerBucket:
		s.all, s.spans = true, nil
	default:
		if n := len(s.spans); n > 0 && s.spans[n-1] == sp {
			return
		}
		s.spans = append(s.spans, sp)
	}
}

// conflictOut is PostgreSQL's CheckForSerializableConflictOut: reader x
// met a write of w.
func (m *Manager) conflictOut(x, w *Xact) error {
	if x.readOnly && w.commitSeq != 0 && !w.summaryOut && (!w.conflictOut || x.snapSeq < w.earliestOut) {
		return nil // x appears to run first
	}
	if w.commitSeq != 0 && w.commitSeq <= x.snapSeq {
		return nil // in x's snapshot
	}
	if _, ok := x.out[w]; ok {
		return nil
	}
	return m.flag(x, w, x)
}

// Write records that x wrote key of bucket and flags the conflicts with
// concurrent transactions that read it.
func (x *Xact) Write(bucket string, key []byte) error {
	if x == nil {
		return nil
	}
	m := x.m
	m.mu.Lock()
	defer m.mu.Unlock()
	if x.released {
		return nil
	}
	if x.doomed {
		return failure("Reason code: Canceled on identification as a pivot, during conflict in checking.")
	}
	k := string(key)
	x.didWrite = true
	if x.writes == nil {
		x.writes = map[string]*keySet{}
	}
	ks := x.writes[bucket]
	if ks == nil {
		ks = &keySet{keys: map[string]struct{}{}}
		x.writes[bucket] = ks
		ws := m.writers[bucket]
		if ws == nil {
			ws = map[*Xact]struct{}{}
			m.writers[bucket] = ws
		}
		ws[x] = struct{}{}
	}
	if !ks.all {
		if len(ks.keys) >= m.lim.WritesPerBucket {
			ks.all, ks.keys = true, nil
		} else {
			ks.keys[k] = struct{}{}
		}
	}
	for r := range m.readers[bucket] {
		if r == x || r.doomed || r.released || r.roSafe || !r.reads[bucket].covers(k) {
			continue
		}
		if r.commitSeq != 0 && r.commitSeq <= x.snapSeq {
			continue // finished before x's snapshot: not concurrent
		}
		if _, ok := r.out[x]; ok {
			continue
		}
		if err := m.flag(r, x, x); err != nil {
			return err
		}
	}
	if c, ok := m.sum.reads[bucket]; ok && c > x.snapSeq {
		x.summaryIn = true
	}
	return nil
}

// flag records reader -rw-> writer after checking whether it completes a
// dangerous structure (OnConflict_CheckForSerializationFailure); me is the
// calling transaction.
func (m *Manager) flag(reader, writer, me *Xact) error {
	if err := m.onConflict(reader, writer, me); err != nil {
		return err
	}
	if reader.out == nil {
		reader.out = map[*Xact]struct{}{}
	}
	if writer.in == nil {
		writer.in = map[*Xact]struct{}{}
	}
	reader.out[writer] = struct{}{}
	writer.in[reader] = struct{}{}
	return nil
}

func (m *Manager) onConflict(reader, writer, me *Xact) error {
	fail := false
	// R -> W -> T2 with W committed and T2 committed before it.
	if writer.commitSeq != 0 && (writer.conflictOut || writer.summaryOut) {
		fail = true
	}
	// R -> W -> T2 with T2 prepared first.
	if !fail && writer.summaryOut {
		fail = true
	} else if !fail {
		for t2 := range writer.out {
			if t2.prepareSeq != 0 &&
				(reader.commitSeq == 0 || t2.prepareSeq <= reader.commitSeq) &&
				(writer.commitSeq == 0 || t2.prepareSeq <= writer.commitSeq) &&
				(!reader.readOnly || t2.prepareSeq <= reader.snapSeq) {
				fail = true
				break
			}
		}
	}
	// T0 -> R -> W with W prepared first.
	if !fail && writer.prepareSeq != 0 && !reader.readOnly {
		if reader.summaryIn {
			fail = true
		} else {
			for t0 := range reader.in {
				if !t0.doomed && (t0.commitSeq == 0 || t0.commitSeq >= writer.prepareSeq) &&
					(!t0.readOnly || t0.snapSeq >= writer.prepareSeq) {
					fail = true
					break
				}
			}
		}
	}
	if !fail {
		return nil
	}
	switch {
	case writer == me:
		return failure("Reason code: Canceled on identification as a pivot, during write.")
	case writer.prepareSeq != 0:
		return failure("Reason code: Canceled on conflict out to pivot %d, during read.", writer.ID)
	}
	writer.doomed = true
	return nil
}

// PreCommit is the last check before x commits (when it wrote):
// PostgreSQL's PreCommit_CheckForSerializationFailure. It fails when x
// was chosen as a pivot, and dooms the pivots x's commit completes.
func (x *Xact) PreCommit() error {
	if x == nil {
		return nil
	}
	m := x.m
	m.mu.Lock()
	defer m.mu.Unlock()
	if x.released {
		return nil
	}
	if x.doomed {
		return failure("Reason code: Canceled on identification as a pivot, during commit attempt.")
	}
	for near := range x.in {
		if near.commitSeq != 0 || near.doomed {
			continue
		}
		for far := range near.in {
			if far == x || (far.commitSeq == 0 && !far.readOnly && !far.doomed) {
				if near.prepareSeq != 0 {
					// the pivot is already committing: too late to doom it
					return failure("Reason code: Canceled on commit attempt with conflict in from prepared pivot.")
				}
				near.doomed = true
				break
			}
		}
	}
	m.seq++
	x.prepareSeq = m.seq
	return nil
}

// Commit records that x committed (after PreCommit and the storage
// commit) and drops what no running transaction needs any more.
func (x *Xact) Commit() {
	if x == nil {
		return
	}
	m := x.m
	m.mu.Lock()
	defer m.mu.Unlock()
	if x.released {
		return
	}
	if x.prepareSeq == 0 {
		m.seq++
		x.prepareSeq = m.seq
	}
	m.seq++
	x.commitSeq = m.seq
	if !x.didWrite {
		x.readOnly = true
	}
	for w := range x.out {
		if w.commitSeq != 0 {
			if !x.conflictOut || w.commitSeq < x.earliestOut {
				x.earliestOut = w.commitSeq
			}
			x.conflictOut = true
			delete(x.out, w)
			delete(w.in, x)
		}
	}
	for r := range x.in {
		if r.commitSeq != 0 || r.roSafe {
			delete(x.in, r)
			delete(r.out, x)
		}
	}
	if !x.declaredRO {
		for ro := range x.roOf {
			if x.didWrite && x.conflictOut && x.earliestOut <= ro.snapSeq {
				m.flagUnsafe(ro)
				continue
			}
			m.dropUnsafe(ro, x)
		}
		x.roOf = nil
	} else {
		for o := range x.unsafeOf {
			delete(o.roOf, x)
		}
		x.unsafeOf = nil
	}
	delete(m.active, x)
	m.committed = append(m.committed, x)
	m.cleanup()
}

// dropUnsafe removes rw from ro's possibly unsafe writers; ro's snapshot
// is safe when none is left.
func (m *Manager) dropUnsafe(ro, rw *Xact) {
	delete(ro.unsafeOf, rw)
	if len(ro.unsafeOf) == 0 && !ro.roSafe && !ro.roUnsafe {
		ro.roSafe = true
		close(ro.resolved)
	}
}

func (m *Manager) flagUnsafe(ro *Xact) {
	for o := range ro.unsafeOf {
		delete(o.roOf, ro)
	}
	ro.unsafeOf = nil
	if !ro.roSafe && !ro.roUnsafe {
		ro.roUnsafe = true
		close(ro.resolved)
	}
}

// Abort forgets x (it rolled back, or failed to commit).
func (x *Xact) Abort() {
	if x == nil {
		return
	}
	m := x.m
	m.mu.Lock()
	defer m.mu.Unlock()
	if x.released {
		return
	}
	m.release(x)
	m.cleanup()
}

// release drops everything of x: locks, writes, conflicts.
func (m *Manager) release(x *Xact) {
	x.released = true
	for r := range x.in {
		delete(r.out, x)
	}
	for w := range x.out {
		delete(w.in, x)
	}
	x.in, x.out = nil, nil
	for ro := range x.roOf {
		m.dropUnsafe(ro, x)
	}
	x.roOf = nil
	for o := range x.unsafeOf {
		delete(o.roOf, x)
	}
	x.unsafeOf = nil
	m.unindex(x)
	delete(m.active, x)
}

func (m *Manager) unindex(x *Xact) {
	for b := range x.reads {
		if rs := m.readers[b]; rs != nil {
			delete(rs, x)
			if len(rs) == 0 {
				delete(m.readers, b)
			}
		}
	}
	for b := range x.writes {
		if ws := m.writers[b]; ws != nil {
			delete(ws, x)
			if len(ws) == 0 {
				delete(m.writers, b)
			}
		}
	}
	x.reads, x.writes = nil, nil
}

// cleanup drops the committed transactions no running one overlaps, and
// summarises the oldest past Limits.MaxCommitted.
func (m *Manager) cleanup() {
	oldest := m.seq + 1 // smallest snapshot of a running transaction
	for x := range m.active {
		if x.snapSeq+1 < oldest {
			oldest = x.snapSeq + 1
		}
	}
	n := 0
	for _, x := range m.committed {
		if x.commitSeq >= oldest {
			break
		}
		m.release(x)
		n++
	}
	m.committed = m.committed[n:]
	if m.sum.maxSeq != 0 && m.sum.maxSeq < oldest {
		m.sum = summary{}
	}
	for len(m.committed) > m.lim.MaxCommitted {
		m.summarise(m.committed[0])
		m.committed = m.committed[1:]
	}
}

// summarise folds the committed x into the summary.
func (m *Manager) summarise(x *Xact) {
	s := &m.sum
	if s.reads == nil {
		s.reads, s.writes = map[string]uint64{}, map[string]sumWrite{}
	}
	s.maxSeq = max(s.maxSeq, x.commitSeq)
	for b := range x.reads {
		s.reads[b] = max(s.reads[b], x.commitSeq)
	}
	for b := range x.writes {
		sw := s.writes[b]
		sw.commit = max(sw.commit, x.commitSeq)
		if x.conflictOut && (sw.conflict == 0 || x.earliestOut < sw.conflict) {
			sw.conflict = x.earliestOut
		}
		s.writes[b] = sw
	}
	for r := range x.in {
		r.summaryOut = true
	}
	for w := range x.out {
		w.summaryIn = true
	}
	m.release(x)
}

// Stats reports the Manager's size, for tests and monitoring.
type Stats struct {
	Active, Committed int
	Summarised        bool
}

// Stats returns the current sizes.
func (m *Manager) Stats() Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	return Stats{Active: len(m.active), Committed: len(m.committed), Summarised: m.sum.maxSeq != 0}
}

// SetOwner records the lock owner of x's session (pg_locks'
// virtualtransaction of its SIREAD locks).
func (x *Xact) SetOwner(o uint64) {
	if x == nil {
		return
	}
	x.m.mu.Lock()
	x.owner = o
	x.m.mu.Unlock()
}

// ReadLock is one SIREAD lock as pg_locks shows it: x read the whole of
// Bucket, or its keys [Lo, Hi) (to the end when Inf).
type ReadLock struct {
	ID     uint64 // the transaction's number
	PID    uint32
	Owner  uint64 // SetOwner's
	Bucket string
	Whole  bool
	Lo, Hi string
	Inf    bool
}

// Single reports whether the lock covers exactly one key (Lo).
func (l ReadLock) Single() bool {
	return !l.Whole && !l.Inf && len(l.Hi) == len(l.Lo)+1 && l.Hi[len(l.Lo)] == 0 && l.Hi[:len(l.Lo)] == l.Lo
}

// ReadLocks lists the SIREAD locks of the running and the kept committed
// transactions (PostgreSQL keeps a committed one's while a transaction
// that overlapped it runs), by transaction then bucket then key. Those of
// summarised transactions are not listed.
func (m *Manager) ReadLocks() []ReadLock {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []ReadLock
	add := func(x *Xact) {
		if x.released {
			return
		}
		for b, s := range x.reads {
			if s.all {
				out = append(out, ReadLock{ID: x.ID, PID: x.PID, Owner: x.owner, Bucket: b, Whole: true})
				continue
			}
			for _, sp := range s.spans {
				out = append(out, ReadLock{ID: x.ID, PID: x.PID, Owner: x.owner, Bucket: b, Lo: sp.lo, Hi: sp.hi, Inf: sp.inf})
			}
		}
	}
	for x := range m.active {
		add(x)
	}
	for _, x := range m.committed {
		add(x)
	}
	slices.SortStableFunc(out, func(a, b ReadLock) int {
		return cmp.Or(cmp.Compare(a.ID, b.ID), cmp.Compare(a.Bucket, b.Bucket), cmp.Compare(a.Lo, b.Lo))
	})
	return out
}
