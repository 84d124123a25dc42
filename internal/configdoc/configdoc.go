// Package configdoc renders the reference of every configuration key — its YAML path, default and the comment
// on its Go field — from the code itself, so the README's table cannot drift from what hotline reads.
package configdoc

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/hotline/hotline/config"
)

// Key is one configuration key.
type Key struct {
	Path    string // dotted YAML path, e.g. sip.udp_addr
	Default string
	Doc     string
}

// Keys walks config.Default() and pairs each key with the doc comment of its field, read from the Go sources
// under moduleRoot.
func Keys(moduleRoot string) ([]Key, error) {
	docs, err := fieldDocs(moduleRoot)
	if err != nil {
		return nil, err
	}
	var keys []Key
	walk(reflect.ValueOf(config.Default()), "", docs, &keys)
	return keys, nil
}

// Markdown renders keys as a table.
func Markdown(keys []Key) string {
	var b strings.Builder
	b.WriteString("| key | default | what it does |\n| --- | --- | --- |\n")
	for _, k := range keys {
		def := k.Default
		if def == "" {
			def = `""`
		}
		fmt.Fprintf(&b, "| `%s` | `%s` | %s |\n", k.Path, strings.ReplaceAll(def, "|", `\|`), strings.ReplaceAll(k.Doc, "|", `\|`))
	}
	return b.String()
}

var durationType = reflect.TypeOf(time.Duration(0))

func walk(v reflect.Value, prefix string, docs map[string]string, out *[]Key) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("yaml"), ",")
		if tag[0] == "-" {
			continue
		}
		fv := v.Field(i)
		if len(tag) > 1 && tag[1] == "inline" {
			walk(fv, prefix, docs, out)
			continue
		}
		if !f.IsExported() || tag[0] == "" {
			continue
		}
		path := tag[0]
		if prefix != "" {
			path = prefix + "." + tag[0]
		}
		doc := docs[t.PkgPath()+"."+t.Name()+"."+f.Name]
		if fv.Kind() == reflect.Struct && fv.Type() != reflect.TypeOf(time.Time{}) {
			walk(fv, path, docs, out)
			continue
		}
		*out = append(*out, Key{Path: path, Default: render(fv), Doc: doc})
	}
}

func render(v reflect.Value) string {
	if v.Type() == durationType || v.Type().Name() == "Duration" {
		return time.Duration(v.Int()).String()
	}
	switch v.Kind() {
	case reflect.Slice:
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = render(v.Index(i))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case reflect.Map:
		keys := make([]string, 0, v.Len())
		for _, k := range v.MapKeys() {
			keys = append(keys, fmt.Sprint(k.Interface()))
		}
		sort.Strings(keys)
		if len(keys) > 6 {
			keys = append(keys[:6], "…")
		}
		return "{" + strings.Join(keys, ", ") + "}"
	case reflect.String:
		s := v.String()
		if len(s) > 60 {
			s = s[:57] + "…"
		}
		return s
	}
	return fmt.Sprint(v.Interface())
}

// fieldDocs maps "importpath.Type.Field" to the field's comment, collapsed to one line.
func fieldDocs(root string) (map[string]string, error) {
	docs := map[string]string{}
	const module = "github.com/hotline/hotline"
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		file, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return nil // a file that does not parse documents nothing
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		pkg := module
		if rel != "." {
			pkg += "/" + filepath.ToSlash(rel)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok {
				return true
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				return false
			}
			prev := ""
			for _, f := range st.Fields.List {
				text := ""
				if f.Doc != nil {
					text = f.Doc.Text()
				} else if f.Comment != nil {
					text = f.Comment.Text()
				}
				text = strings.Join(strings.Fields(text), " ")
				if text == "" && prev != "" {
					text = "(see the key above) " + prev // fields documented as a pair, e.g. port_min/port_max
				} else {
					prev = text
				}
				for _, name := range f.Names {
					docs[pkg+"."+ts.Name.Name+"."+name.Name] = text
				}
			}
			return false
		})
		return nil
	})
	return docs, err
}
