package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/replication"
	"github.com/heliosdb/nano/sql/exec"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/storage"
	"github.com/heliosdb/nano/wal"
)

// WAL record types written by the node.
const (
	recCommit uint8 = 1 // Data: storage.Batch encoding
)

// maxGroup bounds how many commits share one fsync.
const maxGroup = 256

type commitReq struct {
	batch   *storage.Batch
	readLSN lsn.LSN
	locked  bool // CommitLocked
	done    chan commitResult
	// state is reqQueued until the writer takes the request to write it
	// (reqTaken) or its session withdraws it (reqWithdrawn: cancelled or
	// timed out before anything of it was written). Whichever CAS wins
	// decides; a withdrawn request is never written.
	state atomic.Uint32
}

const (
	reqQueued uint32 = iota
	reqTaken
	reqWithdrawn
)

// take is the writer's claim before it writes r to the WAL: false when
// the session withdrew it.
func (r *commitReq) take() bool { return r.state.CompareAndSwap(reqQueued, reqTaken) }

// withdraw is the session's claim when its statement is cancelled: true
// when r will never be written.
func (r *commitReq) withdraw() bool { return r.state.CompareAndSwap(reqQueued, reqWithdrawn) }

type commitResult struct {
	end lsn.LSN
	err error
}

// committer is the single writer: every commit goes through it. It runs as
// a pipeline of two goroutines, so that one group's WAL write overlaps the
// previous group's wait for a sync standby:
//
// The writer stage (loop), per group:
//  1. conflict check against commits after each request's snapshot — the
//     tracker records every appended commit, visible or not;
//  2. wal.Append of every accepted request (buffered);
//  3. wal.Sync — from here the group is durable locally;
//  4. hand the group to the publish stage, take the next one.
//
// The publish stage (publishLoop), in WAL order, for the groups queued:
//  5. wait until synchronous replication releases the WAL up to the last
//     group's end (durable: a sync standby flushed it, or a degradation
//     the node's standing allows; at once in async mode);
//  6. storage.Apply(end) — makes them visible, atomically with the applied
//     LSN;
//  7. answer the sessions, which only then release their row locks.
//
// Without synchronous replication (release nil) step 5 is empty, and the
// writer runs steps 6–7 itself when the publish stage is idle (nothing
// handed over is unfinished: publishNow), saving a goroutine hand-off per
// group — the order is the same, and a group storage cannot apply (disk
// full) goes to the publish stage, which retries it as below. There, too,
// a commit that finds the writer stage idle runs it on its own goroutine
// (commitDirect), for itself and whatever queued meanwhile, instead of
// handing its request to the writer goroutine and waiting to be woken;
// one that finds the stage busy queues, and the writer goroutine takes
// the queue as one group when the stage frees (writeMu serializes the
// two).
//
// So in sync mode nothing is visible that a sync standby does not have
// (docs/faults.md): no snapshot reaches past the applied LSN, and a reader
// cannot see a commit a failover would lose. A writer that needs a row an
// in-flight commit holds waits for its lock until the commit is visible;
// a conflict found in step 1 is answered only after the groups before it
// are published, so a retry reads the write it lost against.
//
// Before step 1, prepare recovers a WAL that failed earlier and reserves
// storage room for the group (diskfault.go); when it cannot, the group is
// refused with 53100 and nothing is written. A failure in step 2 or 3
// (disk full, I/O error) fails the group — none of it is durable, and the
// WAL discards it (wal.Log.Recover) before the next group. A no-space
// failure in step 6 leaves the commits durable but invisible: Apply is
// retried until it succeeds (the sessions wait, new commits are refused);
// any other failure there stops the committer and the node must restart,
// replaying them.
//
// When step 5 fails (the node stepped down or was fenced, or its failover
// lease lapsed) the sessions get the error at once, but the groups stay
// invisible and held (held.go) until the held WAL is released by the
// same rule, or applied by a standby's receiver after a demotion; new
// groups are written and wait behind them, except a request from a
// snapshot without them that writes what they wrote (40001). When the replication server closes (shutdown), the
// groups stay durable and invisible; a restart replays them (and, in sync
// mode, serves no SQL until they are released: gate.go).
type committer struct {
	wal     *wal.Log
	db      *storage.DB
	log     *slog.Logger
	now     func() time.Time
	term    func() uint64
	metrics *nodeMetrics
	tracker *conflictTracker
	// readOnly refuses commits on a standby (25006) — the session refuses
	// writes earlier; this is the last line.
	readOnly func() (bool, string)
	// release is step 5: it returns nil once synchronous replication
	// releases the WAL up to end, the replication error (ErrClosed,
	// ErrSteppedDown, ErrLeaseLapsed) when it refuses, or ctx's error when
	// ctx ends first. Nil = released at once.
	release func(ctx context.Context, end lsn.LSN) error

	// flight counts the Commit calls in progress; drain waits for it to
	// reach zero (demotion).
	flight inflight

	reqs chan *commitReq
	// writeMu is held by whoever runs the writer stage: the writer
	// goroutine, or a session committing directly (commitDirect). Every
	// group, probe and writer-stage state change happens under it.
	writeMu sync.Mutex
	// writeStopped (writeMu) is set by close: no direct commit after it.
	writeStopped bool
	// kick wakes the writer goroutine after a direct commit left a disk
	// fault, so that it arms its probe.
	kick chan struct{}
	// encBuf is the writer stage's scratch buffer for a batch's encoding
	// (wal.Append copies it); kept up to maxEncBuf.
	encBuf []byte
	pub    chan *pubItem // writer → publish stage, in WAL order
	// handed counts the groups handed to the publish stage and not yet
	// finished by it; only the writer stage adds to it, so when the writer
	// reads 0 the publish stage is idle until the writer hands it another
	// group.
	handed  atomic.Int64
	stop    chan struct{}
	stopCtx context.Context // ends with stop
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	mu     sync.Mutex
	failed error // permanent: the node must restart
	fault  error // transient (disk full): cleared by the next successful write
	// refuse, when set, refuses every new group before it is written: the
	// publish stage cannot apply (disk full).
	refuse error
	// held records the writes of groups whose release failed (held.go):
	// a request from a snapshot before them that writes what they wrote
	// fails with 40001. Nil until a release fails.
	held *conflictTracker
	// closed: the publish stage stopped applying (shutdown): what is
	// queued stays durable and invisible until the next start.
	closed bool
	// holding is closed when the hold in progress ends (held.go); nil
	// while none is. While it lasts the writer writes nothing new.
	holding chan struct{}
}

