package replication

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	gbackoff "google.golang.org/grpc/backoff"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/status"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/proto/replicationpb"
	"github.com/heliosdb/nano/wal"
)

// Target is the standby side's view of its node.
type Target interface {
	Identity() Identity
	// Apply makes records, already durable in the WAL, visible. They are
	// contiguous and follow what was applied before.
	Apply(recs []wal.Record) error
	AppliedLSN() lsn.LSN
	// AdoptHistory records the primary's term history, of which the
	// node's own is a prefix (the primary checked): the records that
	// follow may belong to the primary's newer terms.
	AdoptHistory(h History) error
	// InstallBaseBackup replaces the node's content with the verified
	// backup in r (storage and WAL, restarting the WAL at the backup's
	// LSN) and returns that LSN.
	InstallBaseBackup(r io.Reader) (lsn.LSN, error)
}

// StandbyConfig configures a Standby.
type StandbyConfig struct {
	PrimaryAddr string // host:port of the primary's native port
	Secret      string
	NodeID      string
	TLS         *TLS   // when set, the primary must verify (tls.go)
	Sync        bool   // acknowledge as a sync standby
	Address     string // host:pg_port this node serves reads on (for topology)
	// NativeAddress is host:native_port of this node's own Replication
	// service: a primary records it to ask this node's term after a
	// restart.
	NativeAddress string
	WAL           *wal.Log
	Target        Target
	// TempDir holds a base backup while it downloads (the data dir).
	TempDir string

	MinBackoff, MaxBackoff time.Duration // reconnect backoff; default 100ms..1s
	// AppliedAckDelay bounds how long the primary may go without learning
	// an applied LSN when no flush acknowledgement carries it (an apply
	// sends no message of its own; see streamSession); default 20ms.
	AppliedAckDelay time.Duration

	Logger     *slog.Logger
	Registerer prometheus.Registerer
	Now        func() time.Time
}

// Standby streams the WAL from a primary into the local node.
type Standby struct {
	cfg     StandbyConfig
	log     *slog.Logger
	metrics *standbyMetrics

	mu     sync.Mutex
	status StandbyStatus
	clock  lagClock
	// released is the primary's released LSN (its last message): the
	// local WAL is applied up to min(flushed, released), never further.
	// It belongs to the primary it came from: SetPrimary forgets it.
	released lsn.LSN
}

// StandbyStatus is the receiving side's state (helios_replication_status).
type StandbyStatus struct {
	PrimaryAddr   string
	PrimaryNodeID string
	Connected     bool
	PrimaryLSN    lsn.LSN // the primary's flushed LSN at the last heartbeat
	ReceivedLSN   lsn.LSN
	FlushedLSN    lsn.LSN
	AppliedLSN    lsn.LSN
	LagBytes      int64
	Lag           time.Duration
	LastError     string
	LastContact   time.Time
	// DiskFull is the error of the last write of the local WAL or storage
	// when it failed for lack of space; "" once a later one worked.
	DiskFull string
}

// NewStandby returns a Standby; start it with Run.
func NewStandby(cfg StandbyConfig) *Standby {
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 100 * time.Millisecond
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = time.Second // a returning primary is found within a second
	}
	if cfg.AppliedAckDelay <= 0 {
		cfg.AppliedAckDelay = defaultAppliedAckDelay
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Standby{cfg: cfg, log: cfg.Logger}
	s.status.PrimaryAddr = cfg.PrimaryAddr
	s.metrics = newStandbyMetrics(cfg.Registerer, s)
	return s
}

// Status returns the current state.
func (s *Standby) Status() StandbyStatus {
	flushed, applied := s.cfg.WAL.FlushedLSN(), s.cfg.Target.AppliedLSN()
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.status
	st.FlushedLSN, st.AppliedLSN = flushed, applied
	st.ReceivedLSN = max(st.ReceivedLSN, flushed)
	if st.PrimaryLSN > applied {
		st.LagBytes = int64(st.PrimaryLSN.Sub(applied))
		st.Lag = s.clock.lag(applied, s.cfg.Now())
	}
	return st
}

// SetPrimary points the standby at another primary; it takes effect at
// the next Run.
func (s *Standby) SetPrimary(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.PrimaryAddr = addr
	s.status = StandbyStatus{PrimaryAddr: addr}
	s.clock = lagClock{}
	s.released = 0
}

// releasedLSN is the released LSN of the primary followed.
func (s *Standby) releasedLSN() lsn.LSN {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.released
}

