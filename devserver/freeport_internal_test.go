package devserver

import "testing"

// TestFreePortNeverRepeats: the ports handed to one process's servers are
// distinct, so that two services never race for one port.
func TestFreePortNeverRepeats(t *testing.T) {
	seen := map[int]bool{}
	for range 500 {
		p, err := freePort("127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		if seen[p] {
			t.Fatalf("port %d handed out twice", p)
		}
		if p >= 32768 && p < 61000 {
			t.Errorf("port %d is in the kernel's ephemeral range", p)
		}
		seen[p] = true
	}
}
