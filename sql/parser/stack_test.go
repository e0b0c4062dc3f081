package parser

import (
	"context"
	"os"
	"os/exec"
	"testing"
)

// TestDepthLimitCStack parses every deep shape at the largest size Split
// admits, in a child process whose threads have a 1 MB stack (ulimit -s
// 1024; Go's cgo threads take the default pthread stack size from it):
// pg_query's recursion must fit, and Go's protobuf unmarshal must accept
// the tree. Without the limit the same child crashes with SIGSEGV.
func TestDepthLimitCStack(t *testing.T) {
	if os.Getenv("PARSER_STACK_CHILD") != "" {
		for _, sh := range deepShapes {
			n := maxAccepted(sh, 100000)
			if _, err := ParseContext(context.Background(), sh.gen(n)); err != nil {
				t.Errorf("%s at n=%d: %v", sh.name, n, err)
			}
		}
		return
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	kb := "1536"
	if v := os.Getenv("PARSER_STACK_KB"); v != "" {
		kb = v
	}
	cmd := exec.Command("sh", "-c", `ulimit -s `+kb+` && exec "$0" -test.run '^TestDepthLimitCStack$' -test.v`, exe)
	cmd.Env = append(os.Environ(), "PARSER_STACK_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child with a %s kB stack: %v\n%s", kb, err, tail(out, 3000))
	}
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
