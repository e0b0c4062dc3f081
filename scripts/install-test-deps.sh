#!/usr/bin/env bash
# Installs, from Debian's packages, what the test suites need and this
# machine lacks: gcc (cgo), psql, a PostgreSQL 15 server (the oracle of the
# differential tests), pgbench, protoc, python3 (slt.py) and the client
# libraries of the client-compatibility tests. Used by `make test` and .ci/run.
# Does nothing when everything is present; needs root (or sudo) otherwise.
set -euo pipefail
need=()
command -v gcc >/dev/null || need+=(gcc libc6-dev)
command -v make >/dev/null || need+=(make)
command -v psql >/dev/null || need+=(postgresql-client)
command -v pgbench >/dev/null || need+=(postgresql-contrib)
[ -x /usr/lib/postgresql/15/bin/postgres ] || need+=(postgresql-15)
command -v protoc >/dev/null || need+=(protobuf-compiler)
command -v python3 >/dev/null || need+=(python3)   # ../shared/conformance/slt.py
# client compatibility (tests/clients_test.go, make compat): Debian's
# SQLAlchemy over psycopg2, run with the system python3
/usr/bin/python3 -c 'import psycopg2' 2>/dev/null || need+=(python3-psycopg2)
/usr/bin/python3 -c 'import sqlalchemy' 2>/dev/null || need+=(python3-sqlalchemy)
# JDBC (tests/clients_test.go TestJDBCMatchesPostgres): javac and pgjdbc
command -v javac >/dev/null || need+=(default-jdk-headless)
[ -e /usr/share/java/postgresql.jar ] || need+=(libpostgresql-jdbc-java)
[ ${#need[@]} -eq 0 ] && exit 0
echo "installing: ${need[*]}"
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
