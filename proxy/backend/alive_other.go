//go:build !unix

package backend

// Alive reports whether an idle Conn can be reused. Without a
// non-blocking peek on this platform it only checks for buffered bytes;
// a dead connection is found when it is used.
func (c *Conn) Alive() bool { return c.r.Buffered() == 0 }
