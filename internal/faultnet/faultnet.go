package faultnet

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// Proxy forwards connections from its listener to Target.
type Proxy struct {
	Target string
	ln     net.Listener

	mu          sync.Mutex
	partitioned bool
	delay       time.Duration
	conns       map[*link]struct{}
	closed      bool
	wg          sync.WaitGroup
}

// link is one forwarded connection; tainted once it lived through a
// partition.
type link struct {
	client, server net.Conn
	tainted        bool
}

// Listen starts a proxy on addr ("127.0.0.1:0" picks a port) towards
// target.
func Listen(addr, target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("faultnet: listen %s: %w", addr, err)
	}
	p := &Proxy{Target: target, ln: ln, conns: map[*link]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the listening address.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Port is the listening port.
func (p *Proxy) Port() int { return p.ln.Addr().(*net.TCPAddr).Port }

// Partition black-holes every connection until Heal.
func (p *Proxy) Partition() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.partitioned = true
	for l := range p.conns {
		l.tainted = true
	}
}

// Heal ends a partition and a delay; connections that lived through the
// partition are closed.
func (p *Proxy) Heal() {
	p.mu.Lock()
	p.partitioned, p.delay = false, 0
	var drop []*link
	for l := range p.conns {
		if l.tainted {
			drop = append(drop, l)
		}
	}
	p.mu.Unlock()
	for _, l := range drop {
		l.close()
	}
}

// SetDelay delays every chunk forwarded from now on by d (0 = none).
func (p *Proxy) SetDelay(d time.Duration) {
	p.mu.Lock()
	p.delay = d
	p.mu.Unlock()
}

// Partitioned reports whether the proxy black-holes now.
func (p *Proxy) Partitioned() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.partitioned
}

// Close stops the listener and closes every connection.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	links := make([]*link, 0, len(p.conns))
	for l := range p.conns {
		links = append(links, l)
	}
	p.mu.Unlock()
	err := p.ln.Close()
	for _, l := range links {
		l.close()
	}
	p.wg.Wait()
	return err
}

func (l *link) close() {
	l.client.Close()
	if l.server != nil {
		l.server.Close()
	}
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go p.serve(c)
	}
}

func (p *Proxy) serve(c net.Conn) {
	defer p.wg.Done()
	l := &link{client: c}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		c.Close()
		return
	}
	l.tainted = p.partitioned
	p.conns[l] = struct{}{}
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.conns, l)
		p.mu.Unlock()
		l.close()
	}()
	if l.tainted { // a connection made during a partition goes nowhere
		io.Copy(io.Discard, c)
		return
	}
	s, err := net.DialTimeout("tcp", p.Target, 5*time.Second)
	if err != nil {
		return
	}
	p.mu.Lock()
	l.server = s
	tainted := l.tainted
	p.mu.Unlock()
	if tainted {
		s.Close()
		io.Copy(io.Discard, c)
		return
	}
	done := make(chan struct{}, 2)
	go func() { p.pipe(s, c); done <- struct{}{} }()
	go func() { p.pipe(c, s); done <- struct{}{} }()
	<-done
	l.close()
	<-done
}

// pipe copies src to dst, dropping bytes while partitioned and delaying
// them while a delay is set.
func (p *Proxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			drop, d := p.partitioned, p.delay
			p.mu.Unlock()
			if d > 0 {
				time.Sleep(d)
			}
			if !drop {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				return
			}
			if tc, ok := dst.(*net.TCPConn); ok {
				tc.CloseWrite()
				return
			}
			return
		}
	}
}
