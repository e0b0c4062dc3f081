package replication_test

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/proto/replicationpb"
	"github.com/heliosdb/nano/wal"
)

// manualStandby drives the Stream call by hand, so a test decides exactly
// what the primary hears and when.
type manualStandby struct {
	stream  replicationpb.Replication_StreamClient
	cancel  context.CancelFunc
	welcome *replicationpb.Welcome

	mu       sync.Mutex
	received lsn.LSN // end of the last record received
	records  int
	beats    int
	done     chan struct{} // closed when the stream ends
	err      error         // why it ended (io.EOF when the primary returned OK)
}

// helloFor is the Hello of a standby of testCluster at flushed.
func helloFor(nodeID string, sync bool, flushed lsn.LSN) *replicationpb.Hello {
	return &replicationpb.Hello{NodeId: nodeID, ClusterId: testCluster, Sync: sync, FlushedLsn: uint64(flushed),
		Address: "10.0.0.7:5432", History: []*replicationpb.TermStart{{Term: 1, StartLsn: 0}}}
}

// connectManual opens a Stream, says hello and waits for the Welcome;
// then it keeps reading in the background.
func connectManual(t testing.TB, addr string, hello *replicationpb.Hello) *manualStandby {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	stream, err := dial(t, addr).Stream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&replicationpb.StandbyMessage{Msg: &replicationpb.StandbyMessage_Hello{Hello: hello}}); err != nil {
		t.Fatal(err)
	}
	msg, err := stream.Recv()
	if err != nil {
		t.Fatalf("waiting for Welcome: %v", err)
	}
	if msg.GetWelcome() == nil {
		t.Fatalf("first message %v, want a Welcome", msg)
	}
	m := &manualStandby{stream: stream, cancel: cancel, welcome: msg.GetWelcome(), done: make(chan struct{})}
	go m.read()
	return m
}

func (m *manualStandby) read() {
	defer close(m.done)
	for {
		msg, err := m.stream.Recv()
		if err != nil {
			m.mu.Lock()
			m.err = err
			m.mu.Unlock()
			return
		}
		m.mu.Lock()
		for _, r := range msg.GetRecords().GetRecords() {
			m.received = (wal.Record{LSN: lsn.LSN(r.GetLsn()), Data: r.GetData()}).End()
			m.records++
		}
		if msg.GetHeartbeat() != nil {
			m.beats++
		}
		m.mu.Unlock()
	}
}

func (m *manualStandby) receivedLSN() lsn.LSN {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.received
}

func (m *manualStandby) ack(t testing.TB, flushed, applied lsn.LSN) {
	t.Helper()
	err := m.stream.Send(&replicationpb.StandbyMessage{Msg: &replicationpb.StandbyMessage_Ack{Ack: &replicationpb.Ack{
		FlushedLsn: uint64(flushed), AppliedLsn: uint64(applied)}}})
	if err != nil {
		t.Fatalf("ack: %v", err)
	}
}

// ended reports whether the stream is over, and why.
func (m *manualStandby) ended() (bool, error) {
	select {
	case <-m.done:
		m.mu.Lock()
		defer m.mu.Unlock()
		if errors.Is(m.err, io.EOF) {
			return true, nil
		}
		return true, m.err
	default:
		return false, nil
	}
}