// pubItem is one group on its way through the publish stage.
type pubItem struct {
	accepted []*commitReq
	ends     []lsn.LSN
	batches  []*storage.Batch
	// conflicted lost a conflict check against a commit that may not be
	// visible yet: answered 40001 when this item is published.
	conflicted []*commitReq
	start      time.Time
	// A group of one (the common case below full load) uses these as the
	// slices' arrays: one allocation instead of four.
	accepted1 [1]*commitReq
	ends1     [1]lsn.LSN
	batches1  [1]*storage.Batch
}

// end is the WAL end of the item's commits (0 when it has none).
func (it *pubItem) end() lsn.LSN {
	if len(it.ends) == 0 {
		return 0
	}
	return it.ends[len(it.ends)-1]
}

// pubQueue bounds the groups between the two stages.
const pubQueue = 64

// maxEncBuf: a larger encoding buffer is not kept for the next commit.
const maxEncBuf = 1 << 20

func newCommitter(w *wal.Log, db *storage.DB, log *slog.Logger, now func() time.Time, term func() uint64, m *nodeMetrics) *committer {
	c := &committer{
		wal: w, db: db, log: log, now: now, term: term, metrics: m,
		tracker: newConflictTracker(0, exec.LockProtected, exec.CatalogLocked),
		reqs:    make(chan *commitReq, maxGroup),
		kick:    make(chan struct{}, 1),
		pub:     make(chan *pubItem, pubQueue),
		stop:    make(chan struct{}),
	}
	c.stopCtx, c.cancel = context.WithCancel(context.Background())
	c.wg.Add(2)
	go c.loop()
	go c.publishLoop()
	return c
}

var errShuttingDown = pgerror.New(pgerror.AdminShutdown, "terminating connection due to administrator command")

// Commit implements exec.Committer. It returns once the commit is visible
// (or failed): the session releases its row locks after it.
func (c *committer) Commit(ctx context.Context, b *storage.Batch, readLSN lsn.LSN) (lsn.LSN, error) {
	return c.commit(ctx, b, readLSN, false)
}

// CommitLocked implements exec.LockedCommitter: the table, index and
// catalog writes of b are not checked for conflicts.
func (c *committer) CommitLocked(ctx context.Context, b *storage.Batch, readLSN lsn.LSN) (lsn.LSN, error) {
	return c.commit(ctx, b, readLSN, true)
}

