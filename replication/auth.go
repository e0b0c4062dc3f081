package replication

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// DialOption returns the gRPC transport credentials of a node (nodeID)
// calling a peer's native port: the mutual handshake of handshake.go with
// the key derived from secret, inside TLS when t is not nil. The
// connection fails with ErrPeerNotInCluster when the peer cannot prove it
// knows the key, and with ErrPeerNotVerified when t is set and the peer's
// certificate does not verify.
func DialOption(secret, nodeID string, t *TLS) grpc.DialOption {
	return grpc.WithTransportCredentials(newClusterCreds(secret, nodeID, t))
}

// checkAuthenticated rejects calls on a connection that did not complete
// the handshake (defence in depth: without it gRPC never gets the
// connection).
func checkAuthenticated(ctx context.Context) error {
	if p, ok := peer.FromContext(ctx); ok {
		if _, ok := p.AuthInfo.(AuthInfo); ok {
			return nil
		}
	}
	return status.Error(codes.Unauthenticated, "replication: connection did not prove the replication secret")
}

// authLog logs rejected connections, at most once per interval: a
// misconfigured standby retries every few seconds.
type authLog struct {
	log      *slog.Logger
	interval time.Duration
	mu       sync.Mutex
	last     time.Time
}

func (a *authLog) reject(remote net.Addr, peerID string, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if now := time.Now(); now.Sub(a.last) >= a.interval {
		a.last = now
		addr := ""
		if remote != nil {
			addr = remote.String()
		}
		if errors.Is(err, errTLSRefused) {
			a.log.Warn("replication: refused a native-port connection whose TLS handshake failed (a peer without --native-tls, or whose certificate does not chain to --native-tls-ca-file)",
				"peer", addr, "err", err)
			return
		}
		a.log.Warn("replication: refused a connection that did not prove the replication secret (check --replication-secret, or --password when it is not set, on both nodes)",
			"peer", addr, "peer_node_id", peerID, "err", err)
	}
}

func unaryAuth(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	if err := checkAuthenticated(ctx); err != nil {
		return nil, err
	}
	return h(ctx, req)
}

func streamAuth(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	if err := checkAuthenticated(ss.Context()); err != nil {
		return err
	}
	return h(srv, ss)
}

// ServerOption returns the gRPC server credentials of a node (nodeID)
// serving the native port with secret, inside TLS when t is not nil: the
// server side of DialOption. Server.GRPCServer uses it; tests serving
// their own gRPC server do too.
func ServerOption(secret, nodeID string, t *TLS) grpc.ServerOption {
	return grpc.Creds(newClusterCreds(secret, nodeID, t))
}
