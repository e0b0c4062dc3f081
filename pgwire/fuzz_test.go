package pgwire_test

import (
	"context"
	"log/slog"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/heliosdb/nano/pgwire"
	"github.com/heliosdb/nano/pgwire/pgwiretest"
)

// FuzzServerInput feeds arbitrary bytes to a live server, either from the
// first byte of the connection (startup phase) or after a valid startup
// (message phase). The server must answer or close without hanging, and
// keep serving other clients.
func FuzzServerInput(f *testing.F) {
	startup, _ := (&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30,
		Parameters: map[string]string{"user": "u"}}).Encode(nil)
	query, _ := (&pgproto3.Query{String: "SELECT 1"}).Encode(nil)
	parse, _ := (&pgproto3.Parse{Query: "SELECT id, name FROM items WHERE id = $1"}).Encode(nil)
	bind, _ := (&pgproto3.Bind{Parameters: [][]byte{[]byte("1")}, ResultFormatCodes: []int16{1}}).Encode(nil)
	exec, _ := (&pgproto3.Execute{MaxRows: 1}).Encode(nil)
	sync, _ := (&pgproto3.Sync{}).Encode(nil)
	ssl, _ := (&pgproto3.SSLRequest{}).Encode(nil)
	f.Add(false, startup)
	f.Add(false, append(ssl, startup...))
	f.Add(true, query)
	f.Add(true, append(append(append(append([]byte{}, parse...), bind...), exec...), sync...))
	f.Add(true, []byte{'Q', 0xff, 0xff, 0xff, 0xff})
	f.Add(true, []byte{'B', 0, 0, 0, 8, 0, 0, 0xff, 0xff})
	f.Add(false, []byte{0, 0, 0, 8, 0, 2, 0, 0})

	var panics errorCounter
	srv, err := pgwire.NewServer(pgwire.Config{AuthMethod: pgwire.AuthTrust, MaxMessageSize: 1 << 16,
		StartupTimeout: 2 * time.Second, Logger: slog.New(&panics)}, pgwiretest.NewFactory())
	if err != nil {
		f.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.Fatal(err)
	}
	go srv.Serve(l)
	f.Cleanup(func() { srv.Close() })
	addr := l.Addr().String()

	f.Fuzz(func(t *testing.T, afterStartup bool, data []byte) {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		defer nc.Close()
		_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
		if afterStartup {
			data = append(append([]byte{}, startup...), data...)
		}
		if _, err := nc.Write(data); err != nil {
			return // the server may close before reading everything
		}
		nc.(*net.TCPConn).CloseWrite()
		buf := make([]byte, 4096)
		for {
			if _, err := nc.Read(buf); err != nil {
				if ne, ok := err.(net.Error); ok && ne.Timeout() {
					t.Fatalf("server did not close the connection")
				}
				break
			}
		}
		if n := panics.n.Load(); n > 0 {
			t.Fatalf("the server logged %d errors (panics)", n)
		}
	})
}

// errorCounter is a slog.Handler counting records at level Error.
type errorCounter struct{ n atomic.Int64 }

func (h *errorCounter) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }
func (h *errorCounter) Handle(context.Context, slog.Record) error {
	h.n.Add(1)
	return nil
}
func (h *errorCounter) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *errorCounter) WithGroup(string) slog.Handler      { return h }