// setReleased records the primary's released LSN (it never goes back).
func (s *Standby) setReleased(at lsn.LSN) {
	s.mu.Lock()
	s.released = max(s.released, at)
	s.mu.Unlock()
}

// errRebase asks Run to take a base backup.
type errRebase struct{ reason string }

func (e *errRebase) Error() string { return "primary asks for a base backup: " + e.reason }

// Run follows the primary until ctx ends: stream, and on any failure log,
// back off and reconnect; take a base backup when the primary says so.
func (s *Standby) Run(ctx context.Context) error {
	s.mu.Lock()
	addr := s.cfg.PrimaryAddr
	s.mu.Unlock()
	log := s.cfg.Logger.With("primary", addr)
	s.log = log
	conn, err := grpc.NewClient(addr,
		DialOption(s.cfg.Secret, s.cfg.NodeID, s.cfg.TLS),
		grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: 10 * time.Second, Timeout: 5 * time.Second, PermitWithoutStream: true}),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20)),
		grpc.WithInitialWindowSize(flowWindow), grpc.WithInitialConnWindowSize(flowWindow),
		// gRPC's own reconnect backoff grows to 120 s; a standby must find
		// a returning primary within our documented MaxBackoff.
		grpc.WithConnectParams(grpc.ConnectParams{MinConnectTimeout: 5 * time.Second, Backoff: gbackoff.Config{
			BaseDelay: s.cfg.MinBackoff, Multiplier: 1.6, Jitter: 0.2, MaxDelay: s.cfg.MaxBackoff}}),
	)
	if err != nil {
		return fmt.Errorf("replication: primary address %q: %w", addr, err)
	}
	defer conn.Close()
	client := replicationpb.NewReplicationClient(conn)
	backoff, lastLogged := s.cfg.MinBackoff, ""
	for ctx.Err() == nil {
		err := s.session(ctx, client)
		s.setConnected(false)
		if ctx.Err() != nil {
			break
		}
		var rb *errRebase
		if errors.As(err, &rb) {
			s.log.Info("replication: taking a base backup", "reason", rb.reason)
			if err = s.rebase(ctx, client); err == nil {
				backoff = s.cfg.MinBackoff
				continue
			}
		}
		if connected(err) {
			backoff = s.cfg.MinBackoff
		}
		msg := errorText(err)
		s.setError(msg)
		if wal.IsNoSpace(err) {
			s.setDiskFull(msg)
		}
		if msg != lastLogged { // one line per distinct failure, not per retry
			s.log.Warn("replication: cannot stream from primary; retrying", "err", msg, "retry_in", backoff.String())
			lastLogged = msg
		}
		// A deliberate backoff: nothing signals that the primary is back;
		// ctx (the node stops following, or re-points) ends it at once.
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, s.cfg.MaxBackoff)
	}
	return nil
}

// errStreamed marks a session that streamed before it failed, so the next
// attempt starts without backoff.
type errStreamed struct{ err error }

func (e *errStreamed) Error() string { return e.err.Error() }
func (e *errStreamed) Unwrap() error { return e.err }

func connected(err error) bool {
	var e *errStreamed
	return errors.As(err, &e)
}

func errorText(err error) string {
	var se interface{ GRPCStatus() *status.Status }
	if errors.As(err, &se) {
		return se.GRPCStatus().Message() // without gRPC's "rpc error: code = …" prefix
	}
	return err.Error()
}

func (s *Standby) setConnected(c bool) {
	s.mu.Lock()
	s.status.Connected = c
	if c {
		s.status.LastError = ""
	}
	s.mu.Unlock()
}

func (s *Standby) setDiskFull(msg string) {
	s.mu.Lock()
	s.status.DiskFull = msg
	s.mu.Unlock()
}

func (s *Standby) setError(msg string) {
	s.mu.Lock()
	s.status.LastError = msg
	s.mu.Unlock()
}

