package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/heliosdb/nano/lsn"
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
	done    chan commitResult
}

type commitResult struct {
	end lsn.LSN
	err error
}

// committer is the single writer: every commit goes through its goroutine,
// which checks write-write conflicts, appends to the WAL, fsyncs once per
// group (group commit), applies the group to storage in one bbolt
// transaction and only then answers the waiting sessions. Readers never
// wait for it: they read bbolt snapshots.
//
// Order of a group, the durability checklist:
//  1. conflict check against commits after each request's snapshot;
//  2. wal.Append of every accepted request (buffered);
//  3. wal.Sync — from here the group is committed;
//  4. storage.Apply(end) — makes it visible, atomically with the applied LSN;
//  5. answer the sessions.
//
// Before step 1, prepare recovers a WAL that failed earlier and reserves
// storage room for the group (diskfault.go); when it cannot, the group is
// refused with 53100 and nothing is written. A failure in step 2 or 3
// (disk full, I/O error) fails the group — none of it is durable, and the
// WAL discards it (wal.Log.Recover) before the next group. A no-space
// failure in step 4 leaves the commits durable but invisible: Apply is
// retried until it succeeds (the sessions wait); any other failure there
// stops the committer and the node must restart, replaying them.
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
	// durable holds a committed request until synchronous replication
	// allows the acknowledgement; nil = no wait.
	durable func(ctx context.Context, end lsn.LSN) error

	// flight counts the Commit calls in progress; drain waits for it to
	// reach zero (demotion).
	flight inflight

	reqs chan *commitReq
	stop chan struct{}
	wg   sync.WaitGroup

	mu     sync.Mutex
	failed error // permanent: the node must restart
	fault  error // transient (disk full): cleared by the next successful write
}

func newCommitter(w *wal.Log, db *storage.DB, log *slog.Logger, now func() time.Time, term func() uint64, m *nodeMetrics) *committer {
	c := &committer{
		wal: w, db: db, log: log, now: now, term: term, metrics: m,
		tracker: newConflictTracker(0, exec.LockProtected),
		reqs:    make(chan *commitReq, maxGroup),
		stop:    make(chan struct{}),
	}
	c.wg.Add(1)
	go c.loop()
	return c
}

var errShuttingDown = pgerror.New(pgerror.AdminShutdown, "terminating connection due to administrator command")

// Commit implements exec.Committer.
func (c *committer) Commit(ctx context.Context, b *storage.Batch, readLSN lsn.LSN) (lsn.LSN, error) {
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
	r := &commitReq{batch: b, readLSN: readLSN, done: make(chan commitResult, 1)}
	select {
	case c.reqs <- r:
	case <-c.stop:
		return 0, errShuttingDown
	case <-ctx.Done():
		return 0, pgerror.New(pgerror.QueryCanceled, "canceling statement due to user request")
	}
	// Once queued the commit may become durable at any moment, so we wait
	// for the outcome even if ctx is cancelled: answering "cancelled" for a
	// commit that happened would be a lie.
	res := <-r.done
	if res.err == nil && c.durable != nil {
		if err := c.durable(ctx, res.end); err != nil {
			return 0, err
		}
	}
	return res.end, res.err
}

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
			c.probe()
		case r := <-c.reqs:
			group = append(group[:0], r)
		drain:
			for len(group) < maxGroup {
				select {
				case r := <-c.reqs:
					group = append(group, r)
				default:
					break drain
				}
			}
			c.process(group)
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

func (c *committer) process(group []*commitReq) {
	if err := c.err(); err != nil {
		for _, r := range group {
			r.done <- commitResult{err: err}
		}
		return
	}
	if err := c.prepare(group); err != nil {
		for _, r := range group {
			r.done <- commitResult{err: err}
		}
		return
	}
	start := c.now()
	accepted, ends, batches := c.appendGroup(group)
	if len(accepted) == 0 {
		return
	}
	if _, err := c.wal.Sync(); err != nil {
		c.walFailed(accepted, err)
		return
	}
	if err := c.applyDurable(ends[len(ends)-1], batches); err != nil {
		if errors.Is(err, errShuttingDown) {
			answer(accepted, err) // durable: replayed at the next start
			return
		}
		c.failGroup(accepted, fmt.Errorf("storage apply after durable commit: %w", err))
		return
	}
	c.setFault(nil)
	c.metrics.observeGroup(len(accepted), c.now().Sub(start))
	for i, r := range accepted {
		r.done <- commitResult{end: ends[i]}
	}
}

func answer(reqs []*commitReq, err error) {
	for _, r := range reqs {
		r.done <- commitResult{err: err}
	}
}

// appendGroup runs steps 1 and 2 for every request; rejected requests are
// answered at once.
func (c *committer) appendGroup(group []*commitReq) (accepted []*commitReq, ends []lsn.LSN, batches []*storage.Batch) {
	term, ts := c.term(), c.now().UnixMicro()
	for i, r := range group {
		// A batch that storage would refuse must never reach the WAL, or
		// replay could not get past it.
		if err := r.batch.Validate(); err != nil {
			r.done <- commitResult{err: pgerror.Wrapf(err, pgerror.ProgramLimitExceeded, "cannot commit")}
			continue
		}
		if c.tracker.conflicts(r.batch, r.readLSN) {
			c.metrics.conflicts.Inc()
			r.done <- commitResult{err: errSerialization}
			continue
		}
		rec := wal.Record{Term: term, Timestamp: ts, Type: recCommit, Data: r.batch.Encode(nil)}
		_, end, err := c.wal.Append(rec)
		if errors.Is(err, wal.ErrTooLarge) {
			r.done <- commitResult{err: pgerror.Wrapf(err, pgerror.ProgramLimitExceeded, "cannot commit")}
			continue
		}
		if err != nil {
			// Nothing of this group is durable: fail the accepted requests
			// and every one not yet answered.
			c.walFailed(append(accepted, group[i:]...), err)
			return nil, nil, nil
		}
		c.tracker.record(r.batch, end)
		accepted = append(accepted, r)
		ends = append(ends, end)
		batches = append(batches, r.batch)
	}
	return accepted, ends, batches
}

var errSerialization = pgerror.New(pgerror.SerializationFailure,
	"could not serialize access due to concurrent update")

func (c *committer) failGroup(group []*commitReq, err error) {
	c.log.Error("commit path failed", "err", err)
	c.fail(err)
	e := c.err()
	for _, r := range group {
		r.done <- commitResult{err: e}
	}
}

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

// close stops the loop; queued commits get 57P01.
func (c *committer) close() {
	select {
	case <-c.stop:
	default:
		close(c.stop)
	}
	c.wg.Wait()
}
