package replication_test

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/heliosdb/nano/internal/tlsfiles/tlstest"
	"github.com/heliosdb/nano/proto/replicationpb"
	"github.com/heliosdb/nano/replication"
)

// nativeTLS is a replication.TLS from certificate files and a CA file.
func nativeTLS(t *testing.T, certFile, keyFile, caFile string, clientAuth bool) *replication.TLS {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("no certificate in", caFile)
	}
	return &replication.TLS{
		Certificate: func() *tls.Certificate { return &cert },
		Roots:       func() *x509.CertPool { return pool },
		ClientAuth:  clientAuth,
	}
}

// TestNativeTLS: with TLS on the native port, a client must verify the
// server's certificate (chain and host name) and, with ClientAuth, present
// one from the cluster's CA; a client without TLS is refused, whatever
// secret it knows. Every refused client is refused for Status, BaseBackup
// and Stream alike (same connection). Regression test for issue 15 point
// 4 (native port without TLS).
func TestNativeTLS(t *testing.T) {
	ca := tlstest.NewCA(t, "cluster")
	other := tlstest.NewCA(t, "other")
	srvCert, srvKey := ca.Issue(t, "primary", "127.0.0.1")
	cliCert, cliKey := ca.Issue(t, "standby", "127.0.0.1")
	strangerCert, strangerKey := other.Issue(t, "stranger", "127.0.0.1")

	for _, mutual := range []bool{false, true} {
		name := "server-auth"
		if mutual {
			name = "mutual"
		}
		t.Run(name, func(t *testing.T) {
			p := startPrimary(t, replication.ServerConfig{TLS: nativeTLS(t, srvCert, srvKey, ca.CertFile, mutual)})
			_, port, _ := net.SplitHostPort(p.addr)
			good := nativeTLS(t, cliCert, cliKey, ca.CertFile, false)
			cases := []struct {
				name   string
				addr   string
				tls    *replication.TLS
				secret string
				ok     bool
			}{
				{"no TLS, right secret", p.addr, nil, testSecret, false},
				{"trusts another CA", p.addr, nativeTLS(t, cliCert, cliKey, other.CertFile, false), testSecret, false},
				{"host name not in the certificate", "localhost:" + port, good, testSecret, false},
				{"verified TLS, wrong secret", p.addr, good, "guess", false},
				{"client certificate of another CA", p.addr, nativeTLS(t, strangerCert, strangerKey, ca.CertFile, false), testSecret, !mutual},
				{"verified TLS, right secret", p.addr, good, testSecret, true},
			}
			for _, tc := range cases {
				client := dialWith(t, tc.addr, replication.DialOption(tc.secret, "s1", tc.tls))
				resp, err := client.Status(t.Context(), &replicationpb.StatusRequest{})
				if tc.ok {
					if err != nil || resp.GetNodeId() != "p1" {
						t.Errorf("%s: Status = %v, %v; want p1's answer", tc.name, resp, err)
					}
					continue
				}
				if status.Code(err) != codes.Unavailable {
					t.Errorf("%s: Status = %v, %v; want Unavailable", tc.name, resp, err)
				}
			}
			if got := p.node.backups(); len(got) != 0 {
				t.Fatalf("refused clients made %d backups", len(got))
			}
		})
	}
}

// TestStandbyOverNativeTLS: a standby verifying the primary's certificate
// streams; one trusting another CA never does, and says why.
func TestStandbyOverNativeTLS(t *testing.T) {
	ca := tlstest.NewCA(t, "cluster")
	other := tlstest.NewCA(t, "other")
	srvCert, srvKey := ca.Issue(t, "primary", "127.0.0.1")
	cliCert, cliKey := ca.Issue(t, "standby", "127.0.0.1")
	p := startPrimary(t, replication.ServerConfig{TLS: nativeTLS(t, srvCert, srvKey, ca.CertFile, true)})
	end := appendRecs(t, p.wal, 1, 0, 10)

	bad := startStandby(t, p.addr, standbyOpts{nodeID: "s2", cfg: func(c *replication.StandbyConfig) {
		c.TLS = nativeTLS(t, cliCert, cliKey, other.CertFile, false)
	}})
	good := startStandby(t, p.addr, standbyOpts{cfg: func(c *replication.StandbyConfig) {
		c.TLS = nativeTLS(t, cliCert, cliKey, ca.CertFile, false)
	}})
	eventually(t, "the verifying standby streams", func() bool { return good.sb.Status().FlushedLSN == end })
	eventually(t, "the other standby reports the certificate", func() bool {
		return strings.Contains(bad.sb.Status().LastError, "certificate")
	})
	time.Sleep(20 * testMinBackoff) // let it retry a few times
	if st := bad.sb.Status(); st.Connected || st.FlushedLSN != 0 || bad.wal.EndLSN() != 0 {
		t.Fatalf("standby trusting another CA streamed: %+v", st)
	}
	if _, ok := findStandby(p.srv.Standbys(), "s2"); ok {
		t.Fatalf("primary registered the unverified standby: %+v", p.srv.Standbys())
	}
}

// TestNativeTLSSendsNothingToUnverifiedPeer: a node with TLS pointed at a
// listener that is not a verified node of the cluster (a plain TCP
// listener answering garbage, as a fake primary would) sends it a TLS
// ClientHello and nothing of the handshake inside (no magic, no node id,
// no nonce of the secret exchange).
func TestNativeTLSSendsNothingToUnverifiedPeer(t *testing.T) {
	ca := tlstest.NewCA(t, "cluster")
	cert, key := ca.Issue(t, "standby", "127.0.0.1")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	got := make(chan []byte, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			got <- nil
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 64<<10)
		n, _ := c.Read(buf)
		_, _ = c.Write([]byte("HTTP/1.0 400 nope\r\n\r\n"))
		rest, _ := io.ReadAll(c)
		got <- append(buf[:n], rest...)
	}()
	client := dialWith(t, l.Addr().String(), replication.DialOption(testSecret, "standby-secret-node", nativeTLS(t, cert, key, ca.CertFile, false)))
	if _, err := client.Status(t.Context(), &replicationpb.StatusRequest{}); status.Code(err) != codes.Unavailable {
		t.Fatalf("Status against a fake peer: %v, want Unavailable", err)
	}
	b := <-got
	if len(b) == 0 || b[0] != 0x16 {
		t.Fatalf("first bytes %q: want a TLS handshake record", b[:min(len(b), 16)])
	}
	for _, s := range []string{"HDBR", "standby-secret-node", testSecret} {
		if strings.Contains(string(b), s) {
			t.Errorf("the fake peer received %q", s)
		}
	}
}
