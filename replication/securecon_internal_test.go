package replication

import (
	"bytes"
	"errors"
	"io"
	"net"
	"testing"
)

// tamperConn flips one byte of what passes through at offset at.
type tamperConn struct {
	net.Conn
	at, seen int
}

func (c *tamperConn) Write(p []byte) (int, error) {
	q := bytes.Clone(p)
	if i := c.at - c.seen; i >= 0 && i < len(q) {
		q[i] ^= 0x01
	}
	c.seen += len(p)
	return c.Conn.Write(q)
}

// A record altered in transit fails to open and ends the connection;
// unaltered records of any size round-trip.
func TestSecureConnRecords(t *testing.T) {
	k1, k2 := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	payload := bytes.Repeat([]byte("wal record "), 10_000) // > maxRecord: several records
	for _, tc := range []struct {
		name   string
		tamper int // -1: none
	}{{"intact", -1}, {"header", 2}, {"ciphertext", 100}, {"tag of the second record", maxRecord + 16 + 4 + 4 + 1}} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := net.Pipe()
			defer a.Close()
			defer b.Close()
			var wc net.Conn = a
			if tc.tamper >= 0 {
				wc = &tamperConn{Conn: a, at: tc.tamper}
			}
			w, _ := newSecureConn(wc, k1, k2)
			r, _ := newSecureConn(b, k2, k1)
			go func() { w.Write(payload); a.Close() }()
			got, err := io.ReadAll(r)
			if tc.tamper < 0 {
				if err != nil || !bytes.Equal(got, payload) {
					t.Fatalf("intact: %d bytes, %v", len(got), err)
				}
				return
			}
			if !errors.Is(err, errRecord) {
				t.Fatalf("tampered: read %d bytes, err %v; want errRecord", len(got), err)
			}
		})
	}
}
