//go:build !linux

package topology

import "syscall"

// childAttr is nil where the kernel cannot kill a child with its parent:
// the cleanup stops the children.
func childAttr() *syscall.SysProcAttr { return nil }
