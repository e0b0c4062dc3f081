package replication

import (
	"bytes"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// FuzzServerHandshake sends arbitrary bytes as the client's side of the
// native port's handshake (the first bytes a node reads from anyone who
// connects, before any authentication): serverHandshake must end with an
// error — the fuzzer cannot prove the secret — without panicking or
// hanging, and parseHello must accept only what marshal produces.
func FuzzServerHandshake(f *testing.F) {
	k := DeriveKey("fuzz-secret")
	h, _, err := newHello("standby-1")
	if err != nil {
		f.Fatal(err)
	}
	frame := func(b []byte) []byte { return append([]byte{byte(len(b) >> 8), byte(len(b))}, b...) }
	f.Add(frame(h.marshal()))
	f.Add(append(frame(h.marshal()), frame(make([]byte, 32))...))
	f.Add(frame([]byte(handshakeMagic)))
	f.Add([]byte{0xff, 0xff})
	f.Add([]byte("\x16\x03\x01\x00\x05hello")) // a TLS ClientHello's first bytes
	f.Fuzz(func(t *testing.T, data []byte) {
		if hl, err := parseHello(data); err == nil {
			if !bytes.Equal(hl.marshal(), data) {
				t.Fatalf("parseHello accepted %x, which marshals back as %x", data, hl.marshal())
			}
		}
		client, server := net.Pipe()
		defer client.Close()
		_ = server.SetDeadline(time.Now().Add(20 * time.Second))
		go func() {
			_, _ = client.Write(data)
			_ = client.Close()
		}()
		done := make(chan error, 1)
		go func() {
			_, _, err := serverHandshake(server, k, "primary")
			_ = server.Close()
			done <- err
		}()
		go func() { _, _ = io.Copy(io.Discard, client) }()
		select {
		case err := <-done:
			if err == nil {
				t.Fatal("the handshake succeeded without the secret")
			}
		case <-time.After(30 * time.Second):
			t.Fatal("serverHandshake did not return")
		}
	})
}

// FuzzSecureConnRead reads arbitrary bytes as the secured connection's
// records (what a man in the middle could send after the handshake): Read
// must fail with errRecord or a short read, never panic, and never
// allocate more than one bounded record.
func FuzzSecureConnRead(f *testing.F) {
	key := bytes.Repeat([]byte{7}, 32)
	var sealed bytes.Buffer
	w, err := newSecureConn(nopConn{Writer: &sealed}, key, key)
	if err != nil {
		f.Fatal(err)
	}
	if _, err := w.Write([]byte("hello records")); err != nil {
		f.Fatal(err)
	}
	f.Add(sealed.Bytes())
	f.Add([]byte{0, 0, 0, 16})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := newSecureConn(nopConn{Reader: bytes.NewReader(data)}, key, key)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 1024)
		for range 1000 {
			_, err := r.Read(buf)
			if err == nil {
				continue
			}
			if !errors.Is(err, errRecord) && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("unexpected error: %v", err)
			}
			if cap(r.rcipher) > maxRecord+r.rd.Overhead() {
				t.Fatalf("record buffer of %d bytes", cap(r.rcipher))
			}
			return
		}
		t.Fatal("Read does not end on finite input")
	})
}

// nopConn is a net.Conn over a reader or a writer.
type nopConn struct {
	net.Conn
	io.Reader
	io.Writer
}

func (c nopConn) Read(p []byte) (int, error)  { return c.Reader.Read(p) }
func (c nopConn) Write(p []byte) (int, error) { return c.Writer.Write(p) }
