package tests

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/heliosdb/nano/"

// pgQuery is the parser's parse tree (an outside module): rules may name
// it as a dependency.
const pgQuery = "github.com/pganalyze/pg_query_go/"

// forbidden maps a package (prefix) to the packages (prefixes) it must not
// depend on, directly or not: DESIGN.md section 3.
var forbidden = []struct{ pkg, dep string }{
	{"wal", "storage"}, {"wal", "sql/"}, {"wal", "replication"}, {"wal", "pgwire"}, {"wal", "node"},
	{"storage", "wal"}, {"storage", "sql/"}, {"storage", "replication"}, {"storage", "pgwire"}, {"storage", "node"},
	{"sql/parser", "storage"}, {"sql/parser", "wal"},
	{"sql/types", "storage"}, {"sql/types", "wal"},
	// The planner decides over plain values: no executor, no storage.
	{"sql/plan", "sql/exec"}, {"sql/plan", "sql/session"}, {"sql/plan", "storage"}, {"sql/plan", "wal"},
	// A transaction's write set knows buckets and keys over storage, not
	// SQL: no executor, planner, session or parse tree.
	{"sql/txn", "sql/exec"}, {"sql/txn", "sql/plan"}, {"sql/txn", "sql/session"},
	{"sql/txn", pgQuery},
	// SSI's state machine knows keys, not SQL or storage.
	{"sql/ssi", "storage"}, {"sql/ssi", "wal"}, {"sql/ssi", "sql/exec"}, {"sql/ssi", "sql/catalog"}, {"sql/ssi", "sql/session"},
	{"sql/copyfmt", "storage"}, {"sql/copyfmt", "wal"}, {"sql/copyfmt", "sql/exec"}, {"sql/copyfmt", "sql/session"},
	{"pgwire", "sql/session"}, {"pgwire", "sql/exec"}, {"pgwire", "sql/parser"}, {"pgwire", "storage"},
	{"pgwire", "wal"}, {"pgwire", "replication"}, {"pgwire", "node"},
	{"replication", "storage"}, {"replication", "sql/"}, {"replication", "pgwire"}, {"replication", "node"},
	{"httpapi", "storage"}, {"httpapi", "wal"}, {"httpapi", "sql/exec"}, {"httpapi", "sql/session"}, {"httpapi", "node"},
	{"proxy", "node"}, {"proxy", "storage"}, {"proxy", "wal"}, {"proxy", "replication"}, {"proxy", "sql/exec"},
	{"proxy", "sql/session"}, {"proxy", "pgwire"},
	{"sql/", "node"}, {"sql/", "pgwire"}, {"sql/", "httpapi"}, {"sql/", "forward"},
	// Write forwarding joins sessions and the native port (it reaches storage
	// only through sql/session); the node wires it.
	{"forward", "node"}, {"forward", "pgwire"}, {"forward", "httpapi"},
	{"replication", "forward"}, {"proxy", "forward"}, {"pgwire", "forward"},
	{"lsn", "github.com/heliosdb/nano/"}, {"internal/fsutil", "github.com/heliosdb/nano/"}, {"internal/cliutil", "github.com/heliosdb/nano/"}, {"internal/pgauth", "github.com/heliosdb/nano/"},
	{"internal/peer", "github.com/heliosdb/nano/"}, {"internal/sockio", "github.com/heliosdb/nano/"},
	// The names of cluster states are a leaf shared by node, httpapi, replication and proxy.
	{"hastate", "github.com/heliosdb/nano/"},
	// The role state machine is pure: no storage, SQL or network server.
	{"node/cluster", "storage"}, {"node/cluster", "sql/"}, {"node/cluster", "pgwire"},
	{"node/cluster", "httpapi"},
	{"internal/httpauth", "github.com/heliosdb/nano/"},
	{"internal/hba", "github.com/heliosdb/nano/"}, {"internal/tlsfiles", "github.com/heliosdb/nano/"},
	// The fault suite's support packages are leaves: they test the
	// binaries from outside.
	{"internal/history", "github.com/heliosdb/nano/"}, {"internal/faultnet", "github.com/heliosdb/nano/"},
	// The shared front door imports only leaves (see allowed).
	{"pgwire/pgfront", "github.com/heliosdb/nano/"},
}

