package faultnet

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	return ln.Addr().String()
}

func roundTrip(c net.Conn, msg string, wait time.Duration) (string, error) {
	c.SetDeadline(time.Now().Add(wait))
	if _, err := c.Write([]byte(msg + "\n")); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return line, err
}

// Forwarding, a black-holing partition (a timeout, not a reset), the
// connections of the partition closed at the heal, new ones forwarded,
// and a delay that still delivers.
func TestPartitionHealDelay(t *testing.T) {
	p, err := Listen("127.0.0.1:0", echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got, err := roundTrip(c, "hello", 10*time.Second); err != nil || got != "hello\n" {
		t.Fatalf("before the partition: %q, %v", got, err)
	}
	p.Partition()
	if got, err := roundTrip(c, "lost", 300*time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("during the partition: %q, %v; want a timeout", got, err)
	}
	c2, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if got, err := roundTrip(c2, "new", 300*time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a new connection during the partition: %q, %v; want a timeout", got, err)
	}
	p.Heal()
	if got, err := roundTrip(c, "after", 10*time.Second); err == nil {
		t.Fatalf("a connection that lived through the partition still forwards: %q", got)
	}
	c3, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c3.Close()
	p.SetDelay(20 * time.Millisecond)
	if got, err := roundTrip(c3, "slow", 10*time.Second); err != nil || got != "slow\n" {
		t.Fatalf("with a delay: %q, %v", got, err)
	}
}
