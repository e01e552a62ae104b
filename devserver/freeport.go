package devserver

import (
	"fmt"
	"net"
)

// freePort asks the kernel for an unused TCP port on ip. The port is free
// when this returns, not reserved: another process could take it before the
// server binds, which is unlikely enough for a dev server, and the kernel
// does not hand the same ephemeral port out again right away.
func freePort(ip string) (int, error) {
	l, err := net.Listen("tcp", hostPort(ip, 0))
	if err != nil {
		return 0, fmt.Errorf("find free port on %s: %w", ip, err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("release probe port %d: %w", port, err)
	}
	return port, nil
}

// checkPortFree reports whether ip:port can be bound right now.
func checkPortFree(ip string, port int) error {
	l, err := net.Listen("tcp", hostPort(ip, port))
	if err != nil {
		return fmt.Errorf("port %d on %s is not available: %w", port, ip, err)
	}
	return l.Close()
}
