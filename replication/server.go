package replication

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/heliosdb/nano/hastate"
	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/proto/replicationpb"
	"github.com/heliosdb/nano/wal"
)

// Identity is what a node is, as replication needs to know it.
type Identity struct {
	ClusterID string // empty on a node that has never joined a cluster
	NodeID    string
	Primary   bool
	History   History
	// Following is the primary a standby streams from ("host:port").
	Following string
}

// Node is the primary side's view of its node.
type Node interface {
	Identity() Identity
	// WriteBackup streams a consistent copy of storage and returns the LSN
	// it corresponds to.
	WriteBackup(w io.Writer) (lsn.LSN, int64, error)
	// AppliedLSN is how far storage has applied the WAL.
	AppliedLSN() lsn.LSN
	// ReleasedLSN is how far a sync primary has released its WAL: every
	// commit up to it is acknowledged durable by the rules of synchronous
	// replication (release.go) and visible here. Standbys make no record
	// past it visible (standby.go). Asked only with ServerConfig.Sync;
	// without it the WAL is released as soon as it is flushed.
	ReleasedLSN() lsn.LSN
	// ReleasedChanged returns a channel closed when ReleasedLSN may have
	// advanced.
	ReleasedChanged() <-chan struct{}
	// NewerTerm reports that a peer (from) has seen term, newer than this
	// node's: a primary must stop accepting writes (fencing).
	NewerTerm(term uint64, from string)
}

// ServerConfig configures a Server.
type ServerConfig struct {
	WAL  *wal.Log
	Node Node
	// Secret is the replication secret; the native port's handshake
	// proves both sides know the key derived from it (DeriveKey).
	Secret string
	// NodeID names this node in the handshake.
	NodeID string
	// TLS, when set, serves the native port over TLS only (tls.go).
	TLS *TLS

	Sync        bool          // commits wait for a sync standby (WaitDurable)
	SyncStrict  bool          // never degrade to async
	SyncTimeout time.Duration // default 10s
	// Heartbeat is the idle interval between heartbeats; default 500ms.
	Heartbeat time.Duration
	// ReleaseDelay is how long a sync primary's sender holds an advance
	// of the released LSN for the next Records message to carry it before
	// it sends a heartbeat for it alone; default 2ms (send).
	ReleaseDelay time.Duration
	// MaxRetainBytes bounds the WAL kept for disconnected standbys beyond
	// what storage needs; default 1 GiB.
	MaxRetainBytes int64
	// OnStandby, when set, is called with each standby that connects (a
	// primary records its peers' native addresses).
	OnStandby func(StandbyInfo)
	// Standing, when set, says whether a degradation to async may release
	// waiting commits (release.go); it is asked at every decision, with a
	// lock of the Server held, so it must not call into the Server. Nil
	// means DegradeOnTimeout. Call StandingChanged when its answer changes.
	Standing func() Standing
	// RecordDegradedAck, when set, is called before the first commit a
	// degradation releases without a sync standby's flush is acknowledged
	// (once per degradation, with its sequence number): the node records
	// durably that it acknowledged commits no standby may have, so that it
	// still reports itself degraded after a restart (StartDegraded). An
	// error fails the commit instead of acknowledging it.
	RecordDegradedAck func(seq uint64) error
	// SyncRestored, when set, is called (on its own goroutine) with the
	// sequence number of a degradation that ended: a sync standby flushed
	// everything, or the node stepped down. The record of
	// RecordDegradedAck for it and older ones may go.
	SyncRestored func(seq uint64)

	Logger     *slog.Logger
	Registerer prometheus.Registerer
	Now        func() time.Time
}

