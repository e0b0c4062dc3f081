package plan_test

import (
	"reflect"
	"testing"

	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/plan"
)

func ptr[T any](v T) *T { return &v }

func TestAuthStatementOf(t *testing.T) {
	cases := []struct {
		sql  string
		want plan.AuthStatement
	}{
		{`CREATE ROLE r`, &plan.CreateRole{Name: "r"}},
		{`CREATE USER u PASSWORD 'p'`, &plan.CreateRole{Name: "u", User: true, Options: plan.RoleOptions{Password: ptr("p"), PasswordOnly: true}}},
		{`CREATE ROLE r WITH SUPERUSER NOINHERIT LOGIN CONNECTION LIMIT 3 VALID UNTIL 'infinity' SYSID 5`, &plan.CreateRole{Name: "r", Options: plan.RoleOptions{
			Superuser: ptr(true), Inherit: ptr(false), Login: ptr(true), ConnLimit: ptr(3), ValidUntil: ptr("infinity"), SysID: true}}},
		{`CREATE ROLE r NOCREATEROLE CREATEDB REPLICATION NOBYPASSRLS IN ROLE a, b ROLE c ADMIN d`, &plan.CreateRole{Name: "r", Options: plan.RoleOptions{
			CreateRole: ptr(false), CreateDB: ptr(true), Replication: ptr(true), BypassRLS: ptr(false),
			InRoles: []string{"a", "b"}, RoleMembers: []string{"c"}, AdminMembers: []string{"d"}}}},
		{`CREATE ROLE r PASSWORD NULL`, &plan.CreateRole{Name: "r", Options: plan.RoleOptions{Password: ptr(""), PasswordNull: true, PasswordOnly: true}}},
		{`ALTER ROLE CURRENT_USER PASSWORD 'x'`, &plan.AlterRole{Role: plan.RoleRef{Current: true}, Options: plan.RoleOptions{Password: ptr("x"), PasswordOnly: true}}},
		{`ALTER USER bob NOLOGIN`, &plan.AlterRole{Role: plan.RoleRef{Name: "bob"}, Options: plan.RoleOptions{Login: ptr(false)}}},
		{`DROP ROLE IF EXISTS a, session_user`, &plan.DropRole{Roles: []plan.RoleRef{{Name: "a"}, {Current: true}}, MissingOK: true}},
		{`ALTER ROLE a RENAME TO b`, &plan.RenameRole{From: "a", To: "b"}},
		{`GRANT a, b TO c, CURRENT_ROLE`, &plan.GrantRole{Roles: []string{"a", "b"}, Grantees: []plan.RoleRef{{Name: "c"}, {Current: true}}, Grant: true}},
		{`REVOKE a FROM c`, &plan.GrantRole{Roles: []string{"a"}, Grantees: []plan.RoleRef{{Name: "c"}}}},
		{`GRANT SELECT, insert ON t, u TO PUBLIC, r WITH GRANT OPTION`, &plan.Grant{Grant: true, Privileges: catalog.PrivSelect | catalog.PrivInsert,
			Tables: []string{"t", "u"}, Grantees: []plan.RoleRef{{Name: "public"}, {Name: "r"}}, GrantOption: true}},
		{`GRANT ALL ON ALL TABLES IN SCHEMA public TO r`, &plan.Grant{Grant: true, Privileges: catalog.PrivAllTable, AllInSchema: true, Grantees: []plan.RoleRef{{Name: "r"}}}},
		{`REVOKE GRANT OPTION FOR UPDATE ON TABLE t FROM r`, &plan.Grant{Privileges: catalog.PrivUpdate, Tables: []string{"t"}, Grantees: []plan.RoleRef{{Name: "r"}}, GrantOption: true}},
		{`GRANT ALL PRIVILEGES ON SCHEMA public TO r`, &plan.Grant{Grant: true, Schema: true, Privileges: catalog.PrivUsage | catalog.PrivCreate, Grantees: []plan.RoleRef{{Name: "r"}}}},
		{`REVOKE CREATE ON SCHEMA public FROM PUBLIC`, &plan.Grant{Schema: true, Privileges: catalog.PrivCreate, Grantees: []plan.RoleRef{{Name: "public"}}}},
	}
	for _, c := range cases {
		got, ok, err := plan.AuthStatementOf(stmt(t, c.sql))
		if !ok || err != nil {
			t.Errorf("%s: ok=%v err=%v", c.sql, ok, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.sql, got, c.want)
		}
	}
}

func TestAuthStatementOfNotAuth(t *testing.T) {
	for _, sql := range []string{`SELECT 1`, `ALTER TABLE t RENAME TO u`, `DROP TABLE t`} {
		if st, ok, err := plan.AuthStatementOf(stmt(t, sql)); ok || st != nil || err != nil {
			t.Errorf("%s: got %v, %v, %v; want none", sql, st, ok, err)
		}
	}
}

// TestAuthStatementOfRefusals: the codes and messages are PostgreSQL 15's
// (psql, VERBOSITY verbose) except where noted.
func TestAuthStatementOfRefusals(t *testing.T) {
	cases := []struct {
		sql, code, msg string
		loc            int32 // -1: no position
	}{
		{`CREATE ROLE pg_x`, "42939", `role name "pg_x" is reserved`, -1},
		{`CREATE ROLE r PASSWORD 'a' PASSWORD 'b'`, "42601", "conflicting or redundant options", 27},
		{`CREATE ROLE r CONNECTION LIMIT -2`, "22023", "invalid connection limit: -2", -1},
		{`GRANT USAGE ON TABLE t TO r`, "0LP01", "invalid privilege type USAGE for table", -1},
		{`GRANT SELECT ON SCHEMA public TO r`, "0LP01", "invalid privilege type SELECT for schema", -1},
		{`GRANT ALL ON SCHEMA nosuch TO r`, "3F000", `schema "nosuch" does not exist`, -1},
		{`GRANT ALL ON ALL TABLES IN SCHEMA nosuch TO r`, "3F000", `schema "nosuch" does not exist`, -1},
		{`GRANT foo ON t TO r`, "42601", `unrecognized privilege type "foo"`, -1},
		// Not supported here (PostgreSQL runs them).
		{`ALTER ROLE r SET work_mem = '1MB'`, "0A000", "ALTER ROLE ... SET is not supported", -1},
		{`GRANT SELECT ON SEQUENCE s TO r`, "0A000", "GRANT on sequences is not supported", -1},
		{`REVOKE ALL ON DATABASE d FROM r`, "0A000", "REVOKE on databases is not supported", -1},
		{`GRANT SELECT (a) ON t TO r`, "0A000", "column privileges are not supported", -1},
	}
	for _, c := range cases {
		_, ok, err := plan.AuthStatementOf(stmt(t, c.sql))
		if !ok || err == nil {
			t.Errorf("%s: ok=%v err=%v, want %s", c.sql, ok, err, c.code)
			continue
		}
		pe := pgerror.As(err)
		if pe == nil || string(pe.Code) != c.code || pe.Message != c.msg {
			t.Errorf("%s: got %v, want %s %s", c.sql, err, c.code, c.msg)
		}
		le, located := err.(*plan.LocatedError)
		switch {
		case c.loc < 0 && located:
			t.Errorf("%s: positioned at %d, PostgreSQL gives no position", c.sql, le.Location)
		case c.loc >= 0 && (!located || le.Location != c.loc):
			t.Errorf("%s: got %v, want position %d", c.sql, err, c.loc)
		}
	}
}
