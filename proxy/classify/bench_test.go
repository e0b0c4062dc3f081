package classify_test

import (
	"strconv"
	"testing"

	"github.com/heliosdb/nano/proxy/classify"
)

func BenchmarkClassifyMiss(b *testing.B) {
	c := classify.New()
	for i := 0; b.Loop(); i++ {
		c.Classify("SELECT abalance FROM bench_accounts WHERE aid = " + strconv.Itoa(i))
	}
}

func BenchmarkClassifyHit(b *testing.B) {
	c := classify.New()
	for b.Loop() {
		c.Classify("SELECT abalance FROM bench_accounts WHERE aid = 1")
	}
}