func (c *ServerConfig) setDefaults() {
	if c.SyncTimeout <= 0 {
		c.SyncTimeout = 10 * time.Second
	}
	if c.Heartbeat <= 0 {
		c.Heartbeat = 500 * time.Millisecond
	}
	if c.ReleaseDelay <= 0 {
		c.ReleaseDelay = defaultReleaseDelay
	}
	if c.MaxRetainBytes <= 0 {
		c.MaxRetainBytes = 1 << 30
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Server implements the Replication service on every node.
type Server struct {
	replicationpb.UnimplementedReplicationServer
	cfg     ServerConfig
	log     *slog.Logger
	metrics *serverMetrics
	sync    *syncRep

	mu       sync.Mutex
	standbys map[string]*standbyState // by node id; kept after disconnect for retention
	stopping chan struct{}
	kick     chan struct{} // closed by StepDown to end the current streams
	progress chan struct{} // closed (and replaced) when a standby connects, acknowledges or disconnects
	streams  sync.WaitGroup
}

// StandbyInfo is one row of helios_standby_nodes.
type StandbyInfo struct {
	NodeID        string
	Address       string
	NativeAddress string // its Replication service, "" when it did not say
	Sync          bool
	State         hastate.StandbyState
	SentLSN       lsn.LSN
	FlushedLSN    lsn.LSN
	AppliedLSN    lsn.LSN
	LagBytes      int64
	Lag           time.Duration
	ConnectedAt   time.Time
	LastAckAt     time.Time
}

type standbyState struct {
	StandbyInfo
	session int // increments per connection; a stale stream must not clobber a newer one
	clock   lagClock
	// vouched: this process admitted a session of it or sent it a base
	// backup, when the WAL's rewind count (wal.Log.Rewinds) was rewinds;
	// with no rewind since, it holds only records this WAL still has
	// (tentative.go).
	vouched bool
	rewinds uint64
}

// NewServer returns a Server; serve it with GRPCServer.
func NewServer(cfg ServerConfig) *Server {
	cfg.setDefaults()
	s := &Server{cfg: cfg, log: cfg.Logger, standbys: map[string]*standbyState{}, stopping: make(chan struct{}), kick: make(chan struct{}),
		progress: make(chan struct{})}
	s.metrics = newServerMetrics(cfg.Registerer, s)
	s.sync = newSyncRep(cfg, s.log, s.metrics)
	return s
}

// GRPCServer returns a gRPC server with the service registered and the
// secret enforced on every call.
func (s *Server) GRPCServer() *grpc.Server {
	a := &authLog{log: s.log, interval: 30 * time.Second}
	creds := newClusterCreds(s.cfg.Secret, s.cfg.NodeID, s.cfg.TLS)
	creds.onFail = a.reject
	g := grpc.NewServer(
		grpc.Creds(creds),
		grpc.ConnectionTimeout(handshakeTimeout),
		grpc.UnaryInterceptor(unaryAuth),
		grpc.StreamInterceptor(streamAuth),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 5 * time.Second, PermitWithoutStream: true}),
		grpc.MaxRecvMsgSize(64<<20),
		grpc.InitialWindowSize(flowWindow),
		grpc.InitialConnWindowSize(flowWindow),
	)
	replicationpb.RegisterReplicationServer(g, s)
	return g
}

// Close ends every stream and releases commits waiting for a sync standby
// (they fail: the node is shutting down or stepping down).
func (s *Server) Close() {
	s.mu.Lock()
	select {
	case <-s.stopping:
	default:
		close(s.stopping)
	}
	s.mu.Unlock()
	s.sync.close()
	s.streams.Wait()
}

// WaitStandbysCaughtUp waits until every connected standby has flushed up
// to end and applied up to released (what this primary released: a
// standby applies no further), or ctx ends; it reports whether they all
// did. A demoting primary waits for it so that the standby it hands over
// to has applied everything acknowledged before the streams end.
// It wakes at each acknowledgement or disconnection (no polling).
func (s *Server) WaitStandbysCaughtUp(ctx context.Context, end, released lsn.LSN) bool {
	for {
		s.mu.Lock()
		behind := false
		for _, st := range s.standbys {
			if st.State != hastate.Disconnected && (st.FlushedLSN < end || st.AppliedLSN < min(released, end)) {
				behind = true
			}
		}
		changed := s.progress
		s.mu.Unlock()
		if !behind {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-changed:
		}
	}
}