func (c *committer) commit(ctx context.Context, b *storage.Batch, readLSN lsn.LSN, locked bool) (lsn.LSN, error) {
	c.flight.enter()
	defer c.flight.exit()
	if err := c.err(); err != nil {
		return 0, err
	}
	if c.readOnly != nil {
		if ro, hint := c.readOnly(); ro {
			return 0, pgerror.New(pgerror.ReadOnlySQLTransaction, "cannot execute a write on a standby").WithHint("%s", hint)
		}
	}
	r := &commitReq{batch: b, readLSN: readLSN, locked: locked, done: make(chan commitResult, 1)}
	if c.commitDirect(r) {
		res := <-r.done // answered by the writer stage, or by the publish stage it handed r to
		return res.end, res.err
	}
	select {
	case c.reqs <- r:
	case <-c.stop:
		return 0, errShuttingDown
	case <-ctx.Done():
		return 0, errCommitCanceled
	}
	var withdrawn error
	select {
	case res := <-r.done:
		return res.end, res.err
	case <-ctx.Done():
		withdrawn = errCommitCanceled
	case <-c.stop:
		// The writer may have stopped before taking r (the queue is
		// buffered and no longer read): nobody would answer it.
		withdrawn = errShuttingDown
	}
	// Cancelled (a cancel request, statement_timeout): the commit did not
	// happen if the writer has not taken it yet — it may wait there behind
	// held groups (held.go) for a long time. Once taken it may become
	// durable at any moment, so we wait for the outcome: answering
	// "cancelled" for a commit that happened would be a lie.
	if r.withdraw() {
		return 0, withdrawn
	}
	res := <-r.done
	return res.end, res.err
}

// commitDirect runs the writer stage on the session's own goroutine, for
// r and every request queued behind it, when nothing else is writing:
// without synchronous replication and with no disk fault, when the queue
// is empty and the writer stage free. It saves the two goroutine hand-offs
// (session → writer → session) a lone commit otherwise pays; a commit that
// finds the writer stage busy queues for the writer goroutine, which takes
// everything queued as one group when the stage frees. It reports false,
// having done nothing, when r must go through the queue.
func (c *committer) commitDirect(r *commitReq) bool {
	if c.release != nil || len(c.reqs) > 0 || c.faultErr() != nil || !c.writeMu.TryLock() {
		return false
	}
	defer c.writeMu.Unlock()
	if c.writeStopped {
		r.done <- commitResult{err: errShuttingDown}
		return true
	}
	group := append(make([]*commitReq, 0, 1), r)
	c.process(c.drainReqs(group))
	if c.faultErr() != nil {
		select {
		case c.kick <- struct{}{}:
		default:
		}
	}
	return true
}

// drainReqs appends the queued requests to group, up to maxGroup.
func (c *committer) drainReqs(group []*commitReq) []*commitReq {
	for len(group) < maxGroup {
		select {
		case r := <-c.reqs:
			group = append(group, r)
		default:
			return group
		}
	}
	return group
}

// errCommitCanceled answers a commit withdrawn before it was written; the
// session turns it into the statement's own cancellation error (user
// request or statement_timeout).
var errCommitCanceled = pgerror.New(pgerror.QueryCanceled, "canceling statement due to user request")

func (c *committer) err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.failed
}

func (c *committer) fail(err error) {
	c.mu.Lock()
	if c.failed == nil {
		c.failed = pgerror.Wrapf(err, pgerror.IOError, "commit path failed; the node must be restarted")
	}
	c.mu.Unlock()
}

// refusal is the error every new group gets now, nil when groups may be
// written.
func (c *committer) refusal() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failed != nil {
		return c.failed
	}
	return c.refuse
}

func (c *committer) setRefuse(err error) {
	c.mu.Lock()
	c.refuse = err
	c.mu.Unlock()
}

func (c *committer) loop() {
	defer c.wg.Done()
	group := make([]*commitReq, 0, maxGroup)
	var probe <-chan time.Time // armed while a disk fault lasts (diskfault.go)
	for {
		if probe == nil && c.faultErr() != nil {
			probe = time.After(faultProbeInterval)
		}
		select {
		case <-probe:
			probe = nil
			c.writeMu.Lock()
			c.probe()
			c.writeMu.Unlock()
		case <-c.kick: // a direct commit left a fault: arm the probe
		case r := <-c.reqs:
			c.writeMu.Lock()
			c.process(c.drainReqs(append(group[:0], r)))
			c.writeMu.Unlock()
		case <-c.stop:
			for {
				select {
				case r := <-c.reqs:
					r.done <- commitResult{err: errShuttingDown}
				default:
					return
				}
			}
		}
	}
}

