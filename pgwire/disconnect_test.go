package pgwire_test

import (
	"net"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/heliosdb/nano/pgwire"
	"github.com/heliosdb/nano/pgwire/pgwiretest"
)

// waitGauge waits up to limit for metric name to reach want and returns
// how long it took; it fails the test when it does not.
func waitGauge(t *testing.T, reg *prometheus.Registry, name string, want float64, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		got := value(gather(t, reg)[name], nil)
		if got == want {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			t.Fatalf("%s = %v after %v, want %v", name, got, limit, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A client that disconnects (FIN or RST, no Terminate, no cancel) while
// its statement runs has the statement cancelled within a second, and its
// connection ends.
func TestDisconnectCancelsStatement(t *testing.T) {
	for _, mode := range []string{"close", "reset"} {
		t.Run(mode, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			_, addr, _ := startServer(t, pgwire.Config{AuthMethod: pgwire.AuthTrust, Registerer: reg})
			rc := startupRaw(t, addr)
			rc.send(&pgproto3.Query{String: pgwiretest.SelectSleep})
			waitGauge(t, reg, "helios_pgwire_statements_running", 1, 5*time.Second)
			if mode == "reset" {
				_ = rc.nc.(*net.TCPConn).SetLinger(0)
			}
			rc.nc.Close()
			took := waitGauge(t, reg, "helios_pgwire_statements_running", 0, time.Second)
			waitGauge(t, reg, "helios_pgwire_connections", 0, time.Second)
			if v := value(gather(t, reg)["helios_pgwire_client_lost_total"], nil); v != 1 {
				t.Errorf("helios_pgwire_client_lost_total = %v, want 1", v)
			}
			t.Logf("statement ended %v after the client's %s", took, mode)
		})
	}
}

// Bytes a live client pipelines behind a running statement are neither
// taken for a disconnect nor lost.
func TestPipelinedBytesAreNotADisconnect(t *testing.T) {
	reg := prometheus.NewRegistry()
	_, addr, _ := startServer(t, pgwire.Config{AuthMethod: pgwire.AuthTrust, Registerer: reg})
	rc := startupRaw(t, addr)
	rc.send(&pgproto3.Query{String: pgwiretest.SelectNap}, &pgproto3.Query{String: pgwiretest.SelectOne})
	first, second := rc.untilReady(), rc.untilReady()
	if !slices.Contains(first, "CommandComplete SELECT 1") || !slices.Contains(second, "DataRow 1") {
		t.Fatalf("pipelined queries answered %v then %v", first, second)
	}
	if v := value(gather(t, reg)["helios_pgwire_client_lost_total"], nil); v != 0 {
		t.Errorf("helios_pgwire_client_lost_total = %v, want 0", v)
	}
}
