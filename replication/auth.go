package replication

import (
	"context"
	"crypto/subtle"
	"strings"

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

func unaryAuth(secret string) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if err := checkSecret(ctx, secret); err != nil {
			return nil, err
		}
		return h(ctx, req)
	}
}

func streamAuth(secret string) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
		if err := checkSecret(ss.Context(), secret); err != nil {
			return err
		}
		return h(srv, ss)
	}
}
