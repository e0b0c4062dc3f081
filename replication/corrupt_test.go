package replication_test

import (
	"crypto/sha256"
	"encoding/binary"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/proto/replicationpb"
	"github.com/heliosdb/nano/replication"
	"github.com/heliosdb/nano/wal"
)

// scriptedPrimary answers every Stream call with the messages script
// returns for the standby's Hello, then waits for the standby to hang up.
type scriptedPrimary struct {
	replicationpb.UnimplementedReplicationServer
	script func(h *replicationpb.Hello) []*replicationpb.PrimaryMessage
	calls  atomic.Int32
	// backup, if set, serves BaseBackup.
	backup  func(stream replicationpb.Replication_BaseBackupServer) error
	backups atomic.Int32
}

func (p *scriptedPrimary) BaseBackup(_ *replicationpb.BaseBackupRequest, stream replicationpb.Replication_BaseBackupServer) error {
	p.backups.Add(1)
	return p.backup(stream)
}

func (p *scriptedPrimary) Stream(stream replicationpb.Replication_StreamServer) error {
	p.calls.Add(1)
	msg, err := stream.Recv()
	if err != nil {
		return err
	}
	for _, m := range p.script(msg.GetHello()) {
		if err := stream.Send(m); err != nil {
			return err
		}
	}
	for {
		if _, err := stream.Recv(); err != nil {
			return nil
		}
	}
}

func welcome(cluster string, start lsn.LSN) *replicationpb.PrimaryMessage {
	return &replicationpb.PrimaryMessage{Msg: &replicationpb.PrimaryMessage_Welcome{Welcome: &replicationpb.Welcome{
		ClusterId: cluster, PrimaryNodeId: "fake", History: []*replicationpb.TermStart{{Term: 1}}, StartLsn: uint64(start)}}}
}

func records(rs ...*replicationpb.WalRecord) *replicationpb.PrimaryMessage {
	return &replicationpb.PrimaryMessage{Msg: &replicationpb.PrimaryMessage_Records{Records: &replicationpb.Records{Records: rs}}}
}

// walRecord frames r at position at as the primary would send it, with
// its CRC32C xor-ed with crcFlip.
func walRecord(r wal.Record, at lsn.LSN, crcFlip uint32) *replicationpb.WalRecord {
	r.LSN = at
	crc := binary.LittleEndian.Uint32(wal.EncodeRecord(nil, r))
	return &replicationpb.WalRecord{Lsn: uint64(at), Term: r.Term, TimestampMicros: r.Timestamp, Type: uint32(r.Type), Data: r.Data, Crc32C: crc ^ crcFlip}
}

