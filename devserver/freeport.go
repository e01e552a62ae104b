package devserver

import (
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"time"
)

// freePort finds an unused TCP port on ip for one of the server's
// services. The port is free when this returns, not reserved, and the
// server binds its services one after the other, the worker service
// seconds later, while the Temporal server does not survive a service it
// cannot bind (it serves a nil listener and panics). Two things could
// take the port meanwhile: an outgoing connection, when the port came
// from the kernel's ephemeral range (where :0 draws), and another service
// of this process's servers, when two draws pick the same port. So the
// port is drawn at random below the ephemeral range (Linux's starts at
// 32768), where the kernel never picks ports for connections, never one
// this process handed out in the last ten minutes, and probed; :0 is the
// fallback when nothing there is free.
func freePort(ip string) (int, error) {
	handedOut.Lock()
	defer handedOut.Unlock()
	now := time.Now()
	for p, at := range handedOut.ports {
		if now.Sub(at) > 10*time.Minute {
			delete(handedOut.ports, p)
		}
	}
	for range 64 {
		port := lowPortMin + rand.IntN(lowPortMax-lowPortMin)
		if _, taken := handedOut.ports[port]; taken || checkPortFree(ip, port) != nil {
			continue
		}
		handedOut.ports[port] = now
		return port, nil
	}
	l, err := net.Listen("tcp", hostPort(ip, 0))
	if err != nil {
		return 0, fmt.Errorf("find free port on %s: %w", ip, err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("release probe port %d: %w", port, err)
	}
	handedOut.ports[port] = now
	return port, nil
}

// handedOut are the ports freePort gave this process's servers lately.
var handedOut = struct {
	sync.Mutex
	ports map[int]time.Time
}{ports: map[int]time.Time{}}

// The range freePort draws from: above the registered services most hosts
// run, below the kernel's ephemeral ports.
const (
	lowPortMin = 20000
	lowPortMax = 32000
)

// checkPortFree reports whether ip:port can be bound right now.
func checkPortFree(ip string, port int) error {
	l, err := net.Listen("tcp", hostPort(ip, port))
	if err != nil {
		return fmt.Errorf("port %d on %s is not available: %w", port, ip, err)
	}
	return l.Close()
}
