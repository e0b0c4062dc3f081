package replication

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"google.golang.org/grpc/credentials"
)

// The native port's authentication (doc.go, "Authentication"): a mutual
// challenge–response over the raw connection, before gRPC speaks, that
// proves knowledge of the cluster key without sending it, followed by an
// encrypted, authenticated record layer keyed from the exchange.
//
//	client → server  hello:  magic, client nonce, client X25519 key, client node id
//	server → client  hello:  magic, server nonce, server X25519 key, server node id,
//	                         HMAC(K, "server" ‖ H(transcript))
//	client → server  proof:  HMAC(K, "client" ‖ H(transcript))   (only once the server proved)
//	server → client  verdict: 0 accepted, 1 refused
//
// K is the cluster key (DeriveKey). Keys for each direction come from
// HKDF(X25519 shared secret, salt K, transcript): a listener that does not
// know K cannot produce the server proof, so a node never sends its own
// proof to it, and nothing it sees (nonces, ephemeral keys, the client's
// node id) can be replayed or relayed into a session with a real node: the
// proofs bind both nonces and both ephemeral keys, and the session keys
// need both K and an ephemeral private key.

const (
	handshakeMagic   = "HDBR\x01"
	nonceLen         = 32
	maxHelloLen      = 1024
	handshakeTimeout = 10 * time.Second
	// kdfIterations and kdfSalt define DeriveKey; every node must use the
	// same values (they are part of the protocol).
	kdfIterations = 100_000
	kdfSalt       = "heliosdb-nano replication key v1"
)

// ErrPeerNotInCluster is returned by the client side when the server could
// not prove that it knows the cluster key: it is not a node of this cluster
// (or its --replication-secret differs). Nothing reusable was sent to it.
var ErrPeerNotInCluster = errors.New("replication: the peer did not prove it knows the replication secret (not a node of this cluster, or --replication-secret differs); nothing was sent to it")

// errRefused is the client's error when the server refused its proof.
var errRefused = errors.New("replication: the peer refused our replication secret (--replication-secret, or --password when it is not set, must match on every node)")

// Key is the cluster key both sides prove knowledge of.
type Key [32]byte

var (
	keyMu    sync.Mutex
	keyCache = map[string]Key{}
)

// DeriveKey turns a replication secret (or the database password, its
// default) into the cluster key with PBKDF2-HMAC-SHA256 (100,000
// iterations, a fixed salt), so the proofs on the wire do not allow a fast
// offline guess of the password. Results are memoised per process.
func DeriveKey(secret string) Key {
	keyMu.Lock()
	defer keyMu.Unlock()
	if k, ok := keyCache[secret]; ok {
		return k
	}
	b, err := pbkdf2.Key(sha256.New, secret, []byte(kdfSalt), kdfIterations, 32)
	if err != nil {
		panic(fmt.Sprintf("replication: pbkdf2: %v", err)) // only for invalid parameters
	}
	var k Key
	copy(k[:], b)
	keyCache[secret] = k
	return k
}

// hello is one side's first message.
type hello struct {
	nonce  [nonceLen]byte
	pub    []byte // X25519 public key
	nodeID string
}

func (h hello) marshal() []byte {
	b := append([]byte(handshakeMagic), h.nonce[:]...)
	b = append(b, h.pub...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(h.nodeID)))
	return append(b, h.nodeID...)
}

func parseHello(b []byte) (hello, error) {
	var h hello
	const fixed = len(handshakeMagic) + nonceLen + 32 + 2
	if len(b) < fixed || !bytes.HasPrefix(b, []byte(handshakeMagic)) {
		return h, errors.New("replication: not a HeliosDB replication handshake")
	}
	b = b[len(handshakeMagic):]
	copy(h.nonce[:], b)
	h.pub = bytes.Clone(b[nonceLen : nonceLen+32])
	n := int(binary.BigEndian.Uint16(b[nonceLen+32:]))
	if len(b) != nonceLen+32+2+n {
		return h, errors.New("replication: malformed handshake")
	}
	h.nodeID = string(b[nonceLen+34:])
	return h, nil
}

func newHello(nodeID string) (hello, *ecdh.PrivateKey, error) {
	priv, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return hello{}, nil, err
	}
	h := hello{pub: priv.PublicKey().Bytes(), nodeID: nodeID}
	_, _ = rand.Read(h.nonce[:])
	if len(nodeID) > maxHelloLen/2 {
		h.nodeID = nodeID[:maxHelloLen/2]
	}
	return h, priv, nil
}

