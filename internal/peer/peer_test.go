package peer_test

import (
	"net"
	"testing"
	"time"

	"github.com/heliosdb/nano/internal/peer"
)

// pair returns the server and client ends of a fresh TCP connection.
func pair(t *testing.T) (srv, cli *net.TCPConn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(); c.Close() })
	return s.(*net.TCPConn), c.(*net.TCPConn)
}

// settle polls Check until it reports want (the kernel delivers FIN/RST
// asynchronously) or a second passes.
func settle(t *testing.T, nc net.Conn, want peer.State) (peer.State, []byte) {
	t.Helper()
	buf := make([]byte, 16)
	deadline := time.Now().Add(time.Second)
	for {
		st, n := peer.Check(nc, buf)
		if st == want || time.Now().After(deadline) {
			return st, buf[:n]
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCheck(t *testing.T) {
	t.Run("open idle", func(t *testing.T) {
		s, _ := pair(t)
		if st, _ := peer.Check(s, nil); st != peer.Open {
			t.Fatalf("got %v, want open", st)
		}
	})
	t.Run("open with pending bytes, which stay readable", func(t *testing.T) {
		s, c := pair(t)
		c.Write([]byte("hello"))
		time.Sleep(50 * time.Millisecond)
		if st, _ := peer.Check(s, make([]byte, 8)); st != peer.Open {
			t.Fatalf("got %v, want open", st)
		}
		got := make([]byte, 5)
		if _, err := s.Read(got); err != nil || string(got) != "hello" {
			t.Fatalf("read after check: %q, %v", got, err)
		}
	})
	t.Run("closed", func(t *testing.T) {
		s, c := pair(t)
		c.Close()
		if st, _ := settle(t, s, peer.Closed); st != peer.Closed {
			t.Fatalf("got %v, want closed", st)
		}
	})
	t.Run("reset", func(t *testing.T) {
		s, c := pair(t)
		c.SetLinger(0)
		c.Close()
		if st, _ := settle(t, s, peer.Closed); st != peer.Closed {
			t.Fatalf("got %v, want closed", st)
		}
	})
	t.Run("closed after data", func(t *testing.T) {
		s, c := pair(t)
		c.Write([]byte("bye"))
		c.CloseWrite()
		st, b := settle(t, s, peer.ClosedAfterData)
		if st != peer.ClosedAfterData || string(b) != "bye" {
			t.Fatalf("got %v %q, want closed after data \"bye\"", st, b)
		}
	})
	t.Run("not a socket", func(t *testing.T) {
		a, b := net.Pipe()
		defer a.Close()
		defer b.Close()
		if st, _ := peer.Check(a, nil); st != peer.Unknown {
			t.Fatalf("got %v, want unknown", st)
		}
	})
}
