// Package layering checks that dependencies point one way: adapters in
// integrations/ speak socflow's model (alert/) and their own clients,
// never the workflow or activity layers above them.
package layering

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// forbidden are the layers integrations/ must not import. Tests may: they
// check that a client satisfies an activities interface.
var forbidden = []string{
	"github.com/socflow/socflow/activities",
	"github.com/socflow/socflow/workflows",
}

func TestIntegrationsImportNoUpperLayer(t *testing.T) {
	root := filepath.Join("..", "..", "integrations")
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		checked++
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			for _, bad := range forbidden {
				if p == bad || strings.HasPrefix(p, bad+"/") {
					t.Errorf("%s imports %s: an adapter speaks alert/ and its own client; move the type it needs to alert/", path, p)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 20 {
		t.Fatalf("only %d files checked under %s", checked, root)
	}
}
