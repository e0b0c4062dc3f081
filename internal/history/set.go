package history

import (
	"fmt"
	"sort"
)

// CheckSet checks unique inserts ("add" operations whose Value is the
// int64 inserted) against final, every value read at the end (with
// repeats): every acknowledged add present, none present twice, none
// present that was never attempted or that definitely failed.
func CheckSet(ops []Op, final []int64) Result {
	var r Result
	status := map[int64]Status{}
	for _, op := range ops {
		if v, ok := op.Value.(int64); ok && op.F == "add" {
			status[v] = op.Status
		}
	}
	count := map[int64]int{}
	for _, v := range final {
		count[v]++
	}
	var lost, dups, invented, failed, recovered []int64
	for v, st := range status {
		switch {
		case st == OK && count[v] == 0:
			lost = append(lost, v)
		case st == Fail && count[v] > 0:
			failed = append(failed, v)
		case st == Unknown && count[v] > 0:
			recovered = append(recovered, v)
		}
	}
	for v, n := range count {
		if n > 1 {
			dups = append(dups, v)
		}
		if _, ok := status[v]; !ok {
			invented = append(invented, v)
		}
	}
	for _, l := range [][]int64{lost, dups, invented, failed} {
		sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
	}
	r.Lost, r.Duplicated, r.Anomalies = len(lost), len(dups), len(invented)+len(failed)
	if len(lost) > 0 {
		r.problem("set: %d acknowledged inserts missing: %v", len(lost), head(lost))
	}
	if len(dups) > 0 {
		r.problem("set: %d values present more than once: %v", len(dups), head(dups))
	}
	if len(invented) > 0 {
		r.problem("set: %d values present that were never inserted: %v", len(invented), head(invented))
	}
	if len(failed) > 0 {
		r.problem("set: %d values present whose insert definitely failed: %v", len(failed), head(failed))
	}
	r.Notes = append(r.Notes, fmt.Sprintf("set: %d inserts attempted, %d present at the end (%d of unknown outcome present)", len(status), len(count), len(recovered)))
	return r
}

func head[T any](s []T) []T { return s[:min(len(s), 10)] }

// BankRead is one read of every account's balance.
type BankRead struct{ Balances map[int]int64 }

// CheckBank checks that every acknowledged read ("read" operations with a
// BankRead value) sees accounts accounts summing to total, none negative.
func CheckBank(ops []Op, accounts int, total int64) Result {
	var r Result
	reads := 0
	for _, op := range ops {
		br, ok := op.Value.(BankRead)
		if !ok || op.F != "read" || op.Status != OK {
			continue
		}
		reads++
		var sum int64
		neg := false
		for _, b := range br.Balances {
			sum += b
			neg = neg || b < 0
		}
		if sum != total || len(br.Balances) != accounts || neg {
			r.Anomalies++
			r.problem("bank: %v: %d accounts summing to %d (want %d summing to %d), negative balance %v", op, len(br.Balances), sum, accounts, total, neg)
		}
	}
	r.Notes = append(r.Notes, fmt.Sprintf("bank: %d reads checked for total %d over %d accounts", reads, total, accounts))
	return r
}
