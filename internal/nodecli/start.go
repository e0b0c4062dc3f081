package nodecli

import (
	"io"
	"os"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/heliosdb/nano/internal/cliutil"
	"github.com/heliosdb/nano/internal/tlsfiles"
	"github.com/heliosdb/nano/node"
)

func startCmd(logOut io.Writer) *cobra.Command {
	v := viper.New()
	settings := startSettings()
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Start a database node",
		Long: `Start a database node: the PostgreSQL protocol on --pg-port, replication on
--native-port and the HTTP API on --http-port.

Every flag can also be set by its HELIOSDB_* environment variable (shown with
each flag) or by a key of the same name in a TOML or YAML file given with
--config; a flag beats the environment, which beats the file, which beats the
default. Clients log in as --user/--password (default helios/helios) to the
database heliosdb. SIGTERM or SIGINT shuts the node down cleanly.`,
		Example: `  heliosdb-nano start --data-dir /tmp/heliosdb-ha/primary --pg-port 5432 \
    --native-port 5433 --http-port 8080 --node-id primary \
    --replication-role primary --replication-mode sync`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runStart(v, settings, logOut) },
	}
	registerFlags(cmd.Flags(), v, settings)
	registerFlags(cmd.Flags(), v, logSettings)
	cmd.Flags().String("config", "", "TOML or YAML file with any of the keys above [env HELIOSDB_CONFIG]")
	v.BindPFlag("config", cmd.Flags().Lookup("config"))
	v.BindEnv("config", "HELIOSDB_CONFIG")
	return cmd
}

func runStart(v *viper.Viper, settings []setting, logOut io.Writer) error {
	unknown, err := loadConfigFile(v, v.GetString("config"), append(settings, logSettings...))
	if err != nil {
		return err
	}
	log, err := newLogger(logOut, v.GetString("log-level"), v.GetString("log-format"))
	if err != nil {
		return err
	}
	for _, k := range unknown {
		log.Warn("config file: unknown key ignored", "key", k, "file", v.GetString("config"))
	}
	cfg, err := buildConfig(v, settings)
	if err != nil {
		return err
	}
	cfg.Logger = log
	// A test knob, not a setting (STYLE 23c/d): fault tests that simulate a
	// power cut need the WAL's flushed LSN recorded (wal.Config.SyncMark).
	if os.Getenv("HELIOSDB_TEST_WAL_SYNC_MARK") == "1" {
		cfg.WALSyncMark = true
		log.Warn("HELIOSDB_TEST_WAL_SYNC_MARK=1: the WAL records its flushed LSN after every fsync (fault tests only)")
	}
	if v := os.Getenv("HELIOSDB_TEST_STORAGE_MERGE_STEP_KEYS"); v != "" {
		cfg.StorageMergeStepKeys, _ = strconv.Atoi(v)
		log.Warn("HELIOSDB_TEST_STORAGE_MERGE_STEP_KEYS: small storage merge steps (tests only)", "keys", cfg.StorageMergeStepKeys)
	}
	if cfg.AdminAuth == node.AdminAuthNone {
		log.Warn("--admin-auth none: the HTTP API (SQL, promote, demote, lease, status) answers anyone who can reach it; use only in a lab")
	}
	log.Info("starting heliosdb-nano", "version", node.Version, "data_dir", cfg.DataDir, "pg_port", cfg.PGPort,
		"native_port", cfg.NativePort, "http_port", cfg.HTTPPort, "node_id", cfg.NodeID, "role", cfg.Role,
		"replication_mode", cfg.ReplicationMode, "auth_method", cfg.AuthMethod)
	n, err := node.Open(cfg)
	if err != nil {
		return err
	}
	ctx, stop := cliutil.SignalContext(log)
	defer stop()
	if cfg.TLSCertFile != "" {
		tlsfiles.ReloadOnHUP(ctx, log, n.ReloadTLS)
	}
	return n.Run(ctx)
}