// session runs one Stream call.
func (s *Standby) session(ctx context.Context, client replicationpb.ReplicationClient) error {
	// A write or fsync of the local WAL failed in an earlier session (disk
	// full): what it held beyond FlushedLSN was never acknowledged (acks
	// carry FlushedLSN only) and is dropped; the primary resends it.
	if err := s.cfg.WAL.Recover(); err != nil {
		return fmt.Errorf("replication: recover the local WAL: %w", err)
	}
	// Only what the primary released before (an earlier Apply failed):
	// a tail it never released stays invisible through the handshake,
	// which may find it diverged from the primary's history (a demoted
	// primary's unconfirmed commits).
	if err := s.applyLocal(s.releasedLSN()); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := client.Stream(ctx)
	if err != nil {
		return err
	}
	id := s.cfg.Target.Identity()
	flushed := s.cfg.WAL.FlushedLSN()
	if err := stream.Send(&replicationpb.StandbyMessage{Msg: &replicationpb.StandbyMessage_Hello{Hello: &replicationpb.Hello{
		NodeId: s.cfg.NodeID, ClusterId: id.ClusterID, Sync: s.cfg.Sync, History: historyToPB(id.History),
		FlushedLsn: uint64(flushed), Address: s.cfg.Address, NativeAddress: s.cfg.NativeAddress}}}); err != nil {
		return err
	}
	msg, err := stream.Recv()
	if err != nil {
		return err
	}
	switch m := msg.GetMsg().(type) {
	case *replicationpb.PrimaryMessage_NeedBaseBackup:
		return &errRebase{reason: m.NeedBaseBackup.GetReason()}
	case *replicationpb.PrimaryMessage_Welcome:
		if err := s.checkWelcome(m.Welcome, id, flushed); err != nil {
			return err
		}
	default:
		return fmt.Errorf("replication: expected Welcome, got %T", m)
	}
	s.setConnected(true)
	s.log.Info("replication: streaming from primary", "primary_node", msg.GetWelcome().GetPrimaryNodeId(), "from_lsn", flushed.String())
	ss := &streamSession{s: s, stream: stream, cancel: cancel, wake: make(chan struct{}, 1), stopApply: make(chan struct{}),
		applied: make(chan struct{}), progress: make(chan struct{}), inbox: make(chan received, inboxQueue), recvDone: make(chan struct{})}
	// The local WAL may hold records past what is applied (unreleased
	// before): they are read back from it once released.
	ss.offered, ss.spilled = flushed, s.cfg.Target.AppliedLSN() < flushed
	go ss.applyLoop()
	defer ss.stopApplier()
	go ss.recvLoop(ctx)
	defer func() {
		cancel() // ends the call, so recvLoop's Recv returns
		<-ss.recvDone
	}()
	if err := ss.ack(); err != nil {
		return err
	}
	for {
		msg, err := ss.next()
		if err == nil {
			err = ss.handle(msg)
		}
		if err != nil {
			ss.stopApplier()
			if ss.applyErr != nil {
				err = ss.applyErr
			}
			return &errStreamed{err}
		}
	}
}

// maxPendingBytes bounds the records flushed but not applied that a
// session keeps in memory; beyond it the applier reads them back from the
// local WAL (while the primary holds them unreleased).
const maxPendingBytes = 16 << 20

// maxApplyRecords bounds the records of one Target.Apply.
const maxApplyRecords = 4096

// defaultAppliedAckDelay is StandbyConfig.AppliedAckDelay's default: the
// primary's view of the applied LSN (helios_standby_nodes, the lag
// metrics, a demotion waiting for its standbys to apply) may trail by this
// much when no commit group follows.
const defaultAppliedAckDelay = 20 * time.Millisecond

// inboxQueue bounds the messages read from the stream ahead of the
// handler (each at most maxBatchBytes of records).
const inboxQueue = 16

// maxFlushBytes bounds the record bytes of consecutive Records messages
// that the handler appends with one fsync.
const maxFlushBytes = 4 << 20

// received is one Recv result.
type received struct {
	msg *replicationpb.PrimaryMessage
	err error
}

