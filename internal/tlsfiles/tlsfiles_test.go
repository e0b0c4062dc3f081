package tlsfiles_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/heliosdb/nano/internal/tlsfiles"
	"github.com/heliosdb/nano/internal/tlsfiles/tlstest"
)

// handshake runs a TLS handshake between srv and a client in mode m
// connecting to name.
func handshake(t *testing.T, srv *tls.Config, m tlsfiles.Mode, root, name string) error {
	t.Helper()
	cli, err := tlsfiles.ClientConfig(m, root, name)
	if err != nil {
		t.Fatal(err)
	}
	// Loopback TCP rather than net.Pipe: both sides of a failing TLS 1.3
	// handshake write at once, which an unbuffered pipe cannot take.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		b, err := l.Accept()
		if err != nil {
			return
		}
		defer b.Close()
		_ = b.SetDeadline(time.Now().Add(10 * time.Second))
		_ = tls.Server(b, srv).Handshake()
	}()
	a, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	_ = a.SetDeadline(time.Now().Add(10 * time.Second))
	return tls.Client(a, cli).Handshake()
}

func TestClientModes(t *testing.T) {
	ca := tlstest.NewCA(t, "ca")
	other := tlstest.NewCA(t, "other")
	cert, key := ca.Issue(t, "srv", "db.example")
	s, err := tlsfiles.Load(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		mode   tlsfiles.Mode
		root   string
		name   string
		wantOK bool
	}{
		{tlsfiles.ModeRequire, "", "anything", true},
		{tlsfiles.ModeVerifyCA, ca.CertFile, "other.name", true},
		{tlsfiles.ModeVerifyCA, other.CertFile, "db.example", false},
		{tlsfiles.ModeVerifyFull, ca.CertFile, "db.example", true},
		{tlsfiles.ModeVerifyFull, ca.CertFile, "other.name", false},
		{tlsfiles.ModeVerifyFull, other.CertFile, "db.example", false},
	} {
		err := handshake(t, s.Config(), tc.mode, tc.root, tc.name)
		if (err == nil) != tc.wantOK {
			t.Errorf("%s root=%s name=%s: %v", tc.mode, tc.root, tc.name, err)
		}
	}
	if _, err := tlsfiles.Load(cert, ca.CertFile); !errors.Is(err, tlsfiles.ErrNoCertificate) {
		t.Errorf("Load with a wrong key: %v", err)
	}
}

// TestReloadOnHUP: a SIGHUP to the process calls the reload function.
func TestReloadOnHUP(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	called := make(chan struct{}, 1)
	tlsfiles.ReloadOnHUP(ctx, slog.New(slog.DiscardHandler), func() error {
		called <- struct{}{}
		return nil
	})
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	select {
	case <-called:
	case <-time.After(10 * time.Second):
		t.Fatal("SIGHUP did not reload")
	}
}

// TestPoolReload: a Pool's Reload replaces its CAs; a reload of a file
// without certificates keeps them.
func TestPoolReload(t *testing.T) {
	a, b := tlstest.NewCA(t, "a"), tlstest.NewCA(t, "b")
	certA, keyA := a.Issue(t, "srv", "db.example")
	srv, err := tlsfiles.Load(certA, keyA)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "ca.crt")
	copyFile(t, b.CertFile, file)
	p, err := tlsfiles.LoadPool(file)
	if err != nil {
		t.Fatal(err)
	}
	verify := func() error {
		_, err := srv.Certificate().Leaf.Verify(x509.VerifyOptions{Roots: p.Get(), DNSName: "db.example"})
		return err
	}
	if verify() == nil {
		t.Fatal("a certificate of CA a verified against CA b")
	}
	copyFile(t, a.CertFile, file)
	if err := p.Reload(); err != nil {
		t.Fatal(err)
	}
	if err := verify(); err != nil {
		t.Fatalf("after reloading CA a: %v", err)
	}
	if err := os.WriteFile(file, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := p.Reload(); err == nil {
		t.Fatal("reloading a file without certificates succeeded")
	}
	if err := verify(); err != nil {
		t.Fatalf("a failed reload lost the CAs: %v", err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