// allowed are exceptions to forbidden: the proxy shares the node's front
// door (DESIGN.md section 3), which itself uses only leaves.
var allowed = []struct{ pkg, dep string }{
	{"proxy", "pgwire/pgfront"},
	{"pgwire/pgfront", "internal/pgauth"}, {"pgwire/pgfront", "sql/pgerror"},
}

func isAllowed(pkg, dep string) bool {
	for _, a := range allowed {
		if matches(pkg, a.pkg) && matches(dep, a.dep) {
			return true
		}
	}
	return false
}

func matches(pkg, prefix string) bool {
	rel := strings.TrimPrefix(pkg, module)
	if strings.HasPrefix(prefix, module) {
		return strings.HasPrefix(pkg, prefix) && pkg != strings.TrimSuffix(prefix, "/")
	}
	if strings.HasSuffix(prefix, "/") {
		return strings.HasPrefix(rel, prefix)
	}
	return rel == prefix || strings.HasPrefix(rel, prefix+"/")
}

// TestLayering enforces the one-way dependency rules with `go list -deps`.
func TestLayering(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`, module+"...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := fields[0]
		if strings.HasSuffix(pkg, "test") || strings.Contains(pkg, "/cmd/") || strings.HasPrefix(pkg, module+"tests") {
			continue
		}
		for _, dep := range fields[1:] {
			if !strings.HasPrefix(dep, module) && !strings.HasPrefix(dep, pgQuery) || isAllowed(pkg, dep) {
				continue
			}
			for _, r := range forbidden {
				// A rule does not forbid a package its own subtree (sql/ ↛ sql/),
				// except the module-wide rules of leaves.
				self := matches(pkg, r.dep) && !strings.HasPrefix(r.dep, module)
				if matches(pkg, r.pkg) && matches(dep, r.dep) && !self {
					t.Errorf("%s must not import %s (rule %s ↛ %s)", pkg, dep, r.pkg, r.dep)
				}
			}
		}
	}
	// Only cmd/heliosdb-nano and tests may import node; nothing imports cmd.
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		for _, dep := range fields[1:] {
			if dep == module+"node" && !strings.Contains(fields[0], "/cmd/") && !strings.Contains(fields[0], "nodecli") &&
				!strings.HasSuffix(fields[0], "test") && !strings.HasPrefix(fields[0], module+"tests") {
				t.Errorf("%s imports node; only the command line may", fields[0])
			}
		}
	}
}

// execParseTree lists the non-test files under sql/exec that still import
// pg_query's parse tree. Issue 11 moves binding into sql/plan so that exec
// compiles bound plans and never sees pg_query: this list may only shrink.
// A file that newly imports pg_query fails TestExecParseTreeRatchet, and so
// does a listed file that no longer does (take it off the list).
var execParseTree = []string{
	"access.go", "agg.go", "arrays.go", "constraint.go",
	"copy.go", "ctas.go", "cte.go", "cte_dml.go", "ddl.go", "ddl_alter.go", "ddl_sequence.go",
	"dml.go", "expr.go", "expr2.go", "fkey.go", "fromnames.go",
	"groupby.go", "grouping.go", "join.go", "joinplan.go",
	"jsonrow.go", "lateral.go", "merge.go", "prepare.go",
	"rowcompare.go", "schema.go", "scope.go", "selectplan.go", "seqbind.go",
	"srf.go", "srflist.go", "srfproject.go", "syscat.go", "temp.go", "view.go", "viewdml.go",
	"window.go",
}

// TestExecParseTreeRatchet holds sql/exec's imports of pg_query to
// execParseTree (paths relative to sql/exec).
func TestExecParseTreeRatchet(t *testing.T) {
	root := filepath.Join("..", "sql", "exec")
	var importing []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, im := range f.Imports {
			if p, _ := strconv.Unquote(im.Path.Value); strings.HasPrefix(p, pgQuery) {
				rel, _ := filepath.Rel(root, path)
				importing = append(importing, filepath.ToSlash(rel))
				break
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range importing {
		if !slices.Contains(execParseTree, f) {
			t.Errorf("sql/exec/%s imports pg_query: exec compiles bound expressions from sql/plan (bind there, or extend the binder)", f)
		}
	}
	for _, f := range execParseTree {
		if !slices.Contains(importing, f) {
			t.Errorf("sql/exec/%s no longer imports pg_query: take it off execParseTree", f)
		}
	}
	t.Logf("%d files of sql/exec import pg_query", len(importing))
}