// streamSession is one Stream call, three goroutines: recvLoop reads
// messages off the stream into inbox as they arrive; the session's
// goroutine (the handler) takes them in order and appends, fsyncs and
// acknowledges the flush — every Records message that has arrived while
// it was busy (the previous fsync) is appended with the first one and
// flushed by one fsync, so the standby's fsyncs keep pace with the
// primary's commit groups instead of costing one each; an apply goroutine
// applies what has been flushed and released — coalescing batches that
// queued up into one storage transaction. An apply sends no message of
// its own: the next flush ack carries the applied LSN (one message back
// per commit group, as PostgreSQL's walreceiver answers each flush), and
// when none has gone out AppliedAckDelay after the apply, a timer sends
// one (ackAppliedLater). Before, every apply that no Records message was
// waiting behind (every commit group at 1 client) sent an ack of its
// own: four messages per commit group instead of three. So
// a sync commit on the primary waits for the standby's WAL fsync only,
// never for its storage commit, and the next batch's fsync overlaps the
// previous one's apply. The session ends recvLoop by cancelling the call
// and waits for it (recvDone), and stops the applier and waits for it.
//
// The released LSN: every message of the primary carries how far it has
// released its WAL (acknowledged durable: a sync standby flushed it, or a
// degradation allowed it). The applier applies up to min(flushed,
// released) and no further: a record the primary has not released may be
// missing on the sync standby a failover promotes, and a reader here must
// not see a commit that a failover then takes back (issue 16). Flushed
// records wait in pending until released, up to maxPendingBytes; beyond
// that (spilled) they are read back from the local WAL.
type streamSession struct {
	s      *Standby
	stream replicationpb.Replication_StreamClient
	cancel context.CancelFunc

	inbox    chan received
	recvDone chan struct{} // closed when recvLoop has returned
	// deferred is a message taken from inbox that did not join the batch
	// being gathered: handled next.
	deferred *received

	sendMu sync.Mutex // gRPC allows one sender at a time
	// ackedApplied is the applied LSN the last ack carried (under sendMu
	// when written).
	ackedApplied atomic.Uint64

	timerMu  sync.Mutex
	ackTimer *time.Timer // sends an applied ack no flush ack carried (appliedAckDue)
	timerOn  bool        // ackTimer is armed
	ended    bool        // the session is over: no more timer acks

	// unflushed counts the Records messages (with records) read off the
	// stream whose flush the handler has not acknowledged yet. While it is
	// above zero a flush ack is coming, and it carries the applied LSN
	// read after the count dropped: the applier leaves its own ack to it
	// (coalesceApplied) — one message back per commit group, not two.
	unflushed atomic.Int64

	wake      chan struct{} // (buffer 1) something was flushed or released
	stopApply chan struct{} // closed to stop the applier
	applied   chan struct{} // closed when applyLoop has returned
	stopOnce  sync.Once
	applyErr  error // set before applied is closed

	pendMu sync.Mutex
	// pending are flushed records not yet applied, in LSN order, from the
	// applied LSN on — all of them unless spilled, then a prefix.
	pending      []wal.Record
	pendingBytes int
	// spilled: records after pending are only in the local WAL.
	spilled bool
	offered lsn.LSN // the end of the local WAL flushed so far
	// progress is closed (and replaced) after every apply.
	progress chan struct{}
}

func (ss *streamSession) ack() error {
	ss.sendMu.Lock()
	defer ss.sendMu.Unlock()
	applied := ss.s.cfg.Target.AppliedLSN()
	if err := ss.s.ack(ss.stream, applied); err != nil {
		return err
	}
	ss.ackedApplied.Store(uint64(applied))
	return nil
}

// ackAppliedLater makes sure the primary learns what was just applied:
// by the next flush ack, or AppliedAckDelay from now by appliedAckDue.
func (ss *streamSession) ackAppliedLater() {
	ss.timerMu.Lock()
	defer ss.timerMu.Unlock()
	if ss.timerOn || ss.ended {
		return
	}
	ss.timerOn = true
	if ss.ackTimer == nil {
		ss.ackTimer = time.AfterFunc(ss.s.cfg.AppliedAckDelay, ss.appliedAckDue)
		return
	}
	ss.ackTimer.Reset(ss.s.cfg.AppliedAckDelay)
}

// appliedAckDue sends an ack when the primary has not been told the
// applied LSN and no flush ack is on its way (one is while Records
// messages wait for their flush: it reads the applied LSN after
// unflushed drops, so it carries every apply finished before now).
func (ss *streamSession) appliedAckDue() {
	ss.timerMu.Lock()
	ss.timerOn = false
	ended := ss.ended
	ss.timerMu.Unlock()
	if ended || ss.unflushed.Load() > 0 || lsn.LSN(ss.ackedApplied.Load()) >= ss.s.cfg.Target.AppliedLSN() {
		return
	}
	ss.s.metrics.appliedAcksTimed.Inc()
	if err := ss.ack(); err != nil {
		ss.cancel()
	}
}

func (ss *streamSession) applyLoop() {
	defer close(ss.applied)
	for {
		select {
		case <-ss.wake:
		case <-ss.stopApply:
			// Apply what was flushed and released before the session
			// ended, so that the next session continues from there.
			ss.applyReleased()
			return
		}
		if !ss.applyReleased() {
			return
		}
	}
}

