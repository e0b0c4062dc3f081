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
		c.thin()
	}
	c.marks = append(c.marks, lagMark{pos, at})
}

// thin halves the number of marks. The oldest mark stays exact (it
// defines the lag now); each later pair becomes one mark with the pair's
// later position and earlier time, so a follower between them is reported
// a little too far behind, never less far behind than it is.
func (c *lagClock) thin() {
	n := 1
	for i := 1; i < len(c.marks); i += 2 {
		m := c.marks[i]
		if i+1 < len(c.marks) {
			m.pos = c.marks[i+1].pos
		}
		c.marks[n] = m
		n++
	}
	c.marks = c.marks[:n]
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
