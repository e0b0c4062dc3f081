package exec

import (
	"math"
	"time"

	"github.com/heliosdb/nano/sql/types"
)

// pg_sleep(seconds) waits, as PostgreSQL's does, until the time is up or
// the statement is cancelled (57014; a cancellation cause such as 57P01
// is applied by the session). A negative, zero or NaN delay returns at once.
func fnSleep(en *env, a []Datum) (Datum, error) {
	secs := toFloat(a[0])
	if !(secs > 0) {
		return "", nil
	}
	d := time.Duration(math.Min(secs, float64(math.MaxInt64/int64(time.Second))) * float64(time.Second))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return "", nil
	case <-en.ctx.Done():
		return nil, errCanceled
	}
}

func init() {
	funcTable["pg_sleep"] = funcDef{result: fixed(types.Void), hints: []types.T{types.Float8}, strict: true, minArg: 1, maxArg: 1, fn: fnSleep}
	noFold["pg_sleep"] = true
	volatileFuncs["pg_sleep"] = true
}
