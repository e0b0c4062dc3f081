// Command heliosdb-proxy runs the HeliosDB Nano PostgreSQL proxy; see
// `heliosdb-proxy --help`.
package main

import (
	"os"

	"github.com/heliosdb/nano/internal/proxycli"
)

func main() {
	os.Exit(proxycli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
