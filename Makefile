# HeliosDB Nano. `make run` starts a node; `make test` runs the test suite.
GO       ?= go
BIN      ?= bin
export CGO_ENABLED := 1

STATIC_TAGS    := netgo,osusergo
STATIC_LDFLAGS := -s -w -linkmode external -extldflags "-static"
TEST_TIMEOUT   ?= 14m

.PHONY: deps proto proto-check all build static docker docker-e2e run run-single test test-short e2e faults faults-quick fuzz compat compat-update bench bench-full profile profile-replication instructions lint fmt vet clean help

all: build

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

build: ## build bin/heliosdb-nano and bin/heliosdb-proxy
	$(GO) build -o $(BIN)/heliosdb-nano ./cmd/heliosdb-nano
	$(GO) build -o $(BIN)/heliosdb-proxy ./cmd/heliosdb-proxy

static: ## static binaries for FROM-scratch Docker images (bin/static/)
	$(GO) build -tags $(STATIC_TAGS) -ldflags '$(STATIC_LDFLAGS)' -o $(BIN)/static/heliosdb-nano ./cmd/heliosdb-nano
	$(GO) build -tags $(STATIC_TAGS) -ldflags '$(STATIC_LDFLAGS)' -o $(BIN)/static/heliosdb-proxy ./cmd/heliosdb-proxy

docker: static ## the FROM-scratch image heliosdb-nano:ha with both binaries (tests/docker/Dockerfile.ha)
	docker build -f tests/docker/Dockerfile.ha -t heliosdb-nano:ha .

docker-e2e: docker ## the tutorial's Docker cluster end to end: Part 1, failover, switchover, continuity (tests/docker/e2e.sh; needs a Docker engine)
	tests/docker/e2e.sh

run: build ## start the tutorial's local HA cluster: primary, sync standby, async standby and proxy (Ctrl-C stops it)
	scripts/local-cluster.sh

run-single: build ## start one node on 5432 (PG) / 8080 (HTTP), data in ./heliosdb-data
	$(BIN)/heliosdb-nano start --data-dir ./heliosdb-data --node-id primary

deps: ## install what the tests need and this machine lacks (Debian packages: gcc, psql, postgresql-15, pgbench, protoc)
	./scripts/install-test-deps.sh

test: deps vet ## the test suite (unit, integration, e2e on built binaries, 50 kill -9 cycles, 4 primary pauses)
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...

test-short: ## quick subset
	$(GO) test -short -count=1 ./...

e2e: ## end-to-end suites only
	$(GO) test -count=1 -v -timeout 30m ./tests/...

faults: ## crash/fault suites with many more cycles (the history checker suite for 11 min per scenario, at least 1000 faults; 500 kill -9, 20 SIGSTOP/SIGCONT pauses of a primary behind the proxy, 10000 causal write-then-read pairs, 10 make-run Ctrl-C cycles, a 10-minute hostile-SQL soak of node and proxy, a 10000-job SKIP LOCKED queue, 10 s pgbench runs with 0 failures, 60 s of bank transfers from 16 sessions)
	HELIOSDB_CRASH_CYCLES=500 HELIOSDB_PAUSE_CYCLES=20 $(GO) test -count=1 -v -timeout 60m -run 'Kill9|PowerCut|Crash|Torn|Corrupt|Pause' ./tests/... ./wal/... ./storage/...
	HELIOSDB_CAUSAL_PAIRS=10000 $(GO) test -count=1 -v -timeout 30m -run 'TestCausalReadsAcrossSessions' ./proxy/
	HELIOS_MAKE_RUN_CYCLES=10 $(GO) test -count=1 -v -timeout 20m -run '^TestMakeRunCtrlC$$' ./tests/
	HELIOSDB_SOAK_DURATION=$${HELIOSDB_SOAK_DURATION:-10m} $(GO) test -count=1 -v -timeout 60m -run '^TestSoakHostileSQL$$' ./tests/
	HELIOSDB_QUEUE_JOBS=10000 HELIOSDB_PGBENCH_SECONDS=10 HELIOSDB_BANK_SECONDS=60 $(GO) test -count=1 -v -timeout 30m -run '^(TestSkipLockedQueue|TestPgbenchNoFailedTransactions|TestIsolationMatchesPostgres|TestBankTransfers)$$' ./tests/
	HELIOSDB_FAULTS=1 HELIOSDB_FAULTS_DURATION=$${HELIOSDB_FAULTS_DURATION:-11m} HELIOSDB_FAULTS_MIN=$${HELIOSDB_FAULTS_MIN:-1000} $(GO) test -count=1 -v -timeout 120m -run '^TestFaults$$' ./tests/

faults-quick: ## the history checker suite, every scenario once (~4 min): register/set/bank/append/set-async through heliosdb-proxy under a random nemesis (kill -9, power cuts, SIGSTOP, partitions, delays, switchover, proxy restart, disk full)
	HELIOSDB_FAULTS=1 HELIOSDB_FAULTS_DURATION=$${HELIOSDB_FAULTS_DURATION:-30s} $(GO) test -count=1 -v -timeout 15m -run '^TestFaults$$' ./tests/

