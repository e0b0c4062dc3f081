package hba_test

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/heliosdb/nano/internal/hba"
)

const conf = `
# TYPE  DATABASE  USER      ADDRESS        METHOD
local   all       all                      trust
host    all       mallory   all            reject
hostssl all       +admins   10.0.0.0/8     scram-sha-256
host    heliosdb  app       127.0.0.1      md5
hostnossl sameuser all      192.168.1.0/24 password
host    all       all       ::1/128        trust
host    all       all       127.0.0.0/8    scram-sha-256
`

func TestDecide(t *testing.T) {
	rules, err := hba.Parse(strings.NewReader(conf))
	if err != nil {
		t.Fatal(err)
	}
	admins := func(role string) bool { return role == "admins" }
	ip := netip.MustParseAddr
	cases := []struct {
		name string
		c    hba.Conn
		want hba.Decision
	}{
		{"local socket", hba.Conn{Local: true, User: "x", Database: "d"}, hba.Decision{true, "trust", 3}},
		{"rejected user anywhere", hba.Conn{Addr: ip("127.0.0.1"), User: "mallory", Database: "d"}, hba.Decision{true, "reject", 4}},
		{"member of admins over TLS", hba.Conn{Addr: ip("10.1.2.3"), TLS: true, User: "ann", Database: "d", MemberOf: admins}, hba.Decision{true, "scram-sha-256", 5}},
		{"member of admins without TLS", hba.Conn{Addr: ip("10.1.2.3"), User: "ann", Database: "d", MemberOf: admins}, hba.Decision{}},
		{"not a member, TLS", hba.Conn{Addr: ip("10.1.2.3"), TLS: true, User: "bob", Database: "d"}, hba.Decision{}},
		{"the group itself", hba.Conn{Addr: ip("10.9.9.9"), TLS: true, User: "admins", Database: "d"}, hba.Decision{true, "scram-sha-256", 5}},
		{"single host, right database", hba.Conn{Addr: ip("127.0.0.1"), User: "app", Database: "heliosdb"}, hba.Decision{true, "md5", 6}},
		{"single host, other database", hba.Conn{Addr: ip("127.0.0.1"), User: "app", Database: "postgres"}, hba.Decision{true, "scram-sha-256", 9}},
		{"other loopback address", hba.Conn{Addr: ip("127.0.0.2"), User: "app", Database: "heliosdb"}, hba.Decision{true, "scram-sha-256", 9}},
		{"sameuser without TLS", hba.Conn{Addr: ip("192.168.1.7"), User: "joe", Database: "joe"}, hba.Decision{true, "password", 7}},
		{"sameuser, other db", hba.Conn{Addr: ip("192.168.1.7"), User: "joe", Database: "heliosdb"}, hba.Decision{}},
		{"hostnossl with TLS", hba.Conn{Addr: ip("192.168.1.7"), TLS: true, User: "joe", Database: "joe"}, hba.Decision{}},
		{"IPv6 loopback", hba.Conn{Addr: ip("::1"), User: "x", Database: "d"}, hba.Decision{true, "trust", 8}},
		{"IPv4-mapped IPv6", hba.Conn{Addr: ip("::ffff:127.0.0.1"), User: "x", Database: "d"}, hba.Decision{true, "scram-sha-256", 9}},
		{"no rule", hba.Conn{Addr: ip("8.8.8.8"), User: "x", Database: "d"}, hba.Decision{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := hba.Decide(rules, tc.c); got != tc.want {
				t.Errorf("Decide = %+v, want %+v", got, tc.want)
			}
		})
	}
	if got := hba.Decide(nil, hba.Conn{Addr: ip("127.0.0.1")}); got.Matched {
		t.Errorf("an empty list matched: %+v", got)
	}
}

func TestParseErrors(t *testing.T) {
	for _, line := range []string{
		"host all all",                                // too short
		"hostgss all all all trust",                   // type
		"host all all 10.0.0.0/33 trust",              // CIDR
		"host all all example.com trust",              // host name
		"host all all all peer",                       // method
		"host all all all scram-sha-256 clientcert=1", // options
		"host ,all all all trust",                     // empty name
		"local all all",                               // no method
	} {
		if _, err := hba.ParseLine(line); !errors.Is(err, hba.ErrSyntax) {
			t.Errorf("ParseLine(%q) = %v, want ErrSyntax", line, err)
		}
	}
	if _, err := hba.Parse(strings.NewReader("host all all all trust\nhost all all bad trust\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("Parse error does not name the line: %v", err)
	}
}