// StepDown ends the current streams and fails the commits waiting for a
// sync standby (ErrSteppedDown): the node stopped being primary. The server
// keeps serving; new streams are refused while the node is not primary.
func (s *Server) StepDown() {
	s.mu.Lock()
	close(s.kick)
	s.kick = make(chan struct{})
	s.mu.Unlock()
	s.sync.stepDown()
}

// enter counts a new stream unless Close has begun (a WaitGroup must not
// grow while Close waits on it).
func (s *Server) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.stopping:
		return false
	default:
		s.streams.Add(1)
		return true
	}
}

// Status implements the Status RPC.
func (s *Server) Status(context.Context, *replicationpb.StatusRequest) (*replicationpb.StatusResponse, error) {
	id := s.cfg.Node.Identity()
	role := hastate.Standby
	if id.Primary {
		role = hastate.Primary
	}
	return &replicationpb.StatusResponse{NodeId: id.NodeID, Role: string(role), Term: id.History.Term(),
		FlushedLsn: uint64(s.cfg.WAL.FlushedLSN()), AppliedLsn: uint64(s.cfg.Node.AppliedLSN()), ClusterId: id.ClusterID}, nil
}

// Stream implements the standby's long-lived call.
func (s *Server) Stream(stream replicationpb.Replication_StreamServer) error {
	if !s.enter() {
		return status.Error(codes.Unavailable, "replication: node is shutting down")
	}
	defer s.streams.Done()
	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()
	s.mu.Lock()
	kick := s.kick
	s.mu.Unlock()
	go func() {
		select {
		case <-s.stopping:
			cancel()
		case <-kick:
			cancel()
		case <-ctx.Done():
		}
	}()
	hello, err := recvHello(stream)
	if err != nil {
		return err
	}
	log := s.log.With("standby", hello.GetNodeId(), "peer", peerAddr(ctx))
	// Taken before admit checks the standby's position: a rewind after it
	// ends the stream (send).
	rewinds, _ := s.cfg.WAL.Rewinds()
	start, rebase, refuse := s.admit(hello)
	if refuse != nil {
		log.Warn("replication: refusing standby", "reason", status.Convert(refuse).Message())
		return refuse
	}
	if rebase != "" {
		log.Info("replication: standby needs a base backup", "reason", rebase, "standby_lsn", lsn.LSN(hello.GetFlushedLsn()).String())
		return stream.Send(&replicationpb.PrimaryMessage{Msg: &replicationpb.PrimaryMessage_NeedBaseBackup{
			NeedBaseBackup: &replicationpb.NeedBaseBackup{Reason: rebase}}})
	}
	r, err := s.newReader(start)
	if err != nil {
		reason := fmt.Sprintf("cannot stream from %s: %v", start, err)
		log.Info("replication: standby needs a base backup", "reason", reason)
		return stream.Send(&replicationpb.PrimaryMessage{Msg: &replicationpb.PrimaryMessage_NeedBaseBackup{
			NeedBaseBackup: &replicationpb.NeedBaseBackup{Reason: reason}}})
	}
	defer r.Close()
	id := s.cfg.Node.Identity()
	if err := stream.Send(&replicationpb.PrimaryMessage{Msg: &replicationpb.PrimaryMessage_Welcome{Welcome: &replicationpb.Welcome{
		ClusterId: id.ClusterID, PrimaryNodeId: id.NodeID, History: historyToPB(id.History), StartLsn: uint64(start)}}}); err != nil {
		return err
	}
	st, session := s.connect(hello, start, rewinds)
	defer s.disconnect(st, session)
	if s.cfg.OnStandby != nil {
		s.mu.Lock()
		info := st.StandbyInfo
		s.mu.Unlock()
		s.cfg.OnStandby(info)
	}
	log.Info("replication: standby connected", "from_lsn", start.String(), "sync", hello.GetSync(),
		"behind_bytes", int64(s.cfg.WAL.FlushedLSN().Sub(start)))
	errc := make(chan error, 1)
	s.streams.Add(1)
	go func() {
		defer s.streams.Done()
		errc <- s.recvAcks(stream, st, session)
		cancel() // the standby ended the call or misbehaved: stop sending
	}()
	err = s.send(ctx, stream, r, st, session, rewinds)
	cancel()
	// Cancelling ctx does not interrupt recvAcks' stream.Recv: that returns
	// only when the standby sends or the call ends, and the call ends when
	// this handler returns. So do not wait for it unless it is done.
	select {
	case ackErr := <-errc:
		if err == nil || errors.Is(err, context.Canceled) {
			err = ackErr
		}
	default:
	}
	log.Info("replication: standby disconnected", "err", err)
	if errors.Is(err, io.EOF) || errors.Is(err, context.Canceled) || status.Code(err) == codes.Canceled {
		return nil
	}
	return err
}

