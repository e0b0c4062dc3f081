package nodecli

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/heliosdb/nano/node"
)

// Secrets come from files (their final line break dropped) and override
// the plain settings; a missing or empty file is a configuration error
// naming the key.
func TestSecretFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	build := func(args ...string) (node.Config, error) {
		v := viper.New()
		fs := pflag.NewFlagSet("start", pflag.ContinueOnError)
		settings := startSettings()
		registerFlags(fs, v, settings)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		return buildConfig(v, settings)
	}
	cfg, err := build("--password", "on-the-command-line", "--password-file", write("pw", "s3cret\n"),
		"--replication-secret-file", write("rs", "repl\r\n"), "--admin-token-file", write("tok", "tok"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Password != "s3cret" || cfg.ReplicationSecret != "repl" || cfg.AdminToken != "tok" {
		t.Fatalf("password %q, replication secret %q, token %q", cfg.Password, cfg.ReplicationSecret, cfg.AdminToken)
	}
	t.Setenv("HELIOSDB_PASSWORD_FILE", write("pw2", "from-env-file"))
	if cfg, err := build(); err != nil || cfg.Password != "from-env-file" {
		t.Fatalf("HELIOSDB_PASSWORD_FILE: %q %v", cfg.Password, err)
	}
	for _, bad := range []string{filepath.Join(dir, "missing"), write("empty", "\n")} {
		var ce *node.ConfigError
		if _, err := build("--password-file", bad); !errors.As(err, &ce) || ce.Key != "password-file" {
			t.Errorf("--password-file %s: %v, want a password-file error", bad, err)
		}
	}
}

// --memory-limit (HELIOSDB_MEMORY_LIMIT) lands in node.Config.MemoryLimit:
// auto is 0, unlimited negative, a size in bytes; a bad value is an error
// naming the key.
func TestMemoryLimitSetting(t *testing.T) {
	build := func(args ...string) (node.Config, error) {
		v := viper.New()
		fs := pflag.NewFlagSet("start", pflag.ContinueOnError)
		settings := startSettings()
		registerFlags(fs, v, settings)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		return buildConfig(v, settings)
	}
	for _, tc := range []struct {
		args []string
		want int64
	}{
		{nil, 0},
		{[]string{"--memory-limit", "auto"}, 0},
		{[]string{"--memory-limit", "unlimited"}, -1},
		{[]string{"--memory-limit", "1GB"}, 1 << 30},
	} {
		if cfg, err := build(tc.args...); err != nil || cfg.MemoryLimit != tc.want {
			t.Errorf("%v: MemoryLimit %d, %v; want %d", tc.args, cfg.MemoryLimit, err, tc.want)
		}
	}
	t.Setenv("HELIOSDB_MEMORY_LIMIT", "640MB")
	if cfg, err := build(); err != nil || cfg.MemoryLimit != 640<<20 {
		t.Errorf("HELIOSDB_MEMORY_LIMIT=640MB: %d, %v", cfg.MemoryLimit, err)
	}
	var ce *node.ConfigError
	if _, err := build("--memory-limit", "lots"); !errors.As(err, &ce) || ce.Key != "memory-limit" {
		t.Errorf("--memory-limit lots: %v, want a memory-limit error", err)
	}
}
