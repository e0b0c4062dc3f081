package replication

import (
	"time"

	"github.com/heliosdb/nano/lsn"
)

// lagClock measures how stale a follower is in time: it remembers when
// positions became known upstream (mark) and, given what the follower has
// applied, answers how long ago the oldest position it still lacks became
// known. A caught-up follower has zero lag.
type lagClock struct {
	marks []lagMark
}

type lagMark struct {
	pos lsn.LSN
	at  time.Time
}

const maxLagMarks = 1024

// mark records that pos was known at at. Positions must not go backwards.
func (c *lagClock) mark(pos lsn.LSN, at time.Time) {
	if n := len(c.marks); n > 0 && c.marks[n-1].pos >= pos {
		return
	}
	if len(c.marks) == maxLagMarks {
		// Keep the oldest mark (it defines the lag) and thin the rest.
		c.marks = append(c.marks[:1], c.marks[2:]...)
	}
	c.marks = append(c.marks, lagMark{pos, at})
}

// lag drops the marks the follower has reached and returns the age of the
// oldest remaining one.
func (c *lagClock) lag(applied lsn.LSN, now time.Time) time.Duration {
	i := 0
	for i < len(c.marks) && c.marks[i].pos <= applied {
		i++
	}
	c.marks = append(c.marks[:0], c.marks[i:]...)
	if len(c.marks) == 0 {
		return 0
	}
	return now.Sub(c.marks[0].at)
}