// transcript hashes both hellos.
func transcript(client, server []byte) []byte {
	h := sha256.New()
	for _, b := range [][]byte{client, server} {
		_ = binary.Write(h, binary.BigEndian, uint32(len(b)))
		h.Write(b)
	}
	return h.Sum(nil)
}

func proof(k Key, label string, th []byte) []byte {
	m := hmac.New(sha256.New, k[:])
	m.Write([]byte("heliosdb replication " + label + " proof\x00"))
	m.Write(th)
	return m.Sum(nil)
}

// sessionKeys derives the client→server and server→client record keys.
func sessionKeys(k Key, priv *ecdh.PrivateKey, peerPub, th []byte) (c2s, s2c []byte, err error) {
	pub, err := ecdh.X25519().NewPublicKey(peerPub)
	if err != nil {
		return nil, nil, fmt.Errorf("replication: handshake: peer key: %w", err)
	}
	shared, err := priv.ECDH(pub)
	if err != nil {
		return nil, nil, fmt.Errorf("replication: handshake: %w", err)
	}
	keys, err := hkdf.Key(sha256.New, shared, k[:], "heliosdb replication record keys\x00"+string(th), 64)
	if err != nil {
		return nil, nil, err
	}
	return keys[:32], keys[32:], nil
}

// writeFrame and readFrame carry the handshake messages: a 2-byte length
// and the bytes.
func writeFrame(w io.Writer, b []byte) error {
	_, err := w.Write(binary.BigEndian.AppendUint16(nil, uint16(len(b))))
	if err == nil {
		_, err = w.Write(b)
	}
	return err
}

func readFrame(r io.Reader) ([]byte, error) {
	var n [2]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, err
	}
	l := int(binary.BigEndian.Uint16(n[:]))
	if l > maxHelloLen {
		return nil, errors.New("replication: handshake message too long")
	}
	b := make([]byte, l)
	_, err := io.ReadFull(r, b)
	return b, err
}

// clientHandshake runs the client side on conn; it returns the secured
// connection and the server's node id.
func clientHandshake(conn net.Conn, k Key, nodeID string) (net.Conn, string, error) {
	mine, priv, err := newHello(nodeID)
	if err != nil {
		return nil, "", err
	}
	hc := mine.marshal()
	if err := writeFrame(conn, hc); err != nil {
		return nil, "", fmt.Errorf("replication: handshake: %w", err)
	}
	sb, err := readFrame(conn)
	if err != nil || len(sb) < sha256.Size {
		return nil, "", fmt.Errorf("%w (%v)", ErrPeerNotInCluster, orShort(err))
	}
	hs, sp := sb[:len(sb)-sha256.Size], sb[len(sb)-sha256.Size:]
	theirs, err := parseHello(hs)
	if err != nil {
		return nil, "", fmt.Errorf("%w (%v)", ErrPeerNotInCluster, err)
	}
	th := transcript(hc, hs)
	if !hmac.Equal(sp, proof(k, "server", th)) {
		return nil, "", ErrPeerNotInCluster
	}
	if err := writeFrame(conn, proof(k, "client", th)); err != nil {
		return nil, "", fmt.Errorf("replication: handshake: %w", err)
	}
	verdict, err := readFrame(conn)
	if err != nil || len(verdict) != 1 || verdict[0] != 0 {
		return nil, "", errRefused
	}
	c2s, s2c, err := sessionKeys(k, priv, theirs.pub, th)
	if err != nil {
		return nil, "", err
	}
	sc, err := newSecureConn(conn, c2s, s2c)
	return sc, theirs.nodeID, err
}

