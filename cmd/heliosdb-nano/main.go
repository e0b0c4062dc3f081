// Command heliosdb-nano runs a HeliosDB Nano database node; see
// `heliosdb-nano --help`.
package main

import (
	"os"

	"github.com/heliosdb/nano/internal/nodecli"
)

func main() {
	os.Exit(nodecli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