// process runs the writer stage for one group.
func (c *committer) process(group []*commitReq) {
	if refuse := c.refusal(); refuse != nil {
		answer(group, refuse)
		return
	}
	if group = c.waitHeld(group); len(group) == 0 {
		return
	}
	if err := c.prepare(group); err != nil {
		answer(group, err)
		return
	}
	start := c.now()
	it := c.appendGroup(group)
	if it == nil {
		return
	}
	it.start = start
	if len(it.accepted) > 0 {
		if _, err := c.wal.Sync(); err != nil {
			answer(it.conflicted, errSerialization)
			c.walFailed(it.accepted, err)
			return
		}
	}
	if c.release == nil && c.handed.Load() == 0 && c.publishNow(it) {
		return
	}
	c.handed.Add(1)
	select {
	case c.pub <- it:
	case <-c.stop:
		c.handed.Add(-1)
		// Durable: replayed at the next start.
		answer(it.accepted, errShuttingDown)
		answer(it.conflicted, errSerialization)
	}
}

// publishNow runs steps 6–7 for it on the writer goroutine; the caller
// checked that no sync standby must release it and that every group
// before it is published. It reports false, having done nothing, when
// storage is out of space or the publish stage has stopped applying: the
// publish stage then handles the group (applyDurable retries the apply,
// refusing new groups meanwhile).
func (c *committer) publishNow(it *pubItem) bool {
	if end := it.end(); end != 0 {
		c.mu.Lock()
		closed := c.closed
		c.mu.Unlock()
		if closed {
			return false
		}
		if err := c.db.Apply(end, it.batches...); err != nil {
			if wal.IsNoSpace(err) {
				return false
			}
			c.fail(fmt.Errorf("storage apply after durable commit: %w", err))
			c.log.Error("commit path failed", "err", err)
			c.answerItems([]*pubItem{it}, c.err())
			return true
		}
		c.setFault(nil)
	}
	c.answerPublished([]*pubItem{it})
	return true
}

// publishLoop is the publish stage: it takes the queued groups in order,
// waits for their release, applies and answers them.
func (c *committer) publishLoop() {
	defer c.wg.Done()
	items := make([]*pubItem, 0, pubQueue)
	for {
		select {
		case it := <-c.pub:
			items = append(items[:0], it)
		more:
			for len(items) < pubQueue {
				select {
				case it := <-c.pub:
					items = append(items, it)
				default:
					break more
				}
			}
			c.publish(items)
			c.handed.Add(-int64(len(items)))
		case <-c.stop:
			for {
				select {
				case it := <-c.pub:
					answer(it.accepted, errShuttingDown)
					answer(it.conflicted, errSerialization)
				default:
					return
				}
			}
		}
	}
}

// publish runs steps 5–7 for items, consecutive in WAL order.
func (c *committer) publish(items []*pubItem) {
	var end lsn.LSN
	var batches []*storage.Batch
	for _, it := range items {
		end = max(end, it.end())
		batches = append(batches, it.batches...)
	}
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	switch {
	case end == 0: // only conflicts
	case closed:
		c.answerItems(items, errShuttingDown)
		return
	default:
		if err := c.waitRelease(end); err != nil {
			if c.stopping(err) {
				c.answerItems(items, syncWaitError(err))
				return
			}
			// Not released: held invisible until it is (held.go).
			c.hold(items, end, batches, err)
			return
		}
		if err := c.applyDurable(end, batches); err != nil {
			if errors.Is(err, errShuttingDown) {
				c.answerItems(items, err) // durable: replayed at the next start
				return
			}
			c.fail(fmt.Errorf("storage apply after durable commit: %w", err))
			c.log.Error("commit path failed", "err", err)
			c.answerItems(items, c.err())
			return
		}
		c.setFault(nil)
	}
	c.answerPublished(items)
}

// answerPublished is step 7 for items, applied (or holding only
// conflicts).
func (c *committer) answerPublished(items []*pubItem) {
	now := c.now()
	for _, it := range items {
		if len(it.accepted) > 0 {
			c.metrics.observeGroup(len(it.accepted), now.Sub(it.start))
		}
		for i, r := range it.accepted {
			r.done <- commitResult{end: it.ends[i]}
		}
		answer(it.conflicted, errSerialization)
	}
}

// waitRelease is step 5 for the WAL up to end.
func (c *committer) waitRelease(end lsn.LSN) error {
	if c.release == nil {
		return nil
	}
	return c.release(c.stopCtx, end)
}

