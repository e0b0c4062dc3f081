package proxycli

import (
	"bytes"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/heliosdb/nano/internal/tlsfiles/tlstest"
)

func runMain(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "proxy.toml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestConfigErrors(t *testing.T) {
	t.Setenv("HELIOSDB_PROXY_CONFIG", "")
	cases := []struct {
		name string
		args []string
		env  string // HELIOSDB_PROXY_CONFIG contents, when set
		code int
		want string
	}{
		{"no config", nil, "", 2, "no configuration"},
		{"missing file", []string{"--config", "/nonexistent/proxy.toml"}, "", 1, "no such file"},
		{"bad value names the key", []string{"--config", "BAD"}, "", 2, "proxy.failure_threshold"},
		{"from the environment", nil, "BAD", 2, "proxy.failure_threshold"},
		{"bad log level", []string{"--log-level", "loud"}, "", 2, "log-level"},
		{"unexpected argument", []string{"extra"}, "", 1, "unknown command"},
	}
	bad := writeConfig(t, "[proxy]\nfailure_threshold = 0\n[[nodes]]\nname = \"a\"\nhost = \"h\"\nport = 1\n")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for i, a := range tc.args {
				if a == "BAD" {
					tc.args[i] = bad
				}
			}
			if tc.env == "BAD" {
				t.Setenv("HELIOSDB_PROXY_CONFIG", bad)
			}
			code, _, stderr := runMain(t, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, tc.code, tc.want)
			}
		})
	}
}

func TestHealth(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(`{"status":"ok"}`))
	}))
	defer srv.Close()
	if code, out, _ := runMain(t, "health", "--url", srv.URL+"/health"); code != 0 || !strings.Contains(out, `"ok"`) {
		t.Errorf("health: %d %q", code, out)
	}
	// From the configuration's admin_addr, with 0.0.0.0 reached on loopback.
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	cfg := writeConfig(t, "[proxy]\nadmin_addr = \"0.0.0.0:"+port+"\"\n[[nodes]]\nname = \"a\"\nhost = \"h\"\nport = 1\n")
	t.Setenv("HELIOSDB_PROXY_CONFIG", cfg)
	if code, _, stderr := runMain(t, "health"); code != 0 {
		t.Errorf("health from HELIOSDB_PROXY_CONFIG: %d %s", code, stderr)
	}
	if code, _, _ := runMain(t, "health", "--url", srv.URL+"/nope"); code != 1 {
		t.Errorf("health of a 404: exit %d", code)
	}
	if code, out, _ := runMain(t, "version"); code != 0 || !strings.Contains(out, "heliosdb-proxy") {
		t.Errorf("version: %d %q", code, out)
	}
}

// TestRunAndSIGTERM starts the proxy from a file and stops it with SIGTERM.
func TestRunAndSIGTERM(t *testing.T) {
	free := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().String()
	}
	admin := free()
	cfg := writeConfig(t, `[proxy]
listen_addr = "`+free()+`"
admin_addr = "`+admin+`"
health_check_interval_secs = 0.2
connect_timeout_secs = 0.5
[[nodes]]
name = "gone"
host = "127.0.0.1"
port = 1
`)
	done := make(chan int, 1)
	stderr := &syncBuffer{}
	go func() { done <- Main([]string{"--config", cfg}, &bytes.Buffer{}, stderr) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := get("http://"+admin+"/health", "", time.Second); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("proxy never served /health; stderr:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d after SIGTERM; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("proxy did not stop on SIGTERM")
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestHealthOverHTTPS: health reaches an admin API served over HTTPS
// (admin_tls): from the configuration's admin_addr with https, the
// certificate checked against --ca-file when given (a certificate of
// another CA fails) and not checked without it (health sends no
// credentials). Before, health spoke plain HTTP only.
func TestHealthOverHTTPS(t *testing.T) {
	ca := tlstest.NewCA(t, "helios-test")
	other := tlstest.NewCA(t, "other")
	certFile, keyFile := ca.Issue(t, "proxy", "127.0.0.1")
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"status":"ok"}`))
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	defer srv.Close()
	t.Setenv("HELIOSDB_CA_FILE", "")
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "https://"))
	cfg := writeConfig(t, "[proxy]\nadmin_addr = \"0.0.0.0:"+port+"\"\nadmin_tls = true\ntls_cert_file = \""+certFile+"\"\ntls_key_file = \""+keyFile+"\"\n[[nodes]]\nname = \"a\"\nhost = \"h\"\nport = 1\n")
	for _, tc := range []struct {
		args []string
		ok   bool
	}{
		{[]string{"health", "--url", srv.URL + "/health"}, true},
		{[]string{"health", "--url", srv.URL + "/health", "--ca-file", ca.CertFile}, true},
		{[]string{"health", "--url", srv.URL + "/health", "--ca-file", other.CertFile}, false},
		{[]string{"health", "--config", cfg}, true},
		{[]string{"health", "--config", cfg, "--ca-file", ca.CertFile}, true},
		{[]string{"health", "--config", cfg, "--ca-file", other.CertFile}, false},
	} {
		code, out, stderr := runMain(t, tc.args...)
		if (code == 0) != tc.ok || (tc.ok && !strings.Contains(out, `"ok"`)) || (!tc.ok && !strings.Contains(stderr, "certificate")) {
			t.Errorf("%v: exit %d, %q %q; want ok=%v", tc.args, code, out, stderr, tc.ok)
		}
	}
}

func TestMaxProcs(t *testing.T) {
	cases := []struct {
		configured, current int
		envSet              bool
		want                int
	}{
		{0, 2, false, 1}, {0, 1, false, 1}, {0, 8, false, 4}, {0, 3, false, 1}, // half the CPUs, at least one
		{0, 2, true, 2},                   // GOMAXPROCS in the environment: the runtime's value stays
		{3, 2, false, 3}, {3, 8, true, 3}, // proxy.max_procs wins
	}
	for _, c := range cases {
		if got := maxProcs(c.configured, c.current, c.envSet); got != c.want {
			t.Errorf("maxProcs(%d, %d, %v) = %d, want %d", c.configured, c.current, c.envSet, got, c.want)
		}
	}
}
