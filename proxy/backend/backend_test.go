package backend_test

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/heliosdb/nano/internal/clustertest"
	"github.com/heliosdb/nano/node"
	"github.com/heliosdb/nano/proxy/backend"
)

func startNode(t *testing.T, auth string) *clustertest.Member {
	t.Helper()
	m := clustertest.NewMember(t, "n-"+auth, clustertest.Options{}, func(c *node.Config) {
		c.Role, c.AuthMethod = node.RolePrimary, auth
	})
	m.Start()
	return m
}

func opts(m *clustertest.Member, password string) backend.Options {
	u, err := url.Parse(m.DSN())
	if err != nil {
		panic(err)
	}
	return backend.Options{Addr: u.Host, User: "helios", Password: password,
		Database: "heliosdb", Params: map[string]string{"application_name": "backend-test"}, Timeout: 5 * time.Second}
}

func TestLoginMethods(t *testing.T) {
	var d backend.Dialer
	for _, method := range []string{"scram-sha-256", "md5", "password", "trust"} {
		t.Run(method, func(t *testing.T) {
			m := startNode(t, method)
			ctx := t.Context()
			st, err := d.Probe(ctx, opts(m, "helios"))
			if err != nil {
				t.Fatal(err)
			}
			if st.Role != "primary" || st.Term < 1 || st.Params["server_version"] == "" || st.Params["application_name"] != "backend-test" {
				t.Errorf("probe = %+v", st)
			}
			if method == "trust" {
				return
			}
			_, err = d.Dial(ctx, opts(m, "wrong"))
			var se *backend.ServerError
			if !errors.As(err, &se) || se.Resp.Code != "28P01" {
				t.Errorf("wrong password: %v", err)
			}
		})
	}
}

func TestAliveAndQuery(t *testing.T) {
	m := startNode(t, "scram-sha-256")
	var d backend.Dialer
	c, err := d.Dial(t.Context(), opts(m, "helios"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rows, err := c.SimpleQuery(t.Context(), "SELECT 1, NULL::text, 'x'")
	if err != nil || len(rows) != 1 || rows[0][0] != "1" || rows[0][2] != "x" {
		t.Fatalf("rows %v err %v", rows, err)
	}
	var se *backend.ServerError
	if _, err := c.SimpleQuery(t.Context(), "SELECT * FROM nosuchtable"); !errors.As(err, &se) || se.Resp.Code != "42P01" {
		t.Fatalf("error query: %v", err)
	}
	if !c.Alive() {
		t.Fatal("idle connection reported dead")
	}
	m.Stop()
	clustertest.Eventually(t, 5*time.Second, "dead connection noticed", func() bool { return !c.Alive() })
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	if _, err := d.Dial(ctx, opts(m, "helios")); err == nil {
		t.Fatal("dial to a stopped node succeeded")
	}
}
