package pgdiff

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
)

// SLTRun is how to run slt.py (the sqllogictest runner of the shared
// conformance corpus) against one server.
type SLTRun struct {
	Script         string // path of slt.py
	Dir            string // working directory; Files are relative to it
	Files          []string
	Port           int
	User, Password string
	DBName         string
	Timeout        int // seconds per statement
	FileTimeout    int // seconds per file, 0 = none
}

// SLTScore is slt.py's verdict.
type SLTScore struct {
	Passed, Failed int
	Output         string // one line per file, then the total
}

// Rate is the share of records that passed, in percent.
func (s SLTScore) Rate() float64 {
	return 100 * float64(s.Passed) / float64(max(1, s.Passed+s.Failed))
}

var sltTotal = regexp.MustCompile(`(?m)^slt: (\d+) passed, (\d+) failed`)

// RunSLT runs slt.py with python3 and parses its total.
func RunSLT(ctx context.Context, r SLTRun) (SLTScore, error) {
	args := []string{r.Script, "--host", "127.0.0.1", "--port", strconv.Itoa(r.Port),
		"--user", r.User, "--password", r.Password, "--dbname", r.DBName,
		"--timeout", strconv.Itoa(max(1, r.Timeout))}
	if r.FileTimeout > 0 {
		args = append(args, "--timeout-per-file", strconv.Itoa(r.FileTimeout))
	}
	cmd := exec.CommandContext(ctx, "python3", append(args, r.Files...)...)
	cmd.Dir = r.Dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	s := SLTScore{Output: out.String()}
	m := sltTotal.FindStringSubmatch(s.Output)
	if err != nil || m == nil {
		return s, fmt.Errorf("pgdiff: slt.py on port %d: %v\n%s", r.Port, err, lastLines(s.Output, 20))
	}
	s.Passed, _ = strconv.Atoi(m[1])
	s.Failed, _ = strconv.Atoi(m[2])
	return s, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
