package tests

import (
	"fmt"
	"net"
	"testing"
)

// TestNodeStartRetriesTakenPort: a port picked by freePort and bound by
// someone else before the node starts (another process that does not
// reserve its ports) makes the node exit with "address already in use";
// start retries on fresh ports instead of failing the test (the power-cut
// test once failed so).
func TestNodeStartRetriesTakenPort(t *testing.T) {
	n := newNode(t)
	taken := n.pgPort
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", taken))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	n.start()
	if n.pgPort == taken {
		t.Fatalf("the node claims port %d, which this test holds", taken)
	}
	c := n.connect(t)
	var one int
	if err := c.QueryRow(t.Context(), "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1 = %d, %v", one, err)
	}
}
