package session

import (
	"testing"
	"time"

	"github.com/heliosdb/nano/sql/pgerror"
)

func TestUnits(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		units    []unit
	}{
		{"0", "0", timeUnits}, {"1000", "1s", timeUnits}, {"60000", "1min", timeUnits},
		{"1500ms", "1500ms", timeUnits}, {"1.5s", "1500ms", timeUnits}, {"2h", "2h", timeUnits},
		{"1 d", "1d", timeUnits}, {"4096", "4MB", memUnits}, {"1GB", "1GB", memUnits}, {"100kB", "100kB", memUnits},
	} {
		n, ok := parseUnits(tc.in, tc.units)
		if !ok {
			t.Fatalf("parseUnits(%q) failed", tc.in)
		}
		if got := formatUnits(n, tc.units); got != tc.want {
			t.Errorf("%q -> %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, bad := range []string{"", "abc", "1 parsec", "1S", "99999999999"} {
		if _, ok := parseUnits(bad, timeUnits); ok {
			t.Errorf("parseUnits(%q) accepted", bad)
		}
	}
	if d := durationOf("90s"); d != 90*time.Second {
		t.Errorf("durationOf(90s) = %v", d)
	}
}

func TestDateStyleAndBool(t *testing.T) {
	d := gucTable()["datestyle"]
	for _, tc := range []struct{ cur, in, want string }{
		{"ISO, MDY", "DMY", "ISO, DMY"}, {"ISO, DMY", "iso", "ISO, DMY"},
		{"ISO, DMY", "ISO, US", "ISO, MDY"}, {"ISO, MDY", "European", "ISO, DMY"},
	} {
		if got, err := checkDateStyle(d, tc.cur, tc.in); err != nil || got != tc.want {
			t.Errorf("DateStyle %q + %q = %q, %v; want %q", tc.cur, tc.in, got, err, tc.want)
		}
	}
	for in, want := range map[string]bool{"on": true, "t": true, "YES": true, "1": true, "off": false, "of": false, "f": false, "no": false} {
		if got, ok := parseBool(in); !ok || got != want {
			t.Errorf("parseBool(%q) = %v %v", in, got, ok)
		}
	}
	for _, bad := range []string{"o", "", "maybe", "2"} {
		if _, ok := parseBool(bad); ok {
			t.Errorf("parseBool(%q) accepted", bad)
		}
	}
	if got := versionNum("16.2"); got != "160002" {
		t.Errorf("versionNum = %s", got)
	}
}

func TestBlockTransitions(t *testing.T) {
	for _, tc := range []struct {
		name    string
		got     txOutcome
		next    blockState
		action  txAction
		tag     string
		warning pgerror.Code
	}{
		{"commit explicit", onCommit(blockExplicit), blockNone, actCommit, "COMMIT", ""},
		{"commit failed", onCommit(blockFailed), blockNone, actRollback, "ROLLBACK", ""},
		{"commit implicit", onCommit(blockImplicit), blockNone, actCommit, "COMMIT", pgerror.NoActiveSQLTransaction},
		{"commit none", onCommit(blockNone), blockNone, actNone, "COMMIT", pgerror.NoActiveSQLTransaction},
		{"rollback failed", onRollback(blockFailed), blockNone, actRollback, "ROLLBACK", ""},
		{"rollback none", onRollback(blockNone), blockNone, actNone, "ROLLBACK", pgerror.NoActiveSQLTransaction},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var w pgerror.Code
			if tc.got.warning != nil {
				w = tc.got.warning.Code
			}
			if tc.got.next != tc.next || tc.got.action != tc.action || tc.got.tag != tc.tag || w != tc.warning {
				t.Fatalf("got %+v", tc.got)
			}
		})
	}
	if o, err := onBegin(blockImplicit, "BEGIN"); err != nil || o.next != blockExplicit || o.warning != nil {
		t.Fatalf("BEGIN in implicit: %+v %v", o, err)
	}
	if o, _ := onBegin(blockExplicit, "BEGIN"); o.warning == nil || o.next != blockExplicit {
		t.Fatalf("BEGIN in explicit: %+v", o)
	}
	if _, err := onBegin(blockFailed, "BEGIN"); pgerror.CodeOf(err) != pgerror.InFailedSQLTransaction {
		t.Fatalf("BEGIN in failed: %v", err)
	}
	if onError(blockExplicit) != blockFailed || onError(blockImplicit) != blockNone || onError(blockFailed) != blockFailed {
		t.Fatal("onError")
	}
	for b, want := range map[blockState]byte{blockNone: 'I', blockImplicit: 'I', blockExplicit: 'T', blockFailed: 'E'} {
		if byte(b.txStatus()) != want {
			t.Errorf("%v: status %c", b, b.txStatus())
		}
	}
}

func TestGucsTransactional(t *testing.T) {
	g := newGucs(nil)
	if err := g.setStartup("application_name", "boot"); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(g.set("application_name", "a", true, false))
	must(g.set("extra_float_digits", "2", true, true))
	g.endBlock(false)
	if v, _ := g.Get("application_name"); v != "boot" {
		t.Fatalf("after rollback %q", v)
	}
	must(g.set("application_name", "b", true, false))
	g.endBlock(true)
	must(g.resetOne("application_name", false))
	if v, _ := g.Get("APPLICATION_NAME"); v != "boot" {
		t.Fatalf("after reset %q", v)
	}
	if v, _ := g.Get("extra_float_digits"); v != "1" {
		t.Fatalf("SET LOCAL survived: %q", v)
	}
}
