package replication

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

const authKey = "authorization"

// secretCreds attaches the secret to every call of a client connection.
type secretCreds string

func (s secretCreds) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{authKey: "Bearer " + string(s)}, nil
}

// RequireTransportSecurity is false: the native port has no TLS yet
// (roadmap item 8), so the secret travels in clear text.
func (secretCreds) RequireTransportSecurity() bool { return false }

// checkSecret rejects calls that do not carry secret.
func checkSecret(ctx context.Context, secret string) error {
	md, _ := metadata.FromIncomingContext(ctx)
	var got string
	if v := md.Get(authKey); len(v) > 0 {
		got = strings.TrimPrefix(v[0], "Bearer ")
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(secret)) != 1 {
		return status.Error(codes.Unauthenticated, "replication: wrong or missing replication secret (--replication-secret must match on every node)")
	}
	return nil
}

// authLog logs rejected calls, at most once per interval: a misconfigured
// standby retries every few seconds.
type authLog struct {
	log      *slog.Logger
	interval time.Duration
	mu       sync.Mutex
	last     time.Time
}

func (a *authLog) reject(ctx context.Context, method string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if now := time.Now(); now.Sub(a.last) >= a.interval {
		a.last = now
		a.log.Warn("replication: rejected a call without the right replication secret (check --replication-secret on both nodes)",
			"peer", peerAddr(ctx), "method", method)
	}
}

func unaryAuth(secret string, a *authLog) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if err := checkSecret(ctx, secret); err != nil {
			a.reject(ctx, info.FullMethod)
			return nil, err
		}
		return h(ctx, req)
	}
}

func streamAuth(secret string, a *authLog) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
		if err := checkSecret(ss.Context(), secret); err != nil {
			a.reject(ss.Context(), info.FullMethod)
			return err
		}
		return h(srv, ss)
	}
}
