package classify

import (
	"sync"
	"unsafe"
)

const (
	// maxCached bounds the cache; it is emptied when full.
	maxCached = 4096
	// maxCachedLen: longer texts (bulk INSERTs) are classified every time
	// rather than pinning their text in memory.
	maxCachedLen = 8 << 10
)

// Classifier is Classify with a cache keyed by statement text, and by
// statement shape (the text with its literals replaced, see shapeKey) for
// classes that do not depend on literal values or text (SET statements
// are replayed by their text). The zero value is not usable; call New. It
// is safe for concurrent use.
type Classifier struct {
	mu     sync.Mutex
	texts  map[string]Class
	shapes map[string]Class
}

// New returns an empty Classifier.
func New() *Classifier {
	return &Classifier{texts: make(map[string]Class), shapes: make(map[string]Class)}
}

// Classify returns the class of sql, from the cache when possible.
func (c *Classifier) Classify(sql string) Class {
	if len(sql) > maxCachedLen {
		return Classify(sql)
	}
	c.mu.Lock()
	cl, ok := c.texts[sql]
	c.mu.Unlock()
	if ok {
		return cl
	}
	shape, shaped := shapeKey(sql)
	if shaped {
		c.mu.Lock()
		cl, ok = c.shapes[shape]
		c.mu.Unlock()
		if ok {
			return cl
		}
	}
	cl = Classify(sql)
	c.mu.Lock()
	defer c.mu.Unlock()
	if shaped && !cl.literal && len(cl.Set) == 0 && len(cl.Deallocate) == 0 && cl.Reason != ReasonUnparsed {
		put(c.shapes, shape, cl)
	} else {
		put(c.texts, sql, cl)
	}
	return cl
}

// ClassifyBytes is Classify for a statement text in a byte slice (a
// Query message's body), allocating nothing when the class is cached by
// text or by shape; *scratch is the caller's buffer for the shape key
// (kept for the next call, so it is reused). sql is not retained.
func (c *Classifier) ClassifyBytes(sql []byte, scratch *[]byte) Class {
	if len(sql) > maxCachedLen {
		return Classify(string(sql))
	}
	c.mu.Lock()
	cl, ok := c.texts[string(sql)] // no copy: the conversion is only a map key
	c.mu.Unlock()
	if ok {
		return cl
	}
	// appendShape reads sql through a string view (no copy) and keeps no
	// reference to it.
	shape, shaped := appendShape((*scratch)[:0], unsafe.String(unsafe.SliceData(sql), len(sql)))
	*scratch = shape
	if shaped {
		c.mu.Lock()
		cl, ok = c.shapes[string(shape)]
		c.mu.Unlock()
		if ok {
			return cl
		}
	}
	return c.Classify(string(sql))
}

func put(m map[string]Class, k string, cl Class) {
	if len(m) >= maxCached {
		clear(m)
	}
	m[k] = cl
}
