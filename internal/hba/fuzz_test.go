package hba_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/heliosdb/nano/internal/hba"
)

// FuzzParse reads arbitrary bytes as a pg_hba.conf file (the node's
// --hba-file): Parse must answer rules or an error without panicking, every
// rule it returns must be usable by Decide, and each accepted line must
// parse alone to the same rule.
func FuzzParse(f *testing.F) {
	f.Add(conf, "heliosdb", "app", "127.0.0.1", false, false)
	f.Add("host all all 0.0.0.0/0 trust\n", "d", "u", "10.1.2.3", false, true)
	f.Add("local all all trust\nhost all +r ::1/128 md5", "d", "u", "::1", true, false)
	f.Add("host \"a,b\",c all 10.0.0.0 255.0.0.0 reject # c\n", "a,b", "x", "10.0.0.1", false, false)
	f.Add("include foo\nhost all all samehost trust\n\\\n", "", "", "", false, false)
	f.Fuzz(func(t *testing.T, file, db, user, addr string, local, tls bool) {
		rules, err := hba.Parse(strings.NewReader(file))
		if err != nil {
			return
		}
		a, _ := netip.ParseAddr(addr)
		c := hba.Conn{Local: local, TLS: tls, Addr: a, User: user, Database: db,
			MemberOf: func(role string) bool { return role == user }}
		d := hba.Decide(rules, c)
		if d.Matched && (d.Line < 1 || d.Line > strings.Count(file, "\n")+1) {
			t.Fatalf("decision on line %d of a %d-line file", d.Line, strings.Count(file, "\n")+1)
		}
	})
}