// offer hands the applier records just flushed, and wakes it. While the
// applier is more than maxPendingBytes behind on records the primary has
// released, it waits for it: slow storage slows the flush acks (and so a
// sync primary's commits) instead of filling memory. It never waits on
// unreleased records (their release may be in a message it has yet to
// read): those spill to the local WAL.
func (ss *streamSession) offer(recs []wal.Record) {
	ss.pendMu.Lock()
	for ss.pendingBytes >= maxPendingBytes && len(ss.pending) > 0 && ss.pending[0].End() <= ss.s.releasedLSN() {
		progress := ss.progress
		ss.pendMu.Unlock()
		ss.kick()
		select {
		case <-progress:
		case <-ss.applied:
		case <-ss.recvDone:
		}
		ss.pendMu.Lock()
		select {
		case <-ss.applied:
			ss.pendMu.Unlock()
			return // the applier failed: the session ends
		case <-ss.recvDone:
			ss.pendMu.Unlock()
			return // the call ended
		default:
		}
	}
	if len(recs) > 0 {
		ss.offered = recs[len(recs)-1].End()
		for _, r := range recs {
			if ss.spilled || ss.pendingBytes >= maxPendingBytes {
				ss.spilled = true
				break
			}
			ss.pending = append(ss.pending, r)
			ss.pendingBytes += len(r.Data) + wal.RecordHeaderSize
		}
	}
	ss.pendMu.Unlock()
	ss.kick()
}

// kick wakes the applier (a new released LSN, records flushed).
func (ss *streamSession) kick() {
	select {
	case ss.wake <- struct{}{}:
	default:
	}
}

// applyReleased applies the flushed records up to the released LSN and
// acknowledges; false when an Apply failed (the session is cancelled).
func (ss *streamSession) applyReleased() bool {
	did := false
	for {
		applied := ss.s.cfg.Target.AppliedLSN()
		ss.pendMu.Lock()
		limit := min(ss.s.releasedLSN(), ss.offered)
		var recs []wal.Record
		for _, r := range ss.pending {
			if r.End() > limit || len(recs) == maxApplyRecords {
				break
			}
			recs = append(recs, r)
		}
		spilled := ss.spilled
		ss.pendMu.Unlock()
		if len(recs) == 0 && spilled && applied < limit {
			var err error
			if recs, err = ss.s.readLocal(applied, limit); err != nil {
				ss.failApply(err)
				return false
			}
		}
		if len(recs) == 0 {
			break
		}
		if err := ss.s.cfg.Target.Apply(recs); err != nil {
			ss.failApply(fmt.Errorf("replication: apply up to %s: %w", recs[len(recs)-1].End(), err))
			return false
		}
		ss.s.setDiskFull("")
		did = true
		end := recs[len(recs)-1].End()
		ss.pendMu.Lock()
		k := 0
		for k < len(ss.pending) && ss.pending[k].End() <= end {
			ss.pendingBytes -= len(ss.pending[k].Data) + wal.RecordHeaderSize
			k++
		}
		ss.pending = slices.Delete(ss.pending, 0, k)
		if ss.spilled && len(ss.pending) == 0 && end >= ss.offered {
			ss.spilled = false // everything flushed is applied: back to memory
		}
		close(ss.progress)
		ss.progress = make(chan struct{})
		ss.pendMu.Unlock()
	}
	if did && !ss.coalesceApplied() {
		ss.ackAppliedLater()
	}
	return true
}

// coalesceApplied reports whether the applier may leave the ack of what
// it just applied to the handler: Records messages are waiting for their
// flush ack, which reads the applied LSN after unflushed drops (both are
// atomics: an apply that finished before the applier saw unflushed > 0 is
// seen by that ack). So the primary learns every applied LSN no later than
// the next flush ack, and within AppliedAckDelay when no Records message
// is on its way (ackAppliedLater).
func (ss *streamSession) coalesceApplied() bool {
	if ss.unflushed.Load() > 0 {
		ss.s.metrics.appliedAcksCoalesced.Inc()
		return true
	}
	return false
}

func (ss *streamSession) failApply(err error) {
	ss.applyErr = err
	ss.cancel()
}

