package types

// IntervalValue is the Datum for interval values (the name Interval is
// taken by the T for the interval type). Months, days and microseconds are
// kept apart because their lengths vary: a month is not always 30 days and
// PostgreSQL keeps '1 mon' distinct from '30 days' in output.
type IntervalValue struct {
	Months int32
	Days   int32
	Micros int64
}
