package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/heliosdb/nano/httpapi"
	"github.com/heliosdb/nano/internal/httpauth"
	"github.com/heliosdb/nano/sql/result"
	"github.com/heliosdb/nano/sql/types"
)

// echoBackend answers /query with one text column per JSON parameter
// (rendered as the node renders parameters it cannot pass as text), and
// every admin call with its request.
type echoBackend struct{}

func (echoBackend) Health() httpapi.Health { return httpapi.Health{Status: "ok", Serving: true} }
func (echoBackend) Query(_ context.Context, _, sql string, params []any) (*result.Buffer, error) {
	buf := &result.Buffer{Tag: "SELECT 1"}
	row := make([]types.Datum, len(params))
	for i, p := range params {
		buf.Columns = append(buf.Columns, result.Column{Name: fmt.Sprint("p", i), Type: types.Text})
		b, err := json.Marshal(p)
		if err != nil {
			return nil, err
		}
		row[i] = string(b)
	}
	buf.Rows = append(buf.Rows, row)
	return buf, nil
}
func (echoBackend) Status(context.Context) any { return map[string]string{"status": "ok"} }
func (echoBackend) Promote(_ context.Context, req httpapi.PromoteRequest) (any, error) {
	return req, nil
}
func (echoBackend) Demote(context.Context, string, int) error { return nil }
func (echoBackend) GrantLease(_ context.Context, req httpapi.LeaseRequest) (any, error) {
	return req, nil
}

// FuzzHandler sends arbitrary JSON bodies to every POST endpoint of the
// node's HTTP API (the admin token's caller): the handler must answer
// with a status and a JSON body, never panic, and answer 5xx only when
// the backend failed (here it never does).
func FuzzHandler(f *testing.F) {
	paths := []string{"/query", "/admin/promote", "/admin/demote", "/admin/lease"}
	f.Add(uint8(0), []byte(`{"sql": "SELECT $1, $2", "params": [1, "x", null, true, 1.5e300, {"a": [1]}]}`))
	f.Add(uint8(0), []byte(`{"sql": "SELECT 1", "params": [123456789012345678901234567890]}`))
	f.Add(uint8(0), []byte(`{"sql": "\u0000"}`))
	f.Add(uint8(0), []byte("{\"sql\": \"\xff\"}"))
	f.Add(uint8(0), []byte(`[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]`))
	f.Add(uint8(1), []byte(`{"sync_degraded": true}`))
	f.Add(uint8(1), []byte(``))
	f.Add(uint8(2), []byte(`{"primary_host": "127.0.0.1", "primary_port": 5433}`))
	f.Add(uint8(3), []byte(`{"term": 3, "duration_ms": 5000, "holder": "proxy", "degraded_seq": 1}`))
	f.Add(uint8(3), []byte(`{"term": -1, "duration_ms": 1e99}`))
	h := httpapi.NewHandler(echoBackend{}, httpapi.Options{Auth: httpauth.Config{Token: "t"}})
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		req := httptest.NewRequest(http.MethodPost, paths[int(which)%len(paths)], bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer t")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s answered %d: %s", req.URL.Path, rec.Code, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s answered %d with a body that is not JSON: %q", req.URL.Path, rec.Code, rec.Body)
		}
	})
}