// stopApplier lets the applier apply what was flushed and released and
// waits for it, so that the next session's Target.Apply calls stay
// contiguous.
func (ss *streamSession) stopApplier() {
	ss.stopOnce.Do(func() { close(ss.stopApply) })
	<-ss.applied
	ss.timerMu.Lock()
	ss.ended = true
	if ss.ackTimer != nil {
		ss.ackTimer.Stop()
	}
	ss.timerMu.Unlock()
}

// recvLoop reads the stream into inbox until the call ends (its error is
// the last message) or ctx ends.
func (ss *streamSession) recvLoop(ctx context.Context) {
	defer close(ss.recvDone)
	for {
		msg, err := ss.stream.Recv()
		if err == nil && len(msg.GetRecords().GetRecords()) > 0 {
			ss.unflushed.Add(1)
		}
		select {
		case ss.inbox <- received{msg, err}:
		case <-ctx.Done():
			return
		}
		if err != nil {
			return
		}
	}
}

// next returns the next message in stream order.
func (ss *streamSession) next() (*replicationpb.PrimaryMessage, error) {
	if r := ss.deferred; r != nil {
		ss.deferred = nil
		return r.msg, r.err
	}
	select {
	case r := <-ss.inbox:
		return r.msg, r.err
	case <-ss.recvDone:
		select {
		case r := <-ss.inbox: // queued before recvLoop returned
			return r.msg, r.err
		default:
			return nil, context.Canceled // the call was cancelled
		}
	}
}

// gather returns the records of first followed by those of the Records
// messages already waiting in inbox (up to maxFlushBytes), so that one
// append and one fsync cover them, and the newest released LSN they
// carry. The first message that cannot join (another kind, an error, the
// size bound) is kept for next.
//
// taken counts the messages with records among them (unflushed).
func (ss *streamSession) gather(first *replicationpb.Records) (pbs []*replicationpb.WalRecord, released lsn.LSN, taken int64) {
	pbs, size := first.GetRecords()[:len(first.GetRecords()):len(first.GetRecords())], recordsSize(first.GetRecords())
	released = lsn.LSN(first.GetReleasedLsn())
	if len(pbs) > 0 {
		taken++
	}
	for ss.deferred == nil && size < maxFlushBytes {
		select {
		case r := <-ss.inbox:
			if hb := r.msg.GetHeartbeat(); r.err == nil && hb != nil {
				// A release between two Records messages (the primary
				// sends one when its released LSN advances): noted, and
				// the records around it still share one fsync. The
				// applier runs after the flush.
				released = max(released, lsn.LSN(hb.GetReleasedLsn()))
				ss.heartbeat(hb, ss.s.cfg.Now())
				continue
			}
			recs := r.msg.GetRecords()
			if r.err != nil || recs == nil {
				ss.deferred = &r
				break
			}
			if len(recs.GetRecords()) > 0 {
				taken++
			}
			pbs = append(pbs, recs.GetRecords()...)
			size += recordsSize(recs.GetRecords())
			released = max(released, lsn.LSN(recs.GetReleasedLsn()))
			ss.s.metrics.coalesced.Inc()
		default:
			return pbs, released, taken
		}
	}
	return pbs, released, taken
}

func recordsSize(pbs []*replicationpb.WalRecord) int {
	n := 0
	for _, p := range pbs {
		n += len(p.GetData()) + wal.RecordHeaderSize
	}
	return n
}

func (ss *streamSession) handle(msg *replicationpb.PrimaryMessage) error {
	now := ss.s.cfg.Now()
	ss.s.mu.Lock()
	ss.s.status.LastContact = now
	ss.s.mu.Unlock()
	switch m := msg.GetMsg().(type) {
	case *replicationpb.PrimaryMessage_Records:
		pbs, released, taken := ss.gather(m.Records)
		recs, err := ss.s.receive(pbs)
		if err != nil {
			return err
		}
		ss.s.setReleased(released)
		// Before the ack reads the applied LSN (coalesceApplied).
		ss.unflushed.Add(-taken)
		if len(recs) > 0 {
			if err := ss.ack(); err != nil {
				return err
			}
		}
		ss.offer(recs)
		return nil
	case *replicationpb.PrimaryMessage_Heartbeat:
		if ss.heartbeat(m.Heartbeat, now) {
			// A release: the applier applies and acknowledges that (one
			// message back per commit group, not two).
			ss.kick()
			return nil
		}
		return ss.ack() // an idle heartbeat: answered, so the primary knows we are here
	default:
		return fmt.Errorf("replication: unexpected message %T while streaming", m)
	}
}