func recvHello(stream replicationpb.Replication_StreamServer) (*replicationpb.Hello, error) {
	msg, err := stream.Recv()
	if err != nil {
		return nil, err
	}
	hello := msg.GetHello()
	if hello == nil || hello.GetNodeId() == "" {
		return nil, status.Error(codes.InvalidArgument, "replication: the first message must be a Hello with a node id")
	}
	return hello, nil
}

func peerAddr(ctx context.Context) string {
	if p, ok := peer.FromContext(ctx); ok {
		return p.Addr.String()
	}
	return ""
}

// admit decides how a standby may continue: from start, refused (an error
// for the standby to log and retry), or rebased from a base backup (the
// reason why).
func (s *Server) admit(h *replicationpb.Hello) (start lsn.LSN, rebase string, refuse error) {
	id := s.cfg.Node.Identity()
	switch {
	case !id.Primary:
		return 0, "", status.Errorf(codes.FailedPrecondition, "node %s is a standby (following %s), not a primary; point --primary-host/--primary-port at the primary", id.NodeID, id.Following)
	case h.GetNodeId() == id.NodeID:
		return 0, "", status.Errorf(codes.FailedPrecondition, "standby and primary have the same node id %q; every node needs its own --node-id", id.NodeID)
	case h.GetClusterId() == "":
		return 0, "empty standby: seeding it", nil
	case h.GetClusterId() != id.ClusterID:
		return 0, "", status.Errorf(codes.FailedPrecondition, "standby belongs to cluster %s but this primary (%s) to cluster %s; to make it a standby of this cluster, empty its data directory", h.GetClusterId(), id.NodeID, id.ClusterID)
	}
	sh, flushed := historyFromPB(h.GetHistory()), lsn.LSN(h.GetFlushedLsn())
	if why := divergence(id.History, sh, flushed); why != "" {
		if sh.Term() > id.History.Term() {
			s.cfg.Node.NewerTerm(sh.Term(), h.GetNodeId())
			return 0, "", status.Errorf(codes.FailedPrecondition, "this primary is stale: %s", why)
		}
		return 0, why, nil
	}
	if why := s.tentativeTail(h.GetNodeId(), id.History, flushed); why != "" {
		return 0, why, nil
	}
	if end := s.cfg.WAL.WrittenLSN(); flushed > end {
		return 0, "", status.Errorf(codes.FailedPrecondition, "standby has WAL up to %s but this primary only up to %s in the same term; refusing to overwrite it (empty the standby's data directory to re-seed it)", flushed, end)
	}
	if first := s.cfg.WAL.FirstLSN(); flushed < first {
		return 0, fmt.Sprintf("WAL at %s is no longer retained (oldest is %s)", flushed, first), nil
	}
	return flushed, "", nil
}

