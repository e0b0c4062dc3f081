package replication_test

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/heliosdb/nano/proto/replicationpb"
	"github.com/heliosdb/nano/replication"
	"github.com/heliosdb/nano/wal/waltest"
)

// TestRefusals points standbys at primaries that must refuse them: each
// must never stream, never be seeded, and say why in Status().LastError.
func TestRefusals(t *testing.T) {
	for _, tc := range []struct {
		name    string
		primary func(*primary) // adjust the primary after 5 records
		standby func(t *testing.T, o *standbyOpts)
		want    string
	}{
		{
			name: "not a primary",
			primary: func(p *primary) {
				p.node.setIdentity(func(id *replication.Identity) { id.Primary, id.Following = false, "10.9.9.9:7000" })
			},
			want: "node p1 is a standby (following 10.9.9.9:7000), not a primary",
		},
		{
			name: "other cluster",
			standby: func(t *testing.T, o *standbyOpts) {
				o.id = &replication.Identity{ClusterID: "cluster-b", NodeID: "s1", History: term1}
			},
			want: "standby belongs to cluster cluster-b",
		},
		{
			name:    "same node id",
			standby: func(t *testing.T, o *standbyOpts) { o.nodeID = "p1" },
			want:    `same node id "p1"`,
		},
		{
			name: "standby in a newer term",
			standby: func(t *testing.T, o *standbyOpts) {
				o.wal = waltest.Open(t, 4<<10)
				fork := appendRecs(t, o.wal, 1, 0, 2)
				o.id = &replication.Identity{ClusterID: testCluster, NodeID: "s1", History: replication.History{{Term: 1, Start: 0}, {Term: 2, Start: fork}}}
			},
			want: "this primary is stale",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := startPrimary(t, replication.ServerConfig{})
			appendRecs(t, p.wal, 1, 0, 5)
			if tc.primary != nil {
				tc.primary(p)
			}
			var o standbyOpts
			if tc.standby != nil {
				tc.standby(t, &o)
			}
			s := startStandby(t, p.addr, o)
			walEnd := s.wal.EndLSN()

			eventually(t, "refusal reported", func() bool { return strings.Contains(s.sb.Status().LastError, tc.want) })
			time.Sleep(20 * testMinBackoff) // it keeps being refused
			st := s.sb.Status()
			if !strings.Contains(st.LastError, tc.want) || st.Connected {
				t.Fatalf("standby status = %+v, want refused with %q", st, tc.want)
			}
			if got := s.wal.EndLSN(); got != walEnd {
				t.Fatalf("standby WAL end moved from %s to %s", walEnd, got)
			}
			if applies, _, installs := s.target.stats(); applies != 0 || len(installs) != 0 {
				t.Fatalf("refused standby applied %d batches and installed %d backups", applies, len(installs))
			}
			if got := p.node.backups(); len(got) != 0 {
				t.Fatalf("primary wrote %d backups for a refused standby", len(got))
			}
			if got := p.srv.Standbys(); len(got) != 0 {
				t.Fatalf("primary registered a refused standby: %+v", got)
			}
		})
	}
}

// The first message must be a Hello with a node id, and after it only
// Acks; anything else ends the call with InvalidArgument.
func TestStreamProtocolErrors(t *testing.T) {
	p := startPrimary(t, replication.ServerConfig{})
	appendRecs(t, p.wal, 1, 0, 3)
	hello := func(h *replicationpb.Hello) *replicationpb.StandbyMessage {
		return &replicationpb.StandbyMessage{Msg: &replicationpb.StandbyMessage_Hello{Hello: h}}
	}
	ack := &replicationpb.StandbyMessage{Msg: &replicationpb.StandbyMessage_Ack{Ack: &replicationpb.Ack{}}}

	for _, tc := range []struct {
		name  string
		first *replicationpb.StandbyMessage
	}{
		{"ack first", ack},
		{"hello without node id", hello(&replicationpb.Hello{ClusterId: testCluster})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stream, err := dial(t, p.addr).Stream(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if err := stream.Send(tc.first); err != nil {
				t.Fatal(err)
			}
			_, err = stream.Recv()
			if status.Code(err) != codes.InvalidArgument {
				t.Fatalf("Recv: %v, want InvalidArgument", err)
			}
		})
	}

	t.Run("second hello", func(t *testing.T) {
		m := connectManual(t, p.addr, helloFor("s1", false, 0))
		if err := m.stream.Send(hello(helloFor("s1", false, 0))); err != nil {
			t.Fatal(err)
		}
		eventually(t, "stream ended", func() bool { done, _ := m.ended(); return done })
		if _, err := m.ended(); status.Code(err) != codes.InvalidArgument {
			t.Fatalf("stream ended with %v, want InvalidArgument", err)
		}
		eventually(t, "standby disconnected", func() bool { return standbyState(p.srv, "s1") == "disconnected" })
	})
}