// heartbeat notes what a heartbeat says (the primary's flushed and
// released LSN) and reports whether the released LSN advanced.
func (ss *streamSession) heartbeat(hb *replicationpb.Heartbeat, now time.Time) bool {
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	ss.s.status.PrimaryLSN = max(ss.s.status.PrimaryLSN, lsn.LSN(hb.GetPrimaryLsn()))
	ss.s.clock.mark(ss.s.status.PrimaryLSN, now)
	released := lsn.LSN(hb.GetReleasedLsn())
	advanced := released > ss.s.released
	ss.s.released = max(ss.s.released, released)
	return advanced
}

// applyLocal hands the target the records that are durable in the local
// WAL but not applied, up to limit (what the primary released; an earlier
// Apply failed), so that Apply always continues where the target left off
// and nothing is skipped.
func (s *Standby) applyLocal(limit lsn.LSN) error {
	for {
		applied := s.cfg.Target.AppliedLSN()
		recs, err := s.readLocal(applied, min(limit, s.cfg.WAL.FlushedLSN()))
		if err != nil || len(recs) == 0 {
			return err
		}
		if err := s.cfg.Target.Apply(recs); err != nil {
			return fmt.Errorf("replication: apply up to %s: %w", recs[len(recs)-1].End(), err)
		}
		s.setDiskFull("")
	}
}

// readLocal reads the records of the local WAL from `from` that end at
// or before limit, at most about maxBatchBytes of them.
func (s *Standby) readLocal(from, limit lsn.LSN) ([]wal.Record, error) {
	if from >= limit {
		return nil, nil
	}
	r, err := s.cfg.WAL.NewReader(from)
	if err != nil {
		return nil, fmt.Errorf("replication: read the local WAL from %s: %w", from, err)
	}
	defer r.Close()
	var recs []wal.Record
	size := 0
	for size < maxBatchBytes && len(recs) < maxApplyRecords {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("replication: read the local WAL at %s: %w", r.Pos(), err)
		}
		if rec.End() > limit {
			break
		}
		recs = append(recs, rec)
		size += len(rec.Data) + wal.RecordHeaderSize
	}
	return recs, nil
}

func (s *Standby) checkWelcome(w *replicationpb.Welcome, id Identity, flushed lsn.LSN) error {
	if w.GetClusterId() != id.ClusterID {
		return fmt.Errorf("replication: primary %s belongs to cluster %s, this node to %s", w.GetPrimaryNodeId(), w.GetClusterId(), id.ClusterID)
	}
	if lsn.LSN(w.GetStartLsn()) != flushed {
		return fmt.Errorf("replication: primary would stream from %s but this node has flushed up to %s", lsn.LSN(w.GetStartLsn()), flushed)
	}
	ph := historyFromPB(w.GetHistory())
	if ph.Term() < id.History.Term() {
		return fmt.Errorf("replication: primary %s is at term %d, older than this node's term %d; refusing to follow it", w.GetPrimaryNodeId(), ph.Term(), id.History.Term())
	}
	if !slices.Equal(ph, id.History) {
		if err := ph.Validate(); err != nil {
			return err
		}
		if err := s.cfg.Target.AdoptHistory(ph); err != nil {
			return fmt.Errorf("replication: adopt the primary's term history: %w", err)
		}
		s.log.Info("replication: following a newer term", "term", ph.Term(), "history", fmt.Sprint(ph))
	}
	s.mu.Lock()
	s.status.PrimaryNodeID = w.GetPrimaryNodeId()
	s.mu.Unlock()
	return nil
}