// serverHandshake runs the server side; errRefused-like failures have been
// answered with a refusal verdict.
func serverHandshake(conn net.Conn, k Key, nodeID string) (net.Conn, string, error) {
	hc, err := readFrame(conn)
	if err != nil {
		return nil, "", fmt.Errorf("replication: handshake: %w", err)
	}
	theirs, err := parseHello(hc)
	if err != nil {
		return nil, "", err
	}
	mine, priv, err := newHello(nodeID)
	if err != nil {
		return nil, "", err
	}
	hs := mine.marshal()
	th := transcript(hc, hs)
	if err := writeFrame(conn, append(hs, proof(k, "server", th)...)); err != nil {
		return nil, "", fmt.Errorf("replication: handshake: %w", err)
	}
	cp, err := readFrame(conn)
	if err != nil {
		return nil, "", fmt.Errorf("replication: handshake: %w", err)
	}
	if !hmac.Equal(cp, proof(k, "client", th)) {
		_ = writeFrame(conn, []byte{1})
		return nil, theirs.nodeID, errWrongSecret
	}
	if err := writeFrame(conn, []byte{0}); err != nil {
		return nil, "", fmt.Errorf("replication: handshake: %w", err)
	}
	c2s, s2c, err := sessionKeys(k, priv, theirs.pub, th)
	if err != nil {
		return nil, "", err
	}
	sc, err := newSecureConn(conn, s2c, c2s)
	return sc, theirs.nodeID, err
}

var errWrongSecret = errors.New("replication: the client did not prove the replication secret")

func orShort(err error) error {
	if err == nil {
		return errors.New("short answer")
	}
	return err
}

// clusterCreds are gRPC transport credentials running the handshake.
type clusterCreds struct {
	key    Key
	nodeID string
	tls    *TLS                                            // nil: no TLS under the handshake
	onFail func(remote net.Addr, peerID string, err error) // server side; may be nil
}

// AuthInfo describes an authenticated native-port connection.
type AuthInfo struct {
	credentials.CommonAuthInfo
	PeerNodeID string // as the peer named itself
}

// AuthType implements credentials.AuthInfo.
func (AuthInfo) AuthType() string { return "heliosdb-cluster" }

func newClusterCreds(secret, nodeID string, t *TLS) *clusterCreds {
	return &clusterCreds{key: DeriveKey(secret), nodeID: nodeID, tls: t}
}

func (c *clusterCreds) ClientHandshake(ctx context.Context, authority string, conn net.Conn) (net.Conn, credentials.AuthInfo, error) {
	dl, ok := ctx.Deadline()
	if !ok || time.Until(dl) > handshakeTimeout {
		dl = time.Now().Add(handshakeTimeout)
	}
	_ = conn.SetDeadline(dl)
	defer func() { _ = conn.SetDeadline(time.Time{}) }()
	inner := conn
	if c.tls != nil {
		tc, err := c.tls.client(ctx, conn, authority)
		if err != nil {
			return nil, nil, err
		}
		inner = tc
	}
	sc, peer, err := clientHandshake(inner, c.key, c.nodeID)
	if err != nil {
		return nil, nil, err
	}
	return sc, authInfo(peer), nil
}

func (c *clusterCreds) ServerHandshake(conn net.Conn) (net.Conn, credentials.AuthInfo, error) {
	_ = conn.SetDeadline(time.Now().Add(handshakeTimeout))
	defer func() { _ = conn.SetDeadline(time.Time{}) }()
	inner := conn
	if c.tls != nil {
		ctx, cancel := context.WithTimeout(context.Background(), handshakeTimeout)
		tc, err := c.tls.server(ctx, conn)
		cancel()
		if err != nil {
			if c.onFail != nil {
				c.onFail(conn.RemoteAddr(), "", err)
			}
			return nil, nil, err
		}
		inner = tc
	}
	sc, peer, err := serverHandshake(inner, c.key, c.nodeID)
	if err != nil {
		if c.onFail != nil {
			c.onFail(conn.RemoteAddr(), peer, err)
		}
		return nil, nil, err
	}
	return sc, authInfo(peer), nil
}

func authInfo(peer string) AuthInfo {
	return AuthInfo{CommonAuthInfo: credentials.CommonAuthInfo{SecurityLevel: credentials.PrivacyAndIntegrity}, PeerNodeID: peer}
}

func (c *clusterCreds) Info() credentials.ProtocolInfo {
	if c.tls != nil {
		return credentials.ProtocolInfo{SecurityProtocol: "heliosdb-cluster+tls"}
	}
	return credentials.ProtocolInfo{SecurityProtocol: "heliosdb-cluster"}
}

func (c *clusterCreds) Clone() credentials.TransportCredentials {
	cp := *c
	return &cp
}

func (c *clusterCreds) OverrideServerName(string) error { return nil }
