// Package nodecli builds the heliosdb-nano command line: cobra commands,
// viper precedence (flag > HELIOSDB_* environment > config file > default),
// conversion of settings into node.Config with errors that name the key,
// logging setup and signal handling. cmd/heliosdb-nano only calls Main.
package nodecli
