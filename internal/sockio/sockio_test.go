package sockio_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/heliosdb/nano/internal/sockio"
)

// pair returns both ends of a TCP connection on 127.0.0.1.
func pair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	acc := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept()
		acc <- c
	}()
	client, err = net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-acc
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

func mustNew(t *testing.T, c net.Conn) *sockio.Conn {
	t.Helper()
	s := sockio.New(c)
	if s == nil {
		t.Fatalf("sockio.New(%T) = nil", c)
	}
	return s
}

// slowRead reads n bytes from peer, slowly at first (a writer of more than
// the socket buffers must wait for room), runs then (if not nil) and sends
// what it read.
func slowRead(peer net.Conn, n int, then func()) <-chan []byte {
	got := make(chan []byte, 1)
	go func() {
		var buf bytes.Buffer
		chunk := make([]byte, 4096)
		for buf.Len() < n {
			k, err := peer.Read(chunk)
			buf.Write(chunk[:k])
			if err != nil {
				break
			}
			if buf.Len() < 1<<20 {
				time.Sleep(time.Millisecond)
			}
		}
		if then != nil {
			then()
		}
		got <- buf.Bytes()
	}()
	return got
}

// TestRoundTrip: bytes written through a Conn arrive intact, in both
// directions, including a write far larger than the socket buffers (the
// writer waits for room while the peer reads slowly) and a read that waits
// for data to arrive.
func TestRoundTrip(t *testing.T) {
	c, peer := pair(t)
	s := mustNew(t, c)

	big := make([]byte, 8<<20)
	rand.Read(big)
	got := slowRead(peer, len(big), nil)
	if n, err := s.Write(big); err != nil || n != len(big) {
		t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(big))
	}
	if b := <-got; !bytes.Equal(b, big) {
		t.Fatalf("peer got %d bytes, not what was written", len(b))
	}

	go func() {
		time.Sleep(20 * time.Millisecond) // the read below waits on the poller
		peer.Write([]byte("hello"))
	}()
	buf := make([]byte, 64)
	n, err := s.Read(buf)
	if err != nil || string(buf[:n]) != "hello" {
		t.Fatalf("Read = %q, %v", buf[:n], err)
	}
	if n, err := s.Read(nil); n != 0 || err != nil {
		t.Fatalf("Read(nil) = %d, %v", n, err)
	}
}

// TestEOF: the peer's close is io.EOF, after the bytes it sent.
func TestEOF(t *testing.T) {
	c, peer := pair(t)
	s := mustNew(t, c)
	peer.Write([]byte("last"))
	peer.Close()
	b, err := io.ReadAll(s)
	if err != nil || string(b) != "last" {
		t.Fatalf("ReadAll = %q, %v", b, err)
	}
	if _, err := s.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("Read after EOF: %v, want io.EOF", err)
	}
}

// TestDeadlineAndClose: a deadline set on the net.Conn (in the past, as
// the proxy does to wake a relay) ends a waiting Read with
// os.ErrDeadlineExceeded; Close from another goroutine ends it with
// net.ErrClosed; writing to a connection the peer reset fails.
func TestDeadlineAndClose(t *testing.T) {
	c, _ := pair(t)
	s := mustNew(t, c)
	done := make(chan error, 1)
	go func() {
		_, err := s.Read(make([]byte, 8))
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	c.SetReadDeadline(time.Now())
	if err := <-done; !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read after a past deadline: %v, want os.ErrDeadlineExceeded", err)
	}

	c.SetReadDeadline(time.Time{})
	go func() {
		_, err := s.Read(make([]byte, 8))
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	c.Close()
	if err := <-done; !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Read after Close: %v, want net.ErrClosed", err)
	}
	if _, err := s.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Write after Close: %v, want net.ErrClosed", err)
	}

	c2, peer2 := pair(t)
	s2 := mustNew(t, c2)
	peer2.(*net.TCPConn).SetLinger(0) // close with a reset
	peer2.Close()
	var err error
	for i := 0; i < 100 && err == nil; i++ { // the first write may still be accepted
		_, err = s2.Write(make([]byte, 1024))
		time.Sleep(time.Millisecond)
	}
	if err == nil {
		t.Fatal("writes to a reset connection kept succeeding")
	}
}

// TestNewRefusesOthers: only plain sockets get a Conn.
func TestNewRefusesOthers(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if s := sockio.New(a); s != nil {
		t.Fatal("sockio.New(net.Pipe()) is not nil")
	}
}

// TestWriteBeforeRead: a request handed to WriteBeforeRead is written by
// the next Read, which returns the answer — whether it comes at once
// (a thousand round trips with an echoing peer: a wake-up missed would
// hang one), late, or only after the peer has read a request far larger
// than the socket buffers (written in part inside the read, the rest
// waiting for room). A Write in between keeps the order; a deadline ends
// the wait after the request went out.
func TestWriteBeforeRead(t *testing.T) {
	c, peer := pair(t)
	s := mustNew(t, c)
	go func() { // echo every chunk, at once
		buf := make([]byte, 64<<10)
		for {
			n, err := peer.Read(buf)
			if err != nil {
				return
			}
			if _, err := peer.Write(buf[:n]); err != nil {
				return
			}
		}
	}()
	done := make(chan error, 1)
	go func() {
		buf := make([]byte, 64)
		for i := range 1000 {
			req := []byte{'q', byte(i), byte(i >> 8)}
			s.WriteBeforeRead(req)
			got := 0
			for got < len(req) {
				n, err := s.Read(buf[got:])
				if err != nil {
					done <- err
					return
				}
				got += n
			}
			if !bytes.Equal(buf[:got], req) {
				done <- errors.New("answer " + string(buf[:got]) + " is not the request")
				return
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("a round trip hung: the answer's arrival did not wake the read")
	}

	s.WriteBeforeRead([]byte("ab"))
	if _, err := s.Write([]byte("cd")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(s, buf); err != nil || string(buf) != "abcd" {
		t.Fatalf("echo after WriteBeforeRead then Write = %q, %v; want \"abcd\"", buf, err)
	}
}

func TestWriteBeforeReadLarge(t *testing.T) {
	c, peer := pair(t)
	s := mustNew(t, c)
	big := make([]byte, 8<<20)
	rand.Read(big)
	got := slowRead(peer, len(big), func() {
		time.Sleep(20 * time.Millisecond) // a late answer
		peer.Write([]byte("done"))
	})
	s.WriteBeforeRead(big)
	buf := make([]byte, 4)
	if _, err := io.ReadFull(s, buf); err != nil || string(buf) != "done" {
		t.Fatalf("answer = %q, %v", buf, err)
	}
	if b := <-got; !bytes.Equal(b, big) {
		t.Fatalf("peer got %d bytes, not what was written", len(b))
	}

	// A peer that never answers: the deadline ends the wait, after the
	// request was written.
	c.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
	s.WriteBeforeRead([]byte("ping"))
	if _, err := s.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read with no answer: %v, want os.ErrDeadlineExceeded", err)
	}
	peer.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(peer, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("peer read %q, %v; want the request", buf, err)
	}

	// A peer that is gone: the read fails instead of waiting.
	c.SetReadDeadline(time.Time{})
	peer.(*net.TCPConn).SetLinger(0)
	peer.Close()
	time.Sleep(10 * time.Millisecond)
	s.WriteBeforeRead([]byte("ping"))
	res := make(chan error, 1)
	go func() {
		_, err := s.Read(buf)
		res <- err
	}()
	select {
	case err := <-res:
		if err == nil {
			t.Fatal("Read after a request to a reset connection succeeded")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Read after a request to a reset connection hung")
	}
}