// TestBadStreamsAreNotApplied streams damaged or inconsistent data from a
// scripted primary: the standby must never append or apply any of it,
// and must keep retrying.
func TestBadStreamsAreNotApplied(t *testing.T) {
	next := func(h *replicationpb.Hello, i int) (wal.Record, lsn.LSN) { // record i after the standby's end
		r := rec(1, 100+i)
		at := lsn.LSN(h.GetFlushedLsn())
		for k := range i {
			prev := rec(1, 100+k)
			prev.LSN = at
			at = prev.End()
		}
		return r, at
	}
	for _, tc := range []struct {
		name    string
		script  func(h *replicationpb.Hello) []*replicationpb.PrimaryMessage
		want    string
		crcErrs bool
	}{
		{
			name: "wrong crc",
			script: func(h *replicationpb.Hello) []*replicationpb.PrimaryMessage {
				r, at := next(h, 0)
				return []*replicationpb.PrimaryMessage{welcome(testCluster, at), records(walRecord(r, at, 1))}
			},
			want: "failed its CRC check", crcErrs: true,
		},
		{
			name: "good record then wrong crc in one batch",
			script: func(h *replicationpb.Hello) []*replicationpb.PrimaryMessage {
				r0, at0 := next(h, 0)
				r1, at1 := next(h, 1)
				return []*replicationpb.PrimaryMessage{welcome(testCluster, at0), records(walRecord(r0, at0, 0), walRecord(r1, at1, 0x80000000))}
			},
			want: "failed its CRC check", crcErrs: true,
		},
		{
			name: "payload changed in transit",
			script: func(h *replicationpb.Hello) []*replicationpb.PrimaryMessage {
				r, at := next(h, 0)
				pb := walRecord(r, at, 0)
				pb.Data = []byte(strings.ToUpper(string(pb.Data)))
				return []*replicationpb.PrimaryMessage{welcome(testCluster, at), records(pb)}
			},
			want: "failed its CRC check", crcErrs: true,
		},
		{
			name: "gap",
			script: func(h *replicationpb.Hello) []*replicationpb.PrimaryMessage {
				r, at := next(h, 1)
				return []*replicationpb.PrimaryMessage{welcome(testCluster, lsn.LSN(h.GetFlushedLsn())), records(walRecord(r, at, 0))}
			},
			want: "does not follow the local WAL end",
		},
		{
			name: "invalid type",
			script: func(h *replicationpb.Hello) []*replicationpb.PrimaryMessage {
				r, at := next(h, 0)
				pb := walRecord(r, at, 0)
				pb.Type = 256 + uint32(r.Type) // same low byte, same CRC
				return []*replicationpb.PrimaryMessage{welcome(testCluster, at), records(pb)}
			},
			want: "invalid type 257",
		},
		{
			name: "welcome from another cluster",
			script: func(h *replicationpb.Hello) []*replicationpb.PrimaryMessage {
				r, at := next(h, 0)
				return []*replicationpb.PrimaryMessage{welcome("cluster-b", at), records(walRecord(r, at, 0))}
			},
			want: "primary fake belongs to cluster cluster-b",
		},
		{
			name: "welcome at another position",
			script: func(h *replicationpb.Hello) []*replicationpb.PrimaryMessage {
				r, at := next(h, 1)
				return []*replicationpb.PrimaryMessage{welcome(testCluster, at), records(walRecord(r, at, 0))}
			},
			want: "primary would stream from",
		},
		{
			name: "no welcome",
			script: func(h *replicationpb.Hello) []*replicationpb.PrimaryMessage {
				r, at := next(h, 0)
				return []*replicationpb.PrimaryMessage{records(walRecord(r, at, 0))}
			},
			want: "expected Welcome",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := &scriptedPrimary{script: tc.script}
			g := grpc.NewServer(replication.ServerOption(testSecret, "fake-primary", nil))
			replicationpb.RegisterReplicationServer(g, fake)
			addr := serveGRPC(t, g)

			reg := prometheus.NewRegistry()
			sw := openWAL(t)
			appendRecs(t, sw, 1, 0, 3) // the standby already holds some WAL
			end := sw.EndLSN()
			s := startStandby(t, addr, standbyOpts{wal: sw, cfg: func(c *replication.StandbyConfig) { c.Registerer = reg }})

			eventually(t, "standby retried several times", func() bool {
				return fake.calls.Load() >= 3 && strings.Contains(s.sb.Status().LastError, tc.want)
			})
			s.stop()
			if got := sw.EndLSN(); got != end {
				t.Fatalf("standby WAL end moved from %s to %s", end, got)
			}
			if got := sw.FlushedLSN(); got != end {
				t.Fatalf("standby WAL flushed moved from %s to %s", end, got)
			}
			if applies, _, _ := s.target.stats(); applies != 0 {
				t.Fatalf("Target.Apply called %d times", applies)
			}
			if got := counterValue(t, reg, "helios_replication_crc_errors_total"); (got > 0) != tc.crcErrs {
				t.Fatalf("crc error counter = %v, want >0: %v", got, tc.crcErrs)
			}
		})
	}
}

// TestCorruptBaseBackupNotInstalled serves base backups that do not match
// their final checksum chunk: the standby must never install one.
func TestCorruptBaseBackupNotInstalled(t *testing.T) {
	data := []byte(strings.Repeat("backup bytes ", 1000))
	good := sha256.Sum256(data)
	for _, tc := range []struct {
		name string
		last *replicationpb.BaseBackupChunk
		want string
	}{
		{"wrong checksum", &replicationpb.BaseBackupChunk{Lsn: 64, Sha256: make([]byte, 32), TotalBytes: uint64(len(data))}, "checksum mismatch"},
		{"wrong size", &replicationpb.BaseBackupChunk{Lsn: 64, Sha256: good[:], TotalBytes: uint64(len(data) + 1)}, "checksum mismatch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := &scriptedPrimary{
				script: func(*replicationpb.Hello) []*replicationpb.PrimaryMessage {
					return []*replicationpb.PrimaryMessage{{Msg: &replicationpb.PrimaryMessage_NeedBaseBackup{
						NeedBaseBackup: &replicationpb.NeedBaseBackup{Reason: "empty"}}}}
				},
				backup: func(stream replicationpb.Replication_BaseBackupServer) error {
					if err := stream.Send(&replicationpb.BaseBackupChunk{Data: data}); err != nil {
						return err
					}
					return stream.Send(tc.last)
				},
			}
			g := grpc.NewServer(replication.ServerOption(testSecret, "fake-primary", nil))
			replicationpb.RegisterReplicationServer(g, fake)
			addr := serveGRPC(t, g)
			tempDir := t.TempDir()
			s := startStandby(t, addr, standbyOpts{id: &replication.Identity{NodeID: "s1"},
				cfg: func(c *replication.StandbyConfig) { c.TempDir = tempDir }})

			eventually(t, "several backups refused", func() bool {
				return fake.backups.Load() >= 3 && strings.Contains(s.sb.Status().LastError, tc.want)
			})
			s.stop()
			if _, _, installs := s.target.stats(); len(installs) != 0 {
				t.Fatalf("installed %d corrupt backups", len(installs))
			}
			if left := basebackupLeftovers(t, tempDir); len(left) != 0 {
				t.Fatalf("temporary backup files left behind: %v", left)
			}
		})
	}
}
