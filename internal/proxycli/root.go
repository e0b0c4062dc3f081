package proxycli

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/heliosdb/nano/internal/cliutil"
	"github.com/heliosdb/nano/internal/tlsfiles"
	"github.com/heliosdb/nano/proxy"
	"github.com/heliosdb/nano/proxy/config"
)

// Version is the proxy's version string.
const Version = "0.1.0"

// usageError is a bad command line or configuration: exit status 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// Main runs the heliosdb-proxy command line and returns the exit status.
func Main(args []string, stdout, stderr io.Writer) int {
	root := rootCmd(stderr)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(healthCmd(stdout), versionCmd(stdout))
	if err := root.Execute(); err != nil {
		fmt.Fprintln(stderr, "heliosdb-proxy:", err)
		var ue *usageError
		var ce *config.Error
		if errors.As(err, &ue) || errors.As(err, &ce) {
			return 2
		}
		return 1
	}
	return 0
}

func rootCmd(logOut io.Writer) *cobra.Command {
	v := viper.New()
	cmd := &cobra.Command{
		Use:   "heliosdb-proxy",
		Short: "HeliosDB Nano proxy: transparent write and read routing over a primary and its standbys",
		Long: `heliosdb-proxy speaks the PostgreSQL protocol on listen_addr and routes each
statement: writes to the primary the nodes report (role and term), reads round
robin over healthy nodes, transactions pinned to one node. With no healthy
primary a write waits up to write_timeout_secs. The admin API on admin_addr
serves /health, /nodes and /metrics.

The configuration is a TOML file given with --config or HELIOSDB_PROXY_CONFIG
(the flag wins); see the proxy/config package documentation for every key.
Unknown keys are warned about; an invalid value exits with status 2 and names
the key. SIGTERM or SIGINT shuts down gracefully.`,
		Example:       `  heliosdb-proxy --config /tmp/heliosdb-ha/proxy.toml`,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE:          func(*cobra.Command, []string) error { return run(v, logOut) },
	}
	f := cmd.Flags()
	f.String("config", "", "proxy configuration file (TOML) [env HELIOSDB_PROXY_CONFIG]")
	f.String("log-level", "info", "debug, info, warn or error; debug logs every routing decision [env HELIOSDB_PROXY_LOG_LEVEL]")
	f.String("log-format", "text", "text or json [env HELIOSDB_PROXY_LOG_FORMAT]")
	for _, k := range []string{"config", "log-level", "log-format"} {
		_ = v.BindPFlag(k, f.Lookup(k))
		_ = v.BindEnv(k, "HELIOSDB_PROXY_"+strings.ToUpper(strings.ReplaceAll(k, "-", "_")))
	}
	return cmd
}

func run(v *viper.Viper, logOut io.Writer) error {
	log, err := newLogger(logOut, v.GetString("log-level"), v.GetString("log-format"))
	if err != nil {
		return err
	}
	path := v.GetString("config")
	if path == "" {
		return &usageError{errors.New("no configuration: pass --config FILE or set HELIOSDB_PROXY_CONFIG")}
	}
	fileCfg, warnings, err := config.Load(path)
	for _, w := range warnings {
		log.Warn("config: "+w, "file", path)
	}
	if err != nil {
		return err
	}
	if n := maxProcs(fileCfg.MaxProcs, runtime.GOMAXPROCS(0), os.Getenv("GOMAXPROCS") != ""); n != runtime.GOMAXPROCS(0) {
		runtime.GOMAXPROCS(n)
	}
	p, err := proxy.New(proxy.Config{Config: fileCfg, Logger: log})
	if err != nil {
		return err
	}
	log.Info("heliosdb-proxy starting", "version", Version, "config", path, "nodes", len(fileCfg.Nodes),
		"max_procs", runtime.GOMAXPROCS(0))
	ctx, stop := cliutil.SignalContext(log)
	defer stop()
	if fileCfg.TLSCertFile != "" {
		tlsfiles.ReloadOnHUP(ctx, log, p.ReloadTLS)
	}
	return p.Run(ctx)
}

// maxProcs is the GOMAXPROCS the proxy runs with: proxy.max_procs when
// set, else the GOMAXPROCS environment variable's (then already the
// runtime's, current), else half the CPUs the runtime found for the
// process (current: it counts a container's CPU limit), at least one.
//
// Why fewer threads than CPUs: a session's goroutine does little but
// system calls and netpoller waits, so each transaction readies a
// goroutine or two; with a processor idle the runtime wakes another
// thread to run each (a futex wake, and a thread that parks again soon).
// Measured on two CPUs (pgbench through the proxy, 8 clients, builds
// interleaved, load 35–60): one processor instead of two took futex calls
// per select-only transaction from 0.16–0.50 to 0, its CPU per
// transaction from 19.2 to 15.8 µs (medians of 24 runs each; pgbouncer
// 19.3), the time its threads waited for a CPU per transaction from
// 58–186 to 20–83 µs, and raised its transactions per second in 18 of 25
// pairs. tpcb-like through the proxy showed no clear difference (one
// thread lower in 14 of 24 pairs, median 762 → 695 tps, within that
// load's noise). Half, not one, on larger hosts so the proxy still
// scales with its sessions; measured on two CPUs only.
func maxProcs(configured, current int, envSet bool) int {
	switch {
	case configured > 0:
		return configured
	case envSet:
		return current
	}
	return max(1, current/2)
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	log, err := cliutil.NewLogger(w, level, format)
	if err != nil {
		return nil, &usageError{err}
	}
	return log, nil
}

func versionCmd(out io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintf(out, "heliosdb-proxy %s (PostgreSQL protocol 3.0)\n", Version)
			return nil
		},
	}
}
