package node_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"os"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/heliosdb/nano/internal/clustertest"
	"github.com/heliosdb/nano/internal/tlsfiles/tlstest"
	"github.com/heliosdb/nano/node"
	"github.com/heliosdb/nano/proto/forwardpb"
	"github.com/heliosdb/nano/replication"
)

// forwardSelect1 opens a forwarded transaction on addr with opt and runs
// SELECT 1; it returns the call's status code and the command tag.
func forwardSelect1(t *testing.T, addr string, opt grpc.DialOption) (codes.Code, string) {
	t.Helper()
	cc, err := grpc.NewClient(addr, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	stream, err := forwardpb.NewForwardingClient(cc).Forward(ctx)
	if err != nil {
		return status.Code(err), ""
	}
	_ = stream.Send(&forwardpb.Request{Msg: &forwardpb.Request_Open{Open: &forwardpb.Open{StandbyNodeId: "intruder", User: "helios", Database: "heliosdb"}}})
	_ = stream.Send(&forwardpb.Request{Msg: &forwardpb.Request_Statement{Statement: &forwardpb.Statement{Sql: "SELECT 1"}}})
	for {
		r, err := stream.Recv()
		if err != nil {
			return status.Code(err), ""
		}
		if c := r.GetComplete(); c != nil {
			return codes.OK, c.GetTag()
		}
		if e := r.GetError(); e != nil {
			t.Fatalf("SELECT 1 forwarded: %s %s", e.GetCode(), e.GetMessage())
		}
	}
}

// TestForwardingNeedsTheNativeAuth: the Forwarding service sits behind the
// native port's authentication exactly as replication does — a client
// that does not prove the cluster secret (plain gRPC, a wrong secret),
// or, with --native-tls, one that does not speak TLS, never runs a
// statement; the right secret (inside TLS when required) does.
func TestForwardingNeedsTheNativeAuth(t *testing.T) {
	primary := clustertest.NewMember(t, "primary", clustertest.Options{}, func(c *node.Config) { c.Role = node.RolePrimary })
	primary.Start()
	secret := primary.Cfg.ReplicationSecret
	if secret == "" {
		secret = primary.Cfg.Password
	}

	ca := tlstest.NewCA(t, "cluster")
	tlsPrimary := nativeTLSMember(t, "tls-primary", ca, ca.CertFile, nil, nil)
	tlsPrimary.Start()
	cert, key := ca.Issue(t, "client", "127.0.0.1")
	pair, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	pem, err := os.ReadFile(ca.CertFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	clientTLS := &replication.TLS{Certificate: func() *tls.Certificate { return &pair }, Roots: func() *x509.CertPool { return roots }}

	for _, tc := range []struct {
		name string
		m    *clustertest.Member
		opt  grpc.DialOption
		want codes.Code
	}{
		{"plain gRPC", primary, grpc.WithTransportCredentials(insecure.NewCredentials()), codes.Unavailable},
		{"wrong secret", primary, replication.DialOption("guess", "s1", nil), codes.Unavailable},
		{"right secret", primary, replication.DialOption(secret, "s1", nil), codes.OK},
		{"native TLS: plain gRPC", tlsPrimary, grpc.WithTransportCredentials(insecure.NewCredentials()), codes.Unavailable},
		{"native TLS: right secret without TLS", tlsPrimary, replication.DialOption(secret, "s1", nil), codes.Unavailable},
		{"native TLS: wrong secret inside TLS", tlsPrimary, replication.DialOption("guess", "s1", clientTLS), codes.Unavailable},
		{"native TLS: right secret inside TLS", tlsPrimary, replication.DialOption(secret, "s1", clientTLS), codes.OK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, tag := forwardSelect1(t, tc.m.NativeAddr(), tc.opt)
			if code != tc.want {
				t.Fatalf("Forward: code %v, want %v", code, tc.want)
			}
			if tc.want == codes.OK && tag != "SELECT 1" {
				t.Fatalf("tag %q, want SELECT 1", tag)
			}
		})
	}
}