// connect registers a streaming standby.
func (s *Server) connect(h *replicationpb.Hello, start lsn.LSN, rewinds uint64) (*standbyState, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.standbys[h.GetNodeId()]
	if st == nil {
		st = &standbyState{}
		s.standbys[h.GetNodeId()] = st
	}
	now := s.cfg.Now()
	st.session++
	st.StandbyInfo = StandbyInfo{NodeID: h.GetNodeId(), Address: h.GetAddress(), NativeAddress: h.GetNativeAddress(), Sync: h.GetSync(), State: hastate.CatchingUp,
		SentLSN: start, FlushedLSN: start, AppliedLSN: start, ConnectedAt: now, LastAckAt: now}
	st.clock = lagClock{}
	st.vouched, st.rewinds = true, rewinds
	s.updateSyncLocked()
	return st, st.session
}

func (s *Server) disconnect(st *standbyState, session int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st.session == session {
		st.State = hastate.Disconnected
	}
	s.updateSyncLocked()
}

// updateSyncLocked hands the sync standbys' progress to the sync-commit
// tracker.
func (s *Server) updateSyncLocked() {
	best, any := s.syncFlushedLocked()
	s.sync.update(best, any, s.cfg.WAL.FlushedLSN())
	close(s.progress) // wakes WaitStandbysCaughtUp
	s.progress = make(chan struct{})
}

// syncFlushedLocked is the highest LSN fsynced by a connected sync
// standby, or 0 (none connected).
func (s *Server) syncFlushedLocked() (best lsn.LSN, any bool) {
	for _, st := range s.standbys {
		if st.Sync && st.State != hastate.Disconnected {
			any = true
			best = max(best, st.FlushedLSN)
		}
	}
	return best, any
}

func (s *Server) recvAcks(stream replicationpb.Replication_StreamServer, st *standbyState, session int) error {
	for {
		msg, err := stream.Recv()
		if err != nil {
			return err
		}
		ack := msg.GetAck()
		if ack == nil {
			return status.Error(codes.InvalidArgument, "replication: expected an Ack")
		}
		s.mu.Lock()
		if st.session != session {
			s.mu.Unlock()
			return nil
		}
		st.FlushedLSN = max(st.FlushedLSN, lsn.LSN(ack.GetFlushedLsn()))
		st.AppliedLSN = max(st.AppliedLSN, lsn.LSN(ack.GetAppliedLsn()))
		st.LastAckAt = s.cfg.Now()
		if st.State == hastate.CatchingUp && st.FlushedLSN >= s.cfg.WAL.FlushedLSN() {
			st.State = hastate.Streaming
			s.log.Info("replication: standby caught up", "standby", st.NodeID, "lsn", st.FlushedLSN.String())
		}
		s.updateSyncLocked()
		s.mu.Unlock()
	}
}

// flowWindow is the HTTP/2 flow-control window of the native port's
// streams and connections, on both ends. A fixed window turns off gRPC's
// bandwidth estimation, which otherwise answers nearly every message of a
// stream of small, spaced ones (a Records message per commit group, an
// ack per fsync) with a PING and its ack — two more encrypted writes and
// reads per message on each node (issue 14). 4 MiB keeps a WAN link of
// 50 ms round trip at 80 MB/s.
const flowWindow = 4 << 20

// maxBatchBytes bounds the payload of one Records message.
const maxBatchBytes = 512 << 10

// defaultReleaseDelay is ServerConfig.ReleaseDelay's default.
const defaultReleaseDelay = 2 * time.Millisecond

