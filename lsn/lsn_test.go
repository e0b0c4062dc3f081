package lsn_test

import (
	"testing"

	"github.com/heliosdb/nano/lsn"
)

func TestRoundTrip(t *testing.T) {
	for _, v := range []lsn.LSN{0, 1, 0xB374D848, 0x16_B374D848, ^lsn.LSN(0)} {
		got, err := lsn.Parse(v.String())
		if err != nil || got != v {
			t.Fatalf("Parse(%q) = %v, %v; want %v", v.String(), got, err, v)
		}
	}
	if lsn.LSN(0x16_B374D848).String() != "16/B374D848" {
		t.Fatalf("format: %s", lsn.LSN(0x16_B374D848))
	}
	for _, bad := range []string{"", "12", "x/1", "1/zz"} {
		if _, err := lsn.Parse(bad); err == nil {
			t.Errorf("Parse(%q) succeeded", bad)
		}
	}
}

func TestSub(t *testing.T) {
	if lsn.LSN(10).Sub(4) != 6 || lsn.LSN(4).Sub(10) != 0 {
		t.Fatal("Sub")
	}
}
