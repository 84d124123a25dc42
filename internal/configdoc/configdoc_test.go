package configdoc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hotline/hotline/internal/testenv"
)

// TestEveryKeyIsDocumented fails when a configuration key has no comment on its Go field, or when the README's
// reference table lacks a key (regenerate it with `UPDATE_README=1 go test ./internal/configdoc`).
func TestEveryKeyIsDocumented(t *testing.T) {
	root := testenv.ModuleRoot(t)
	keys, err := Keys(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) < 50 {
		t.Fatalf("only %d keys found", len(keys))
	}
	var undocumented []string
	for _, k := range keys {
		if k.Doc == "" {
			undocumented = append(undocumented, k.Path)
		}
	}
	if len(undocumented) > 0 {
		t.Errorf("keys without a comment on their field: %s", strings.Join(undocumented, ", "))
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	table := Markdown(keys)
	const begin, end = "<!-- config-keys:begin -->\n", "<!-- config-keys:end -->"
	s := string(readme)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the %q … %q markers", strings.TrimSpace(begin), end)
	}
	if os.Getenv("UPDATE_README") != "" {
		s = s[:i+len(begin)] + table + s[j:]
		if err := os.WriteFile(filepath.Join(root, "README.md"), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if s[i+len(begin):j] != table {
		t.Errorf("README.md's configuration table is out of date: run `UPDATE_README=1 go test ./internal/configdoc`")
	}
}