// send streams records from r, then waits for new ones, sending
// heartbeats while idle. Every message carries the released LSN
// (releasedLSN); when it advances with no records to send, the sender
// waits up to ReleaseDelay for new WAL, whose Records message carries it,
// and then sends a heartbeat for it alone, so that what the standby
// flushed becomes visible there without waiting for more WAL. Before, a
// release always went at once: with one commit group in flight at a time
// (1 client) that was a heartbeat per commit — a message, and wake-ups
// of four goroutines on the standby, for each. The price: a standby shows
// a commit at most ReleaseDelay later when no other follows it.
func (s *Server) send(ctx context.Context, stream replicationpb.Replication_StreamServer, r *wal.Reader, st *standbyState, session int, rewinds uint64) error {
	var (
		batch        []*replicationpb.WalRecord
		size         int
		lastBeat     time.Time
		sentReleased lsn.LSN
		// releaseDue is when an unsent release must go in a heartbeat
		// (zero: none waits). Real time: cfg.Now may be a test's clock.
		releaseDue time.Time
	)
	beat := time.NewTimer(s.cfg.Heartbeat)
	defer beat.Stop()
	for {
		// Taken before the reads below: a flush or release after them
		// still wakes the wait.
		walCh, err := s.walChanged()
		if err != nil {
			return fmt.Errorf("replication: wait for WAL: %w", err)
		}
		releasedCh := s.releasedChanged()
		rec, err := r.Next()
		if n, _ := s.cfg.WAL.Rewinds(); n != rewinds {
			// Records this stream read may have been discarded and their
			// LSNs reused: the standby must be checked again (admit).
			return status.Error(codes.Aborted, "replication: the primary discarded WAL it had not made durable (a failed write); reconnect")
		}
		if err == nil {
			batch = append(batch, &replicationpb.WalRecord{Lsn: uint64(rec.LSN), Term: rec.Term, TimestampMicros: rec.Timestamp,
				Type: uint32(rec.Type), Data: rec.Data, Crc32C: wal.RecordChecksum(rec)})
			size += len(rec.Data) + wal.RecordHeaderSize
			if size < maxBatchBytes {
				continue
			}
		} else if !errors.Is(err, io.EOF) {
			return fmt.Errorf("replication: read WAL at %s: %w", r.Pos(), err)
		}
		if len(batch) > 0 {
			sentReleased = s.releasedLSN()
			if err := stream.Send(&replicationpb.PrimaryMessage{Msg: &replicationpb.PrimaryMessage_Records{Records: &replicationpb.Records{
				Records: batch, ReleasedLsn: uint64(sentReleased)}}}); err != nil {
				return err
			}
			s.metrics.sentRecords.Inc()
			s.sent(st, session, r.Pos(), size)
			batch, size = batch[:0], 0
			if err == nil {
				continue // more to read
			}
		}
		now, released := s.cfg.Now(), s.releasedLSN()
		if released > sentReleased && releaseDue.IsZero() {
			releaseDue = time.Now().Add(s.cfg.ReleaseDelay)
		}
		if (released > sentReleased && !time.Now().Before(releaseDue)) || now.Sub(lastBeat) >= s.cfg.Heartbeat {
			if err := s.heartbeat(stream, released); err != nil {
				return err
			}
			lastBeat, sentReleased = now, released
		}
		if released <= sentReleased {
			releaseDue = time.Time{} // sent, in Records or a heartbeat
		}
		if s.readable() > r.Pos() {
			continue
		}
		if !beat.Stop() {
			select {
			case <-beat.C:
			default:
			}
		}
		wait := s.cfg.Heartbeat
		if !releaseDue.IsZero() {
			wait = min(wait, time.Until(releaseDue))
		}
		beat.Reset(wait)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-walCh:
		case <-releasedCh:
		case <-beat.C:
		}
	}
}

// releasedLSN is how far this primary has released its WAL (what a
// standby may make visible).
func (s *Server) releasedLSN() lsn.LSN {
	if !s.cfg.Sync {
		return s.cfg.WAL.FlushedLSN()
	}
	return s.cfg.Node.ReleasedLSN()
}

// releasedChanged wakes the sender when releasedLSN may have advanced
// (nil without sync: it follows the flushed LSN, which the sender waits
// for).
func (s *Server) releasedChanged() <-chan struct{} {
	if !s.cfg.Sync {
		return nil
	}
	return s.cfg.Node.ReleasedChanged()
}

// A sync primary sends its WAL up to the written end, before the fsync
// (tentative.go): its commits wait for the standby. An async primary's
// commits do not, so it sends only flushed WAL, as before — every Records
// message then carries a released LSN covering its records, with no
// heartbeat per commit group to release them.

