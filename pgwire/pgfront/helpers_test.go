package pgfront_test

import (
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/heliosdb/nano/pgwire/pgfront"
)

// server is a minimal server over a Front: after Startup it greets the
// client and answers every Query with EmptyQueryResponse.
type server struct {
	front *pgfront.Front
	addr  string
	infos chan *pgfront.Info
}

func startServer(t testing.TB, cfg pgfront.Config) *server {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	f, err := pgfront.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &server{front: f, addr: l.Addr().String(), infos: make(chan *pgfront.Info, 16)}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			fc, err := f.Accept(nc)
			if err != nil {
				continue
			}
			wg.Go(func() { s.serve(fc) })
		}
	})
	t.Cleanup(func() {
		l.Close()
		f.CloseAll()
		wg.Wait()
	})
	return s
}

func (s *server) serve(fc *pgfront.Conn) {
	defer fc.Close()
	info, err := fc.Startup()
	if err != nil {
		return
	}
	select {
	case s.infos <- info:
	default:
	}
	secret := fc.Secret()
	var buf []byte
	for _, m := range []pgproto3.BackendMessage{&pgproto3.AuthenticationOk{},
		&pgproto3.BackendKeyData{ProcessID: fc.PID(), SecretKey: secret[:]}, &pgproto3.ReadyForQuery{TxStatus: 'I'}} {
		buf, _ = m.Encode(buf)
	}
	if _, err := fc.NetConn().Write(buf); err != nil {
		return
	}
	be := pgproto3.NewBackend(fc.Reader(), fc.NetConn())
	// Bounded as pgwire's MaxMessageSize bounds the product's: unbounded,
	// pgproto3 allocates the length a client claims before reading it
	// (FuzzStartup: "c" then "defg" claimed 1.6 GB and took 2-9 s per
	// input, past the fuzzer's 10 s hang limit for its worker; corpus
	// testdata/fuzz/FuzzStartup/76d07720655ed78a).
	be.SetMaxBodyLen(1 << 20)
	for {
		if !fc.EnterIdle() {
			be.Send(&pgproto3.ErrorResponse{Severity: "FATAL", Code: "57P01", Message: "terminating connection due to administrator command"})
			_ = be.Flush()
			return
		}
		msg, err := be.Receive()
		fc.EnterBusy()
		if err != nil {
			return
		}
		switch msg.(type) {
		case *pgproto3.Query:
			be.Send(&pgproto3.EmptyQueryResponse{})
			be.Send(&pgproto3.ReadyForQuery{TxStatus: 'I'})
			if be.Flush() != nil {
				return
			}
		case *pgproto3.Terminate:
			return
		}
	}
}

// packet is an untyped startup packet.
func packet(code uint32, body string) []byte {
	b := make([]byte, 8, 8+len(body))
	binary.BigEndian.PutUint32(b, uint32(8+len(body)))
	binary.BigEndian.PutUint32(b[4:], code)
	return append(b, body...)
}

const (
	sslRequest    = 80877103
	gssEncRequest = 80877104
	cancelRequest = 80877102
	protocol30    = 3 << 16
)

func startupPacket(user string) []byte {
	return packet(protocol30, "user\x00"+user+"\x00database\x00db\x00\x00")
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(20 * time.Second))
	return nc
}

// readByte reads a one-byte encryption answer.
func readByte(t *testing.T, r io.Reader) byte {
	t.Helper()
	var b [1]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		t.Fatalf("reading the encryption answer: %v", err)
	}
	return b[0]
}

// messages reads backend messages until the connection closes or a
// ReadyForQuery, describing each: errors as "FATAL 28000 message".
func messages(r io.Reader, w io.Writer) []string {
	fe := pgproto3.NewFrontend(r, w)
	var out []string
	for {
		msg, err := fe.Receive()
		if err != nil {
			return out
		}
		switch m := msg.(type) {
		case *pgproto3.ErrorResponse:
			s := fmt.Sprintf("%s %s %s", m.Severity, m.Code, m.Message)
			if m.Detail != "" {
				s += " (" + m.Detail + ")"
			}
			out = append(out, s)
		case *pgproto3.ReadyForQuery:
			return append(out, "ReadyForQuery")
		default:
			out = append(out, fmt.Sprintf("%T", msg)[len("*pgproto3."):])
		}
		if len(out) > 1 && out[len(out)-1] == out[len(out)-2] {
			return out
		}
	}
}
