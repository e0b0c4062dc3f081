package tests

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heliosdb/nano/internal/pgdiff"
)

// The differential tests (internal/pgdiff): our corpus and the shared
// sqllogictest corpus, PostgreSQL 15 as the oracle. `make compat` sets
// HELIOSDB_COMPAT=full for the whole report (every difference, and
// slt.py against PostgreSQL too); HELIOSDB_COMPAT_UPDATE=1 rewrites
// testdata/compat/known_failures.txt from the run.
const (
	compatDir  = "../testdata/compat"
	knownFile  = compatDir + "/known_failures.txt"
	sltFloor   = compatDir + "/slt_floor.txt"
	sharedConf = "../../shared/conformance" // ../shared relative to the checkout
)

func compatFull() bool { return os.Getenv("HELIOSDB_COMPAT") == "full" }

// TestCompat runs testdata/compat/*.sql on a fresh node and a fresh
// PostgreSQL database per file and fails on any difference not in
// known_failures.txt, and on a listed statement that now matches.
func TestCompat(t *testing.T) {
	files, err := pgdiff.LoadDir(compatDir)
	if err != nil {
		t.Fatal(err)
	}
	known, err := pgdiff.LoadKnown(knownFile)
	if err != nil {
		t.Fatal(err)
	}
	files, known = onlyCompatFiles(t, files, known)
	ctx := context.Background()
	pg := startPostgres(t)
	var all []pgdiff.Outcome
	for i, f := range files {
		all = append(all, runCompatFile(t, ctx, pg, i, f)...)
	}
	var report bytes.Buffer
	pgdiff.Report(&report, all, known)
	if compatFull() {
		fmt.Print(report.String())
	}
	if os.Getenv("HELIOSDB_COMPAT_UPDATE") == "1" {
		var b bytes.Buffer
		if err := pgdiff.WriteKnown(&b, all, known); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(knownFile, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote %s", knownFile)
		return
	}
	v := pgdiff.Check(all, known)
	var sum bytes.Buffer
	pgdiff.Summary(&sum, all)
	t.Logf("%s", sum.String())
	for _, o := range v.New {
		var b bytes.Buffer
		pgdiff.Report(&b, []pgdiff.Outcome{o}, nil)
		first, _, _ := strings.Cut(b.String(), "compat summary")
		t.Errorf("new difference from PostgreSQL:\n%s", first)
	}
	for _, id := range v.Fixed {
		t.Errorf("%s now matches PostgreSQL: remove it from %s", id, knownFile)
	}
	for _, id := range v.Stale {
		t.Errorf("%s is listed in %s but is no statement of the corpus", id, knownFile)
	}
}

// onlyCompatFiles keeps the files named in HELIOSDB_COMPAT_FILES
// (comma-separated, e.g. views.sql,cte.sql) and their known failures: a
// quick run of one feature's corpus while working on it.
func onlyCompatFiles(t *testing.T, files []pgdiff.File, known pgdiff.Known) ([]pgdiff.File, pgdiff.Known) {
	only := os.Getenv("HELIOSDB_COMPAT_FILES")
	if only == "" {
		return files, known
	}
	if os.Getenv("HELIOSDB_COMPAT_UPDATE") == "1" {
		t.Fatal("HELIOSDB_COMPAT_UPDATE rewrites the whole known list: run it without HELIOSDB_COMPAT_FILES")
	}
	keep := map[string]bool{}
	for _, n := range strings.Split(only, ",") {
		keep[strings.TrimSpace(n)] = true
	}
	var fs []pgdiff.File
	for _, f := range files {
		if keep[f.Name] {
			fs = append(fs, f)
		}
	}
	if len(fs) == 0 {
		t.Fatalf("HELIOSDB_COMPAT_FILES=%s names no file of %s", only, compatDir)
	}
	k := pgdiff.Known{}
	for id, why := range known {
		if name, _, _ := strings.Cut(id, ":"); keep[name] {
			k[id] = why
		}
	}
	return fs, k
}

func runCompatFile(t *testing.T, ctx context.Context, pg *pgdiff.Postgres, i int, f pgdiff.File) []pgdiff.Outcome {
	db := fmt.Sprintf("compat_%d", i)
	if err := pg.CreateDatabase(ctx, db); err != nil {
		t.Fatal(err)
	}
	pgs, err := pgdiff.Dial(ctx, pg.DSN(db))
	if err != nil {
		t.Fatal(err)
	}
	defer pgs.Close()
	node := newNode(t)
	node.start()
	defer node.stop()
	ours, err := pgdiff.Dial(ctx, node.dsn())
	if err != nil {
		t.Fatal(err)
	}
	defer ours.Close()
	return pgdiff.RunFile(ctx, f, pgs, ours)
}

func startPostgres(t *testing.T) *pgdiff.Postgres {
	t.Helper()
	pg, err := pgdiff.StartPostgres(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pg.Stop)
	return pg
}

// TestConformanceSLT scores the shared sqllogictest corpus with its own
// runner (slt.py) against a built node and fails when the number of passing
// records drops below the floor recorded in testdata/compat/slt_floor.txt.
// With HELIOSDB_COMPAT=full it scores PostgreSQL 15 on the same files too.
func TestConformanceSLT(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	conf := sharedConf
	if d := os.Getenv("HELIOSDB_CONFORMANCE_DIR"); d != "" {
		conf = d
	}
	dir := filepath.Join(conf, "sqllogictest")
	script := filepath.Join(conf, "slt.py")
	if _, err := os.Stat(script); errors.Is(err, fs.ErrNotExist) {
		// The corpus is the team's, not the project's: a checkout with no
		// ../shared beside it (a user's clone) cannot run this test.
		t.Skipf("no conformance corpus at %s (../shared/conformance beside the checkout, or HELIOSDB_CONFORMANCE_DIR)", conf)
	}
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		// make test leaves out the 1000-row index files (a minute of
		// the run's two); make compat runs every file.
		quick := !compatFull() && strings.Contains(p, "/1000/")
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".test") && !quick {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, rel)
		}
		return err
	})
	if err != nil || len(files) == 0 {
		t.Fatalf("the conformance corpus is missing at %s (../shared/conformance relative to the checkout): %v", dir, err)
	}
	sort.Strings(files)
	floorKey := "quick"
	if compatFull() {
		floorKey = "full"
	}
	floor := readFloor(t, floorKey)
	absScript, _ := filepath.Abs(script)
	node := newNode(t)
	node.start()
	limit := 10 * time.Minute
	if compatFull() {
		limit = 40 * time.Minute // both servers, all files
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	start := time.Now()
	ours, err := pgdiff.RunSLT(ctx, pgdiff.SLTRun{Script: absScript, Dir: dir, Files: files, Port: node.pgPort,
		User: "helios", Password: "helios", DBName: "heliosdb", Timeout: 30, FileTimeout: 300})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("slt.py, HeliosDB Nano: %d passed, %d failed = %.2f%% (%d files, %s)", ours.Passed, ours.Failed, ours.Rate(), len(files), time.Since(start).Round(time.Second))
	if compatFull() {
		fmt.Print(ours.Output)
		pg := startPostgres(t)
		theirs, err := pgdiff.RunSLT(ctx, pgdiff.SLTRun{Script: absScript, Dir: dir, Files: files, Port: pg.Port,
			User: "postgres", DBName: "postgres", Timeout: 30, FileTimeout: 300})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("slt.py over %d files: HeliosDB Nano %d passed, %d failed = %.2f%%; PostgreSQL 15 %d passed, %d failed = %.2f%%\n",
			len(files), ours.Passed, ours.Failed, ours.Rate(), theirs.Passed, theirs.Failed, theirs.Rate())
	}
	if ours.Passed < floor {
		t.Errorf("slt.py: %d records passed, below the floor %q of %d in %s: a regression", ours.Passed, floorKey, floor, sltFloor)
	} else if ours.Passed > floor {
		t.Logf("slt.py: %d records passed, above the floor %q of %d: raise it in %s", ours.Passed, floorKey, floor, sltFloor)
	}
}

// readFloor reads the line "<key> N" of slt_floor.txt.
func readFloor(t *testing.T, key string) int {
	b, err := os.ReadFile(sltFloor)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^` + key + ` (\d+)\s*$`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("%s has no line \"%s N\"", sltFloor, key)
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}