// newReader returns the sender's WAL reader from start.
func (s *Server) newReader(start lsn.LSN) (*wal.Reader, error) {
	if s.cfg.Sync {
		return s.cfg.WAL.NewWrittenReader(start)
	}
	return s.cfg.WAL.NewReader(start)
}

// readable is the end of the WAL the sender may send.
func (s *Server) readable() lsn.LSN {
	if s.cfg.Sync {
		return s.cfg.WAL.WrittenLSN()
	}
	return s.cfg.WAL.FlushedLSN()
}

// walChanged is closed when readable may have advanced.
func (s *Server) walChanged() (<-chan struct{}, error) {
	if s.cfg.Sync {
		return s.cfg.WAL.WrittenChanged()
	}
	return s.cfg.WAL.FlushedChanged()
}

func (s *Server) heartbeat(stream replicationpb.Replication_StreamServer, released lsn.LSN) error {
	s.metrics.sentHeartbeats.Inc()
	return stream.Send(&replicationpb.PrimaryMessage{Msg: &replicationpb.PrimaryMessage_Heartbeat{Heartbeat: &replicationpb.Heartbeat{
		PrimaryLsn: uint64(s.cfg.WAL.FlushedLSN()), Term: s.cfg.Node.Identity().History.Term(), SentAtMicros: s.cfg.Now().UnixMicro(),
		ReleasedLsn: uint64(released)}}})
}

func (s *Server) sent(st *standbyState, session int, pos lsn.LSN, bytes int) {
	s.metrics.sentBytes.Add(float64(bytes))
	s.mu.Lock()
	defer s.mu.Unlock()
	if st.session == session {
		st.SentLSN = pos
		st.clock.mark(pos, s.cfg.Now())
	}
}

// Standbys returns the known standbys, by node id.
func (s *Server) Standbys() []StandbyInfo {
	flushed, now := s.cfg.WAL.FlushedLSN(), s.cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]StandbyInfo, 0, len(s.standbys))
	for _, st := range s.standbys {
		info := st.StandbyInfo
		info.LagBytes = int64(flushed.Sub(min(info.AppliedLSN, flushed)))
		if info.LagBytes > 0 {
			info.Lag = st.clock.lag(info.AppliedLSN, now)
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].NodeID < out[j].NodeID })
	return out
}

// RetainFrom is the oldest LSN a known standby still needs, bounded by
// MaxRetainBytes behind the end of the WAL; ok is false with no standbys.
func (s *Server) RetainFrom() (lsn.LSN, bool) {
	end := s.cfg.WAL.FlushedLSN()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.standbys) == 0 {
		return 0, false
	}
	oldest := end
	for _, st := range s.standbys {
		oldest = min(oldest, st.FlushedLSN)
	}
	if floor := int64(end) - s.cfg.MaxRetainBytes; floor > 0 && int64(oldest) < floor {
		oldest = lsn.LSN(floor)
	}
	return oldest, true
}

// SyncState is the state of synchronous replication (Waiting: sync mode,
// no sync standby connected yet, no commit has timed out).
func (s *Server) SyncState() hastate.SyncState { return s.sync.state() }

// Degrade degrades a sync primary with no connected sync standby to async
// now, for reason, instead of at the first commit's sync-timeout.
func (s *Server) Degrade(reason string) { s.sync.degradeNow(reason) }

// StandingChanged makes the commits waiting for a sync standby decide
// again with the node's current Standing (a role change, fencing, a lease
// granted, lifted or lapsed).
func (s *Server) StandingChanged() { s.sync.standingChanged() }

// Degradation returns the number of the current degradation to async, 0
// when the primary is not degraded. A lease holder echoes it back.
func (s *Server) Degradation() uint64 { return s.sync.degradation() }

