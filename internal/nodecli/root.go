package nodecli

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/heliosdb/nano/node"
)

// Main runs the heliosdb-nano command line and returns the exit status.
func Main(args []string, stdout, stderr io.Writer) int {
	root := &cobra.Command{
		Use:           "heliosdb-nano",
		Short:         "HeliosDB Nano: a PostgreSQL-compatible database node with WAL streaming replication",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(startCmd(stderr), healthCmd(stdout), statusCmd(stdout), promoteCmd(stdout), demoteCmd(stdout), switchoverCmd(stdout), versionCmd(stdout))
	if err := root.Execute(); err != nil {
		fmt.Fprintln(stderr, "heliosdb-nano:", err)
		var ce *node.ConfigError
		if errors.As(err, &ce) {
			return 2
		}
		return 1
	}
	return 0
}

func versionCmd(out io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintf(out, "heliosdb-nano %s (PostgreSQL protocol 3.0, server_version 15.0)\n", node.Version)
			return nil
		},
	}
}
