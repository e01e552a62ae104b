package topology

import "syscall"

// childAttr kills a child when the test process dies before its cleanup
// runs (a -timeout panic, a kill), so that no server outlives the test.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