// StartDegraded starts a sync primary degraded to async: before a restart
// it acknowledged commits while degraded that no sync standby may have
// flushed (RecordDegradedAck). It stays degraded, and says so to the
// lease holder, until a sync standby has flushed everything this node
// has. It returns the new degradation's sequence number (0 when it did
// not degrade: not in sync mode).
func (s *Server) StartDegraded(reason string) uint64 { return s.sync.startDegraded(reason) }

// LeaseRenewed records a lease renewal whose holder has seen degradation
// seq (0 = none): commits waiting in that degradation are released, if
// the node's Standing still allows it.
func (s *Server) LeaseRenewed(seq uint64) { s.sync.renewed(seq) }

// WaitDurable returns once end is durable by the rules of synchronous
// replication (release.go; at once when sync is off). A commit that
// reaches this point is durable locally; an error means it may not be on
// the standby that is or will be promoted: ErrClosed, ErrSteppedDown,
// ErrLeaseLapsed.
func (s *Server) WaitDurable(ctx context.Context, end lsn.LSN) error {
	return s.sync.wait(ctx, end, s.cfg.WAL.FlushedLSN, false)
}

// WaitReleased is WaitDurable for a caller that may give up: it returns
// ctx's error when ctx ends first (nothing was decided; the WAL up to end
// is neither released nor failed).
func (s *Server) WaitReleased(ctx context.Context, end lsn.LSN) error {
	return s.sync.wait(ctx, end, s.cfg.WAL.FlushedLSN, true)
}

// BaseBackup implements the BaseBackup RPC: a consistent copy of storage
// streamed in chunks, then the LSN, history, cluster id and checksum.
func (s *Server) BaseBackup(req *replicationpb.BaseBackupRequest, stream replicationpb.Replication_BaseBackupServer) error {
	id := s.cfg.Node.Identity()
	if !id.Primary {
		return status.Errorf(codes.FailedPrecondition, "node %s is a standby, not a primary", id.NodeID)
	}
	log := s.log.With("standby", req.GetNodeId(), "peer", peerAddr(stream.Context()))
	log.Info("replication: base backup started")
	s.metrics.baseBackups.Inc()
	rewinds, _ := s.cfg.WAL.Rewinds()
	pr, pw := io.Pipe()
	type result struct {
		at  lsn.LSN
		err error
	}
	done := make(chan result, 1)
	go func() {
		at, _, err := s.cfg.Node.WriteBackup(pw)
		pw.CloseWithError(err)
		done <- result{at, err}
	}()
	h := sha256.New()
	buf := make([]byte, 1<<20)
	var total uint64
	for {
		n, err := io.ReadFull(pr, buf)
		if n > 0 {
			h.Write(buf[:n])
			total += uint64(n)
			if serr := stream.Send(&replicationpb.BaseBackupChunk{Data: buf[:n]}); serr != nil {
				pr.CloseWithError(serr)
				<-done
				return serr
			}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			pr.CloseWithError(err)
			<-done
			return status.Errorf(codes.Internal, "replication: base backup: %v", err)
		}
	}
	res := <-done
	if res.err != nil {
		return status.Errorf(codes.Internal, "replication: base backup: %v", res.err)
	}
	// Retain the WAL from the backup's LSN for the standby that will
	// stream from there; its position (a durable LSN) is vouched for.
	s.mu.Lock()
	if st := s.standbys[req.GetNodeId()]; st == nil || st.State == hastate.Disconnected {
		s.standbys[req.GetNodeId()] = &standbyState{StandbyInfo: StandbyInfo{NodeID: req.GetNodeId(), State: hastate.Disconnected,
			FlushedLSN: res.at, AppliedLSN: res.at, SentLSN: res.at}, vouched: true, rewinds: rewinds}
	}
	s.mu.Unlock()
	log.Info("replication: base backup sent", "lsn", res.at.String(), "bytes", total)
	return stream.Send(&replicationpb.BaseBackupChunk{Lsn: uint64(res.at), Sha256: h.Sum(nil), TotalBytes: total,
		History: historyToPB(id.History), ClusterId: id.ClusterID})
}