// stopping reports whether a failed release means the publish stage must
// stop applying: the committer or the replication server is closing. It
// records that.
func (c *committer) stopping(err error) bool {
	if !errors.Is(err, replication.ErrClosed) && c.stopCtx.Err() == nil {
		return false
	}
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	return true
}

func (c *committer) answerItems(items []*pubItem, err error) {
	for _, it := range items {
		answer(it.accepted, err)
		answer(it.conflicted, errSerialization)
	}
}

func answer(reqs []*commitReq, err error) {
	for _, r := range reqs {
		r.done <- commitResult{err: err}
	}
}

// appendGroup runs steps 1 and 2 for every request; requests refused
// before anything is written are answered at once, those that lost a
// conflict check when the item is published. It returns nil when the WAL
// failed (every request answered).
func (c *committer) appendGroup(group []*commitReq) *pubItem {
	it := &pubItem{}
	if len(group) == 1 {
		it.accepted, it.ends, it.batches = it.accepted1[:0], it.ends1[:0], it.batches1[:0]
	} else {
		it.accepted = make([]*commitReq, 0, len(group))
		it.ends = make([]lsn.LSN, 0, len(group))
		it.batches = make([]*storage.Batch, 0, len(group))
	}
	term, ts := c.term(), c.now().UnixMicro()
	c.mu.Lock()
	held := c.held
	c.mu.Unlock()
	for i, r := range group {
		if !r.take() {
			continue // withdrawn by its session: never written
		}
		// A batch that storage would refuse must never reach the WAL, or
		// replay could not get past it.
		if err := r.batch.Validate(); err != nil {
			r.done <- commitResult{err: pgerror.Wrapf(err, pgerror.ProgramLimitExceeded, "cannot commit")}
			continue
		}
		if held != nil && c.heldConflict(held, r) {
			c.metrics.conflicts.Inc()
			r.done <- commitResult{err: errSerialization}
			continue
		}
		if c.tracker.conflicts(r.batch, r.readLSN, r.locked) {
			c.metrics.conflicts.Inc()
			it.conflicted = append(it.conflicted, r)
			continue
		}
		c.encBuf = r.batch.Encode(c.encBuf[:0])
		rec := wal.Record{Term: term, Timestamp: ts, Type: recCommit, Data: c.encBuf}
		_, end, err := c.wal.Append(rec)
		if cap(c.encBuf) > maxEncBuf {
			c.encBuf = nil
		}
		if errors.Is(err, wal.ErrTooLarge) {
			r.done <- commitResult{err: pgerror.Wrapf(err, pgerror.ProgramLimitExceeded, "cannot commit")}
			continue
		}
		if err != nil {
			// Nothing of this group is durable: fail the accepted requests
			// and every one not yet answered.
			answer(it.conflicted, errSerialization)
			c.walFailed(append(it.accepted, group[i:]...), err)
			return nil
		}
		c.tracker.record(r.batch, end)
		it.accepted = append(it.accepted, r)
		it.ends = append(it.ends, end)
		it.batches = append(it.batches, r.batch)
	}
	return it
}

var errSerialization = pgerror.New(pgerror.SerializationFailure,
	"could not serialize access due to concurrent update")

// drain waits until every Commit in progress has returned, or ctx ends.
// Callers first make new commits fail (read-only). It reports whether all
// finished.
func (c *committer) drain(ctx context.Context) bool {
	select {
	case <-c.flight.idle():
		return true
	case <-ctx.Done():
		return false
	}
}

// inflight counts calls in progress and lets a caller wait, without
// polling, for a moment when there are none.
type inflight struct {
	mu    sync.Mutex
	n     int
	empty chan struct{} // closed while n == 0; nil = not made yet (n == 0)
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func (f *inflight) enter() {
	f.mu.Lock()
	if f.n == 0 {
		f.empty = make(chan struct{})
	}
	f.n++
	f.mu.Unlock()
}

func (f *inflight) exit() {
	f.mu.Lock()
	f.n--
	if f.n == 0 {
		close(f.empty)
	}
	f.mu.Unlock()
}

// idle is closed once no call is in progress (at once if none is now).
func (f *inflight) idle() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n == 0 {
		return closedChan
	}
	return f.empty
}

// close stops both stages; queued commits get 57P01 (those already in
// the WAL stay there and are replayed at the next start).
func (c *committer) close() {
	select {
	case <-c.stop:
	default:
		close(c.stop)
		c.cancel()
	}
	// A direct commit in progress finishes its group; later ones see
	// writeStopped.
	c.writeMu.Lock()
	c.writeStopped = true
	c.writeMu.Unlock()
	c.wg.Wait()
}
