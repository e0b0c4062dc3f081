package replication_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heliosdb/nano/replication"
)

// recorder is a TCP listener that keeps every byte clients send it. With
// relay set it forwards both ways (a wire tap); otherwise it answers each
// client with answer (a listener pretending to be a primary).
type recorder struct {
	ln     net.Listener
	relay  string
	answer []byte
	mu     sync.Mutex
	got    bytes.Buffer // client → listener
	back   bytes.Buffer // relayed server → client
	conns  int
}

func newRecorder(t *testing.T, relay string, answer []byte) *recorder {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{ln: ln, relay: relay, answer: answer}
	t.Cleanup(func() { ln.Close() })
	go r.serve()
	return r
}

func (r *recorder) serve() {
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return
		}
		r.mu.Lock()
		r.conns++
		r.mu.Unlock()
		go r.handle(c)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (r *recorder) handle(c net.Conn) {
	defer c.Close()
	if r.relay == "" {
		if r.answer != nil {
			c.Write(r.answer)
		}
		io.Copy(lockedWriter{&r.mu, &r.got}, c)
		return
	}
	s, err := net.Dial("tcp", r.relay)
	if err != nil {
		return
	}
	defer s.Close()
	go func() {
		io.Copy(io.MultiWriter(c, lockedWriter{&r.mu, &r.back}), s)
		c.Close()
	}()
	io.Copy(io.MultiWriter(s, lockedWriter{&r.mu, &r.got}), c)
}

func (r *recorder) bytes() ([]byte, []byte, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return bytes.Clone(r.got.Bytes()), bytes.Clone(r.back.Bytes()), r.conns
}

// secretForms are the ways a secret could show up on the wire.
func secretForms(secret string) map[string][]byte {
	k := replication.DeriveKey(secret)
	return map[string][]byte{
		"secret": []byte(secret), "secret base64": []byte(base64.StdEncoding.EncodeToString([]byte(secret))),
		"derived key": k[:], "derived key hex": []byte(hex.EncodeToString(k[:])),
		"bearer": []byte("Bearer"), "authorization": []byte("authorization"),
	}
}

// A listener pretending to be a primary (as POST /admin/demote
// {"primary_host": ATTACKER} would make a node dial) gets only the
// standby's hello: nonce, ephemeral key and node id. It cannot answer with
// a valid server proof, so the standby sends no proof of its own and never
// the secret, however often it retries.
func TestFakePrimaryGetsNothingReusable(t *testing.T) {
	// The fake answers with a well-formed server hello and a made-up proof.
	fakeHello := append([]byte("HDBR\x01"), make([]byte, 64)...)
	fakeHello = append(fakeHello, 0, 4, 'e', 'v', 'i', 'l')
	fakeHello = append(fakeHello, make([]byte, 32)...)
	answer := append([]byte{byte(len(fakeHello) >> 8), byte(len(fakeHello))}, fakeHello...)
	for name, ans := range map[string][]byte{"silent": nil, "fake hello": answer} {
		t.Run(name, func(t *testing.T) {
			fake := newRecorder(t, "", ans)
			s := startStandby(t, fake.ln.Addr().String(), standbyOpts{})
			want := 3 // a silent listener holds the standby until the handshake timeout
			if ans == nil {
				want = 1
			}
			eventually(t, "the standby dialed the fake", func() bool { got, _, n := fake.bytes(); return n >= want && len(got) > 0 })
			lastErr := s.sb.Status().LastError
			s.stop()
			got, _, n := fake.bytes()
			for form, b := range secretForms(testSecret) {
				if bytes.Contains(got, b) {
					t.Errorf("the fake primary received the %s", form)
				}
			}
			// Each connection carried one hello frame and nothing more: 2
			// bytes of length, magic, nonce, key, id length, "s1".
			helloLen := 2 + 5 + 32 + 32 + 2 + len("s1")
			if len(got) > n*helloLen {
				t.Errorf("the standby sent %d bytes over %d connections, more than its hellos (%d each)", len(got), n, helloLen)
			}
			if ans != nil && !strings.Contains(lastErr, "replication secret") {
				t.Errorf("standby's error does not name the secret: %q", lastErr)
			}
		})
	}
}

// The secret never crosses the wire of a real session, and neither does
// the WAL in clear: the record layer is encrypted.
func TestReplicationWireCarriesNoSecretNorPlainWAL(t *testing.T) {
	p := startPrimary(t, replication.ServerConfig{})
	tap := newRecorder(t, p.addr, nil)
	appendRecs(t, p.wal, 1, 0, 20)
	s := startStandby(t, tap.ln.Addr().String(), standbyOpts{})
	eventually(t, "standby caught up through the tap", func() bool { return s.caughtUp(p) })
	s.stop()
	up, down, _ := tap.bytes()
	wire := append(up, down...)
	for form, b := range secretForms(testSecret) {
		if bytes.Contains(wire, b) {
			t.Errorf("the wire carries the %s", form)
		}
	}
	if bytes.Contains(wire, []byte("term 1 record")) {
		t.Error("WAL records cross the wire in clear")
	}
	if len(down) < 20*len("term 1 record 0") {
		t.Errorf("only %d bytes came back: the tap saw no session", len(down))
	}
}

// A standby with another secret is refused by a real primary, and its
// tampered or replayed bytes end the session.
func TestReplayedHandshakeIsRefused(t *testing.T) {
	p := startPrimary(t, replication.ServerConfig{})
	tap := newRecorder(t, p.addr, nil)
	s := startStandby(t, tap.ln.Addr().String(), standbyOpts{})
	eventually(t, "standby connected", func() bool { return s.sb.Status().Connected })
	s.stop()
	up, _, _ := tap.bytes()
	// Replaying everything the standby sent gets nothing: the primary's
	// nonce is new, so the old client proof does not match.
	c, err := net.Dial("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write(up)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	reply, _ := io.ReadAll(c)
	// The reply holds the server hello, then the refusal verdict (0,1,1)
	// and nothing after: no records.
	if !bytes.HasSuffix(reply, []byte{0, 1, 1}) {
		t.Errorf("replayed handshake: reply ends with %x, want the refusal verdict", reply[max(0, len(reply)-8):])
	}
}
