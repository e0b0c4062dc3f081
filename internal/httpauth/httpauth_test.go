package httpauth_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/heliosdb/nano/internal/httpauth"
)

func basic(user, password string) string {
	r, _ := http.NewRequest(http.MethodGet, "http://x", nil)
	r.SetBasicAuth(user, password)
	return r.Header.Get("Authorization")
}

func TestDecide(t *testing.T) {
	check := func(u, p string) bool { return u == "helios" && p == "pw" }
	cfg := httpauth.Config{Check: check, Token: "tok"}
	for _, tc := range []struct {
		name   string
		cfg    httpauth.Config
		header string
		ok     bool
		user   string
		method httpauth.Method
	}{
		{"no header", cfg, "", false, "", 0},
		{"basic right", cfg, basic("helios", "pw"), true, "helios", httpauth.MethodBasic},
		{"basic wrong password", cfg, basic("helios", "px"), false, "", 0},
		{"basic unknown user", cfg, basic("root", "pw"), false, "", 0},
		{"basic garbage", cfg, "Basic ###", false, "", 0},
		{"bearer right", cfg, "Bearer tok", true, httpauth.TokenUser, httpauth.MethodToken},
		{"bearer lower-case scheme", cfg, "bearer tok", true, httpauth.TokenUser, httpauth.MethodToken},
		{"bearer wrong", cfg, "Bearer tok2", false, "", 0},
		{"bearer prefix", cfg, "Bearer to", false, "", 0},
		{"bearer with no token configured", httpauth.Config{Check: check}, "Bearer ", false, "", 0},
		{"basic with no check", httpauth.Config{Token: "tok"}, basic("helios", "pw"), false, "", 0},
		{"other scheme", cfg, "Digest abc", false, "", 0},
		{"none lets anything through", httpauth.Config{None: true}, "", true, "", httpauth.MethodNone},
	} {
		c, ok := httpauth.Decide(tc.cfg, tc.header)
		if ok != tc.ok || c.User != tc.user || c.Method != tc.method {
			t.Errorf("%s: %+v %v, want ok=%v user=%q method=%v", tc.name, c, ok, tc.ok, tc.user, tc.method)
		}
	}
}

func TestRequire(t *testing.T) {
	a := httpauth.New(httpauth.Config{Token: "tok"})
	var seen httpauth.Caller
	h := a.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen, _ = httpauth.CallerFrom(r.Context())
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/admin/promote", nil))
	if rec.Code != http.StatusUnauthorized || rec.Header().Get("WWW-Authenticate") == "" {
		t.Fatalf("no credentials: %d %v", rec.Code, rec.Header())
	}
	req := httptest.NewRequest(http.MethodPost, "/admin/promote", nil)
	httpauth.Credentials{Token: "tok", User: "ignored"}.Apply(req)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || seen.User != httpauth.TokenUser || seen.Remote == "" {
		t.Fatalf("token: %d caller %+v", rec.Code, seen)
	}
}

// TestAdmit: Admit is asked before the password: a refused Basic user gets
// 403 with the reason and never reaches the handler (with or without the
// right password, and without the password being checked); an admitted
// one goes through the normal check; the token skips Admit.
func TestAdmit(t *testing.T) {
	checked := 0
	a := httpauth.New(httpauth.Config{
		Check: func(u, p string) bool { checked++; return p == "pw" },
		Token: "tok",
		Admit: func(user string, r *http.Request) (string, bool) {
			return "rules reject " + user, user != "mallory"
		},
	})
	reached := 0
	h := a.Require(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached++ }))
	for _, tc := range []struct {
		authz string
		code  int
	}{
		{basic("mallory", "pw"), http.StatusForbidden},
		{basic("mallory", "no"), http.StatusForbidden},
		{basic("carol", "no"), http.StatusUnauthorized},
		{basic("carol", "pw"), http.StatusOK},
		{"Bearer tok", http.StatusOK},
	} {
		req := httptest.NewRequest(http.MethodPost, "/query", nil)
		req.Header.Set("Authorization", tc.authz)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.code {
			t.Errorf("%s: %d %s, want %d", tc.authz, rec.Code, rec.Body, tc.code)
		}
		if tc.code == http.StatusForbidden && !strings.Contains(rec.Body.String(), `"code":"28000","message":"rules reject mallory"`) {
			t.Errorf("%s: body %s", tc.authz, rec.Body)
		}
	}
	if reached != 2 || checked != 2 {
		t.Errorf("handler reached %d times, password checked %d times; want 2 and 2 (mallory never checked)", reached, checked)
	}
}
