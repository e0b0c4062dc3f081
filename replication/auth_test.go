package replication_test

import (
	"io"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/proto/replicationpb"
	"github.com/heliosdb/nano/replication"
)

func TestWrongSecretNeverStreams(t *testing.T) {
	p := startPrimary(t, replication.ServerConfig{})
	appendRecs(t, p.wal, 1, 0, 10)
	s := startStandby(t, p.addr, standbyOpts{secret: "not-the-secret"})

	eventually(t, "standby reports the secret", func() bool {
		return strings.Contains(s.sb.Status().LastError, "secret")
	})
	time.Sleep(20 * testMinBackoff) // let it retry a few times
	st := s.sb.Status()
	if st.Connected || st.FlushedLSN != 0 || s.wal.EndLSN() != 0 {
		t.Fatalf("standby with the wrong secret streamed: %+v", st)
	}
	if applies, _, installs := s.target.stats(); applies != 0 || len(installs) != 0 {
		t.Fatalf("standby with the wrong secret applied %d batches, installed %d backups", applies, len(installs))
	}
	if got := p.srv.Standbys(); len(got) != 0 {
		t.Fatalf("primary registered %+v", got)
	}
}

func TestCallsNeedTheSecret(t *testing.T) {
	p := startPrimary(t, replication.ServerConfig{})
	end := appendRecs(t, p.wal, 1, 0, 3)

	for _, tc := range []struct {
		name string
		opt  grpc.DialOption
		want codes.Code
	}{
		{"no handshake (plain gRPC)", grpc.WithTransportCredentials(insecure.NewCredentials()), codes.Unavailable},
		{"the secret as a bearer token (the old protocol)", grpc.WithTransportCredentials(insecure.NewCredentials()), codes.Unavailable},
		{"wrong secret", replication.DialOption("guess", "s1", nil), codes.Unavailable},
		{"secret as a prefix", replication.DialOption(testSecret+"x", "s1", nil), codes.Unavailable},
		{"right secret", replication.DialOption(testSecret, "s1", nil), codes.OK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client := dialWith(t, p.addr, tc.opt)
			ctx := t.Context()
			if strings.Contains(tc.name, "bearer") {
				ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+testSecret)
			}
			resp, err := client.Status(ctx, &replicationpb.StatusRequest{})
			if got := status.Code(err); got != tc.want {
				t.Fatalf("Status: %v, want code %v", err, tc.want)
			}
			if tc.want == codes.OK {
				if resp.GetNodeId() != "p1" || resp.GetRole() != "primary" || resp.GetTerm() != 1 ||
					lsn.LSN(resp.GetFlushedLsn()) != end || lsn.LSN(resp.GetAppliedLsn()) != end || resp.GetClusterId() != testCluster {
					t.Fatalf("Status = %v", resp)
				}
				return
			}
			bb, err := client.BaseBackup(ctx, &replicationpb.BaseBackupRequest{NodeId: "s1"})
			if err == nil {
				_, err = bb.Recv()
			}
			if got := status.Code(err); got != tc.want {
				t.Fatalf("BaseBackup: %v, want code %v", err, tc.want)
			}
			stream, err := client.Stream(ctx)
			if err == nil {
				_, err = stream.Recv()
			}
			if got := status.Code(err); got != tc.want {
				t.Fatalf("Stream: %v, want code %v", err, tc.want)
			}
		})
	}
	if got := p.node.backups(); len(got) != 0 {
		t.Fatalf("unauthenticated calls made %d backups", len(got))
	}
}

func TestStatusOnStandby(t *testing.T) {
	p := startPrimary(t, replication.ServerConfig{})
	p.node.setIdentity(func(id *replication.Identity) { id.Primary, id.Following = false, "10.0.0.1:7000" })
	resp, err := dial(t, p.addr).Status(t.Context(), &replicationpb.StatusRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetRole() != "standby" || resp.GetNodeId() != "p1" {
		t.Fatalf("Status = %v, want role standby", resp)
	}
	// A standby serves no base backups.
	bb, err := dial(t, p.addr).BaseBackup(t.Context(), &replicationpb.BaseBackupRequest{NodeId: "s1"})
	if err == nil {
		_, err = bb.Recv()
	}
	if status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("BaseBackup from a standby: %v, want FailedPrecondition", err)
	}
}

// The BaseBackup RPC on its own: chunks, then the LSN, the identity and a
// checksum; and the primary retains the WAL from the backup's LSN for
// the standby that asked.
func TestBaseBackupRPC(t *testing.T) {
	p := startPrimary(t, replication.ServerConfig{})
	p.node.payload = []byte(strings.Repeat("x", 2_500_000))
	end := appendRecs(t, p.wal, 1, 0, 5)
	bb, err := dial(t, p.addr).BaseBackup(t.Context(), &replicationpb.BaseBackupRequest{NodeId: "s9"})
	if err != nil {
		t.Fatal(err)
	}
	var data []byte
	var last *replicationpb.BaseBackupChunk
	chunks := 0
	for {
		c, err := bb.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data = append(data, c.GetData()...)
		chunks++
		last = c
	}
	written := p.node.backups()
	if len(written) != 1 || string(written[0]) != string(data) {
		t.Fatalf("received %d bytes, primary wrote %d backups", len(data), len(written))
	}
	if chunks < 3 {
		t.Fatalf("%d chunks for %d bytes, want several", chunks, len(data))
	}
	want := sha(data)
	if string(last.GetSha256()) != string(want[:]) || last.GetTotalBytes() != uint64(len(data)) ||
		lsn.LSN(last.GetLsn()) != end || last.GetClusterId() != testCluster || len(last.GetHistory()) != 1 || len(last.GetData()) != 0 {
		t.Fatalf("last chunk = lsn %d total %d cluster %q history %v", last.GetLsn(), last.GetTotalBytes(), last.GetClusterId(), last.GetHistory())
	}
	info, ok := findStandby(p.srv.Standbys(), "s9")
	if !ok || info.State != "disconnected" || info.FlushedLSN != end {
		t.Fatalf("Standbys() after a base backup = %+v, want s9 disconnected at %s", p.srv.Standbys(), end)
	}
	if from, ok := p.srv.RetainFrom(); !ok || from != end {
		t.Fatalf("RetainFrom() = %s, %v; want %s", from, ok, end)
	}
}

func TestBaseBackupFailure(t *testing.T) {
	p := startPrimary(t, replication.ServerConfig{})
	p.node.failBackups = 1
	bb, err := dial(t, p.addr).BaseBackup(t.Context(), &replicationpb.BaseBackupRequest{NodeId: "s1"})
	if err == nil {
		for err == nil {
			_, err = bb.Recv()
		}
	}
	if status.Code(err) != codes.Internal || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("BaseBackup with a failing node: %v, want Internal naming the cause", err)
	}
	if got := p.srv.Standbys(); len(got) != 0 {
		t.Fatalf("a failed backup registered %+v", got)
	}
}
