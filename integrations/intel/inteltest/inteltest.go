// Package inteltest generates intel watchlists of any size, for the intel
// benchmarks and `socflow bench`, so that both measure the same data.
package inteltest

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
)

// Indicator returns the i-th generated indicator: IPv4 addresses, domains
// and SHA-256 hashes in turn, all distinct.
func Indicator(i int) string {
	n := i / 3
	switch i % 3 {
	case 0:
		return fmt.Sprintf("10.%d.%d.%d", n>>16&0xff, n>>8&0xff, n&0xff)
	case 1:
		return fmt.Sprintf("host%d.cdn%d.evil-example.net", n, n%97)
	}
	sum := sha256.Sum256([]byte{byte(n), byte(n >> 8), byte(n >> 16), byte(n >> 24)})
	return hex.EncodeToString(sum[:])
}

// WriteWatchlist writes the first n indicators to path: as a CSV with
// every column intel reads when csv is set, else one per line.
func WriteWatchlist(path string, n int, csv bool) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if csv {
		fmt.Fprintln(w, "indicator,source,confidence,labels,description")
	}
	for i := range n {
		if csv {
			fmt.Fprintf(w, "%s,feed-%d,%d,c2;botnet,generated\n", Indicator(i), i%4, 50+i%50)
		} else {
			fmt.Fprintln(w, Indicator(i))
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("inteltest: write %s: %w", path, err)
	}
	return f.Close()
}