FUZZTIME ?= 10m
FUZZ_JOBS ?= 4
FUZZ_PARALLEL ?= 2
# pkg:target pairs; go test -fuzz takes one target per package run.
FUZZ_TARGETS := ./pgwire:FuzzServerInput ./pgwire/pgfront:FuzzStartup ./proxy/wire:FuzzReader \
	./wal:FuzzDecode ./wal:FuzzSegments ./storage:FuzzDecodeBatch \
	./replication:FuzzServerHandshake ./replication:FuzzSecureConnRead \
	./httpapi:FuzzHandler ./proxy/admin:FuzzHandler ./proxy/config:FuzzParse ./internal/hba:FuzzParse \
	./sql/copyfmt:FuzzReader ./sql/types:FuzzDecodeBinary ./sql/types:FuzzParseText \
	./sql/rowenc:FuzzDecodeKey ./sql/rowenc:FuzzDecodeRow ./sql/rowenc:FuzzDecodeRowInto ./sql/parser:FuzzParseDepth ./sql/session:FuzzQuery \
	./forward:FuzzRows

fuzz: ## every fuzz target for FUZZTIME (default 10m), FUZZ_JOBS at a time with FUZZ_PARALLEL workers each (default 4 x 2: 21 targets in ~6 x FUZZTIME; FUZZ_JOBS=1 FUZZ_PARALLEL= is the serial 3.5 h run, every core per target), each under a 1.5 MB C stack, then execs per target (scripts/fuzz.sh); the seed corpora in testdata/fuzz run in make test
	@FUZZTIME=$(FUZZTIME) FUZZ_JOBS=$(FUZZ_JOBS) FUZZ_PARALLEL=$(FUZZ_PARALLEL) GO=$(GO) scripts/fuzz.sh $(FUZZ_TARGETS)

compat: deps ## differential tests against a real PostgreSQL 15: every difference of testdata/compat/*.sql, and slt.py over ../shared/conformance on a node and on PostgreSQL
	HELIOSDB_COMPAT=full $(GO) test -count=1 -v -timeout 60m -run '^(TestCompat|TestConformanceSLT|TestSQLAlchemyInspectMatchesPostgres|TestPsycopg2NamedCursorsMatchPostgres|TestJDBCMatchesPostgres|TestGORMMatchesPostgres|TestPsqlDescribeMatchesPostgres)$$' ./tests/

compat-update: deps ## rewrite testdata/compat/known_failures.txt from a run (review the diff before committing)
	HELIOSDB_COMPAT_UPDATE=1 $(GO) test -count=1 -timeout 30m -run '^TestCompat$$' ./tests/

bench: build ## quick side-by-side with PostgreSQL 15 (< 10 min): pgbench select/update/tpcb-like, proxy vs pgbouncer, bulk load, a sync standby; writes docs/benchmarks.md
	./scripts/bench-compare.sh
	HELIOSDB_JOINBENCH=1000 $(GO) test -count=1 -v -timeout 30m -run '^TestJoinWorkload$$' ./tests/

profile: build ## CPU and allocation profiles of the node under a pgbench workload (WORKLOAD=tpcb-like CLIENTS=8 MODE=prepared): profiles/*.pprof
	./scripts/profile.sh

profile-replication: build ## a sync primary and standby under pgbench: CPU, context switches, WAL fsyncs, commit groups and standby acks per transaction on each (WORKLOAD=update|tpcb-like CLIENTS=8 LAG=1 PPROF=1 STRACE=1 BIN=old/heliosdb-nano)
	./scripts/profile-replication.sh

instructions: build ## instructions per transaction of the node under callgrind, the same on a loaded machine (WORKLOAD=simple-update MODE=prepared; BINS="old/heliosdb-nano bin/heliosdb-nano" compares builds)
	./scripts/instructions.sh $(BINS)

bench-full: build ## the long benchmarks: 30 s x 3 per point at scale 10, Go micro-benchmarks, the spill memory test
	DURATION=30 REPS=3 SCALE=10 ./scripts/bench-compare.sh
	$(GO) test -run '^$$' -bench . -benchmem ./wal/ ./storage/ ./sql/... ./pgwire/
	HELIOSDB_MEMTEST_ROWS=3000 $(GO) test -count=1 -v -timeout 30m -run TestSortOverCrossJoinSpillsWithBoundedRSS ./tests/

PROTOC_GEN_GO      := google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
PROTOC_GEN_GO_GRPC := google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.5.1

proto: ## regenerate proto/replicationpb and proto/forwardpb (needs protoc: apt-get install protobuf-compiler)
	GOBIN=$(CURDIR)/$(BIN)/tools $(GO) install $(PROTOC_GEN_GO)
	GOBIN=$(CURDIR)/$(BIN)/tools $(GO) install $(PROTOC_GEN_GO_GRPC)
	PATH=$(CURDIR)/$(BIN)/tools:$$PATH protoc --proto_path=proto \
		--go_out=. --go_opt=module=github.com/heliosdb/nano \
		--go-grpc_out=. --go-grpc_opt=module=github.com/heliosdb/nano proto/replication.proto proto/forward.proto

proto-check: proto ## fail when the generated code is stale
	git diff --exit-code -- proto/replicationpb proto/forwardpb
	@test -z "$$(git ls-files --others --exclude-standard proto)" || { echo 'untracked generated files under proto/'; exit 1; }

vet:
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

lint: vet ## gofmt, go vet, staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

clean:
	rm -rf $(BIN)