// receive checks a batch of records (contiguity with the local WAL, CRC
// recomputed end to end), appends it and fsyncs it. Nothing of a batch
// that fails a check is appended.
func (s *Standby) receive(pbs []*replicationpb.WalRecord) ([]wal.Record, error) {
	if len(pbs) == 0 {
		return nil, nil
	}
	recs := make([]wal.Record, len(pbs))
	next := s.cfg.WAL.EndLSN()
	size := 0
	for i, p := range pbs {
		r := wal.Record{LSN: lsn.LSN(p.GetLsn()), Term: p.GetTerm(), Timestamp: p.GetTimestampMicros(), Type: uint8(p.GetType()), Data: p.GetData()}
		if r.LSN != next {
			return nil, fmt.Errorf("replication: record at %s does not follow the local WAL end %s; not applied", r.LSN, next)
		}
		if p.GetType() > 255 {
			return nil, fmt.Errorf("replication: record at %s has invalid type %d; not applied", r.LSN, p.GetType())
		}
		if got := wal.RecordChecksum(r); got != p.GetCrc32C() {
			s.metrics.crcErrors.Inc()
			return nil, fmt.Errorf("replication: record at %s failed its CRC check (got %08x, primary sent %08x); not applied", r.LSN, got, p.GetCrc32C())
		}
		recs[i] = r
		next = r.End()
		size += len(r.Data) + wal.RecordHeaderSize
	}
	if _, _, err := s.cfg.WAL.Append(recs...); err != nil {
		return nil, fmt.Errorf("replication: append: %w", err)
	}
	if _, err := s.cfg.WAL.Sync(); err != nil {
		return nil, fmt.Errorf("replication: wal sync: %w", err)
	}
	s.metrics.receivedBytes.Add(float64(size))
	s.mu.Lock()
	s.status.DiskFull = ""
	s.status.ReceivedLSN = next
	if next > s.status.PrimaryLSN {
		s.status.PrimaryLSN = next
		s.clock.mark(next, s.cfg.Now())
	}
	s.mu.Unlock()
	return recs, nil
}

// ack tells the primary the flushed LSN and applied (read by the caller
// before: an ack never claims more than was applied when it was read).
func (s *Standby) ack(stream replicationpb.Replication_StreamClient, applied lsn.LSN) error {
	s.metrics.acks.Inc()
	return stream.Send(&replicationpb.StandbyMessage{Msg: &replicationpb.StandbyMessage_Ack{Ack: &replicationpb.Ack{
		FlushedLsn: uint64(s.cfg.WAL.FlushedLSN()), AppliedLsn: uint64(applied), SentAtMicros: s.cfg.Now().UnixMicro()}}})
}

// rebase downloads a base backup into a temporary file, checks its size
// and SHA-256, and installs it.
func (s *Standby) rebase(ctx context.Context, client replicationpb.ReplicationClient) error {
	f, err := os.CreateTemp(s.cfg.TempDir, ".basebackup-*")
	if err != nil {
		return fmt.Errorf("replication: base backup: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	last, err := s.download(ctx, client, f)
	if err != nil {
		return fmt.Errorf("replication: base backup: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	at, err := s.cfg.Target.InstallBaseBackup(f)
	if err != nil {
		return fmt.Errorf("replication: install base backup: %w", err)
	}
	if at != lsn.LSN(last.GetLsn()) {
		return fmt.Errorf("replication: base backup holds LSN %s but the primary said %s", at, lsn.LSN(last.GetLsn()))
	}
	s.metrics.baseBackups.Inc()
	s.log.Info("replication: base backup installed", "lsn", at.String(), "bytes", last.GetTotalBytes())
	return nil
}

// download writes the backup stream to w and returns the final chunk.
func (s *Standby) download(ctx context.Context, client replicationpb.ReplicationClient, w io.Writer) (*replicationpb.BaseBackupChunk, error) {
	stream, err := client.BaseBackup(ctx, &replicationpb.BaseBackupRequest{NodeId: s.cfg.NodeID})
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	var total uint64
	start, lastNote := time.Now(), time.Now()
	for {
		c, err := stream.Recv()
		if err != nil {
			return nil, fmt.Errorf("after %d bytes: %w", total, err)
		}
		if len(c.GetData()) > 0 {
			h.Write(c.GetData())
			if _, err := w.Write(c.GetData()); err != nil {
				return nil, err
			}
			total += uint64(len(c.GetData()))
		}
		if time.Since(lastNote) >= 2*time.Second {
			s.log.Info("replication: base backup progress", "received_mib", total>>20,
				"mib_per_sec", fmt.Sprintf("%.1f", float64(total)/(1<<20)/time.Since(start).Seconds()))
			lastNote = time.Now()
		}
		if c.GetSha256() == nil {
			continue
		}
		if c.GetTotalBytes() != total || !bytes.Equal(c.GetSha256(), h.Sum(nil)) {
			return nil, fmt.Errorf("checksum mismatch: received %d bytes, primary sent %d; the copy is discarded", total, c.GetTotalBytes())
		}
		s.log.Info("replication: base backup received", "bytes", total, "lsn", lsn.LSN(c.GetLsn()).String(), "took", time.Since(start).Round(time.Millisecond).String())
		return c, nil
	}
}
