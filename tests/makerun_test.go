package tests

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func makeRunCycles(t *testing.T) int {
	if v, err := strconv.Atoi(os.Getenv("HELIOS_MAKE_RUN_CYCLES")); err == nil && v > 0 {
		return v
	}
	if testing.Short() {
		return 1
	}
	return 3
}

// TestMakeRunCtrlC is issue 17's acceptance for signals: `make run`
// (scripts/local-cluster.sh) then one Ctrl-C — SIGINT to the whole process
// group, as a terminal sends it, after which the script's trap sends
// SIGTERM to each child — stops all four processes cleanly every time:
// each logs "shutdown complete", the script reports each one as shut down
// cleanly and exits 0, and no process of the group is left. Before, the
// second signal made the binaries exit at once (status 130) without
// finishing their shutdown. HELIOS_MAKE_RUN_CYCLES sets the repetitions
// (10 for the acceptance run; 3 by default).
func TestMakeRunCtrlC(t *testing.T) {
	lockFixedPorts(t)
	base := t.TempDir()
	proxy := buildProxy(t)
	names := []string{"primary", "standby-sync", "standby-async", "proxy"}
	for cycle := 1; cycle <= makeRunCycles(t); cycle++ {
		var out syncBuffer
		cmd := exec.Command("bash", "../scripts/local-cluster.sh")
		cmd.Env = append(os.Environ(), "BASE="+base, "HELIOSDB_BIN="+nanoBin, "HELIOSPROXY_BIN="+proxy)
		cmd.Stdout, cmd.Stderr = &out, &out
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		pgid := cmd.Process.Pid
		t.Cleanup(func() { syscall.Kill(-pgid, syscall.SIGKILL) })
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		deadline := time.After(90 * time.Second)
		for !strings.Contains(out.String(), "Ctrl-C stops them all") {
			select {
			case err := <-done:
				t.Fatalf("cycle %d: script exited before the cluster was up: %v\n%s", cycle, err, out.String())
			case <-deadline:
				t.Fatalf("cycle %d: cluster not up after 90 s:\n%s", cycle, out.String())
			case <-time.After(50 * time.Millisecond):
			}
		}
		start := time.Now()
		if err := syscall.Kill(-pgid, syscall.SIGINT); err != nil { // Ctrl-C
			t.Fatal(err)
		}
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("cycle %d: script exited with %v:\n%s", cycle, err, out.String())
			}
		case <-time.After(90 * time.Second):
			t.Fatalf("cycle %d: still running 90 s after Ctrl-C:\n%s", cycle, out.String())
		}
		t.Logf("cycle %d: stopped %v after Ctrl-C", cycle, time.Since(start).Round(time.Millisecond))
		if err := syscall.Kill(-pgid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("cycle %d: processes of the group are left after the script exited (kill -0: %v)", cycle, err)
		}
		for _, name := range names {
			if !strings.Contains(out.String(), name+": shut down cleanly") {
				t.Errorf("cycle %d: script did not report %s as shut down cleanly:\n%s", cycle, name, out.String())
			}
			logs, err := os.ReadFile(filepath.Join(base, name+".log"))
			if err != nil {
				t.Fatal(err)
			}
			if got := bytes.Count(logs, []byte("shutdown complete")); got != cycle {
				t.Errorf("cycle %d: %s logged \"shutdown complete\" %d times in %d runs:\n%s", cycle, name, got, cycle, tailString(logs, 3000))
			}
		}
		if t.Failed() {
			return
		}
	}
}

func tailString(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
