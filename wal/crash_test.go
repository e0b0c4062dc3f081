package wal_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/heliosdb/nano/wal"
)

const (
	crashDirEnv   = "WAL_CRASH_TEST_DIR"
	crashWriters  = 3
	crashSegSize  = 8 * wal.MinSegmentSize
	crashReports  = 400 // SIGKILL after this many "synced" lines
	crashMaxBatch = 4
)

// crashData is the payload of writer w's k-th record.
func crashData(w, k int) []byte {
	return append([]byte(fmt.Sprintf("w%d-%d|", w, k)), bytes.Repeat([]byte{byte(k)}, k%200)...)
}

// TestCrashChild is the child process of TestCrashRecovery: writers append
// and sync forever, printing "synced <writer> <k>" once record k of writer is
// durable. It does nothing unless started by the parent.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("child process of TestCrashRecovery")
	}
	l, err := wal.Open(wal.Config{Dir: dir, SegmentSize: crashSegSize})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	var out sync.Mutex
	var wg sync.WaitGroup
	for w := range crashWriters {
		wg.Go(func() {
			for k := 0; ; {
				var batch []wal.Record
				for j := 0; j <= k%crashMaxBatch; j++ {
					batch = append(batch, wal.Record{Term: 1, Type: 1, Data: crashData(w, k+j)})
				}
				if _, _, err := l.Append(batch...); err != nil {
					fmt.Println("error", err)
					os.Exit(2)
				}
				if _, err := l.Sync(); err != nil {
					fmt.Println("error", err)
					os.Exit(2)
				}
				k += len(batch)
				out.Lock()
				fmt.Fprintf(os.Stdout, "synced %d %d\n", w, k-1)
				out.Unlock()
			}
		})
	}
	wg.Wait()
}

// TestCrashRecovery SIGKILLs a writing child process mid-stream and checks
// that every record it reported as synced is present after Open, in order
// per writer, with no gaps.
func TestCrashRecovery(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	cmd.Stderr = t.Output()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	synced := make([]int, crashWriters)
	for i := range synced {
		synced[i] = -1
	}
	sc := bufio.NewScanner(stdout)
	lines := 0
	for sc.Scan() {
		var w, k int
		if _, err := fmt.Sscanf(sc.Text(), "synced %d %d", &w, &k); err != nil {
			if strings.HasPrefix(sc.Text(), "error") {
				t.Errorf("child: %s", sc.Text())
			}
			continue
		}
		synced[w] = max(synced[w], k)
		if lines++; lines == crashReports {
			if err := cmd.Process.Kill(); err != nil { // SIGKILL
				t.Fatal(err)
			}
		}
	}
	cmd.Wait()
	if lines < crashReports {
		t.Fatalf("child reported only %d syncs", lines)
	}

	l := openLog(t, dir, crashSegSize)
	next := make([]int, crashWriters)
	for _, rec := range readAll(t, l, 0) {
		var w, k int
		if _, err := fmt.Sscanf(string(rec.Data), "w%d-%d|", &w, &k); err != nil || w >= crashWriters {
			t.Fatalf("record at %s: bad payload %q", rec.LSN, rec.Data)
		}
		if k != next[w] || !bytes.Equal(rec.Data, crashData(w, k)) {
			t.Fatalf("writer %d: record %d at %s, want %d", w, k, rec.LSN, next[w])
		}
		next[w]++
	}
	for w := range crashWriters {
		if next[w] <= synced[w] {
			t.Errorf("writer %d: reported %d synced, only %d records recovered", w, synced[w], next[w]-1)
		}
	}
	t.Logf("recovered %v records per writer; reported synced %v; %d segments", next, synced, len(segmentFiles(t, dir)))
}
