// Package sockio reads and writes a connected TCP socket with raw,
// non-blocking system calls, for the proxy's relay and the nodes'
// client connections (pgwire).
//
// A net.Conn's Read and Write enter the Go scheduler's system-call state
// around every read(2) and write(2). On a busy relay (one read and one
// write per message batch in each direction, tens of thousands a second)
// the scheduler's monitor then finds processors "in a system call" most of
// the time and hands them off to other threads (a futex wake each), and
// itself stays at its shortest sleep (20 µs): measured with strace on
// heliosdb-proxy under pgbench select-only, 0.8 nanosleep(2) calls per
// transaction came from that alone, and perf put a fifth of the proxy's
// CPU in the scheduler around those calls. The socket is non-blocking (the
// runtime sets O_NONBLOCK), so its reads and writes never sleep in the
// kernel: Conn issues them as raw system calls (syscall.RawSyscall, no
// scheduler state change) inside syscall.RawConn's Read and Write, which
// park the goroutine on the runtime's poller only when the socket has
// nothing to read (EAGAIN) or no room to write — exactly as net.Conn does.
//
// Deadlines, Close from another goroutine and the errors of a closed or
// timed-out connection behave as on the net.Conn (the same poll
// descriptor): errors.Is(err, os.ErrDeadlineExceeded) and
// errors.Is(err, net.ErrClosed) hold. End of stream is io.EOF. Only plain
// sockets qualify (New returns nil for anything else, e.g. a TLS
// connection, whose callers keep using the net.Conn).
//
// A request and the wait for its answer (WriteBeforeRead, then Read)
// cost one system call less than Write then Read: a plain read right
// after a request nearly always finds nothing yet (EAGAIN) and only then
// waits on the poller. Waiting first is safe only for bytes that arrive
// after the read began — RawConn.Read clears the socket's read readiness
// when it starts, so bytes that arrived before could be missed — hence the
// request is written inside the read's system-call window, after that
// reset: its answer cannot arrive before. (A node's reply always follows
// the proxy's request; a client's next query does not, since clients may
// pipeline, so the proxy reads clients the ordinary way.)
//
// A Conn is safe for one reader and one writer at a time (as net.Conn
// per direction); its Read and Write do not allocate.
package sockio
