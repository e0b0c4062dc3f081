package nodecli

import (
	"testing"

	"github.com/heliosdb/nano/lsn"
)

func TestAppliedFrom(t *testing.T) {
	for body, want := range map[string]lsn.LSN{
		`{"columns":["x"],"rows":[[35640]]}`:    35640,
		`{"columns":["x"],"rows":[["0/8B38"]]}`: 0x8B38,
		`{"rows":[[18446744073709551615]]}`:     lsn.LSN(^uint64(0)),
	} {
		if got, err := appliedFrom([]byte(body)); err != nil || got != want {
			t.Errorf("%s: %s, %v; want %s", body, got, err, want)
		}
	}
	for _, body := range []string{`{"rows":[]}`, `{"rows":[[null]]}`, `{"rows":[[1.5]]}`, `{`} {
		if got, err := appliedFrom([]byte(body)); err == nil {
			t.Errorf("%s: %s", body, got)
		}
	}
}
