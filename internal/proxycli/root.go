package proxycli

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
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
	if n := maxProcs(fileCfg.MaxProcs, runtime.GOMAXPROCS(0)); n != runtime.GOMAXPROCS(0) {
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
// set, else the runtime's own (every CPU the process may use, or the
// GOMAXPROCS environment variable).
//
// Measured on two CPUs (pgbench through the proxy, 8 clients, interleaved,
// loaded host): one processor instead of two takes the futex wake-ups
// between scheduler threads from 0.16–0.50 per transaction to 0,
// select-only CPU per transaction from 18.7 to 15.5 µs (medians) and
// raised select-only transactions per second in 16 of 23 pairs, but
// tpcb-like transactions per second fell in 12 of 18 pairs (median
// 762 → 667): a single thread waits for a CPU on a busy host, and every
// session waits with it. Hence not the default until a quiet host
// decides (scripts/bench-compare.sh PROXY_MAX_PROCS); max_procs = 1 suits
// a read-heavy proxy on a small host.
func maxProcs(configured, current int) int {
	if configured > 0 {
		return configured
	}
	return current
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
