// strimzi-schema writes strict JSON schemas for the Strimzi custom resources that CityOps'
// Kubernetes manifests use (Kafka, KafkaNodePool, KafkaTopic, KafkaUser), so that kubeconform
// can check them offline like the built-in kinds.
//
// Strimzi ships its CRDs only as release assets, which no package registry serves; its API
// is however published as Go types generated from Strimzi's own Java model
// (github.com/scholzj/strimzi-go). This program walks those types by reflection:
//   - every struct becomes an object whose properties are its JSON fields, with
//     additionalProperties false, so a misspelt field name is an error;
//   - named string types get the values of their constants (read from the package's source
//     with go/parser) as an enum, so a misspelt value such as a storage type is an error too;
//   - free-form maps (broker and topic config) stay open, as in Strimzi's CRDs.
//
// Usage: strimzi-schema -src <module dir of strimzi-go> -out <folder>
// Writes <folder>/kafka.strimzi.io/<kind>_v1beta2.json, the layout kubeconform's
// {{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json template expects.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"

	strimzi "github.com/scholzj/strimzi-go/pkg/apis/kafka.strimzi.io/v1beta2"
)

const (
	group      = "kafka.strimzi.io"
	version    = "v1beta2"
	apiPackage = "pkg/apis/kafka.strimzi.io/v1beta2"
)

type schema = map[string]any

// generator turns Go types into JSON schema definitions shared by reference.
type generator struct {
	enums       map[string][]string // Go type name (in the Strimzi package) -> allowed values
	definitions map[string]schema
	strimziPkg  string
}

func main() {
	src := flag.String("src", "", "folder of the github.com/scholzj/strimzi-go module (for the enum constants)")
	out := flag.String("out", "", "folder to write the schemas into")
	flag.Parse()
	if *src == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: strimzi-schema -src DIR -out DIR")
		os.Exit(2)
	}
	enums, err := readEnums(filepath.Join(*src, apiPackage))
	if err != nil {
		fmt.Fprintln(os.Stderr, "strimzi-schema:", err)
		os.Exit(1)
	}
	kinds := []struct {
		kind string
		obj  any
	}{
		{"Kafka", strimzi.Kafka{}},
		{"KafkaNodePool", strimzi.KafkaNodePool{}},
		{"KafkaTopic", strimzi.KafkaTopic{}},
		{"KafkaUser", strimzi.KafkaUser{}},
	}
	dir := filepath.Join(*out, group)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "strimzi-schema:", err)
		os.Exit(1)
	}
	for _, k := range kinds {
		g := &generator{enums: enums, definitions: map[string]schema{},
			strimziPkg: reflect.TypeOf(strimzi.Kafka{}).PkgPath()}
		root := g.object(reflect.TypeOf(k.obj))
		props := root["properties"].(schema)
		props["apiVersion"] = schema{"type": "string", "enum": []string{group + "/" + version}}
		props["kind"] = schema{"type": "string", "enum": []string{k.kind}}
		// As in a CRD: the API server checks metadata, not the custom resource's schema.
		props["metadata"] = schema{"type": "object"}
		root["required"] = []string{"apiVersion", "kind", "metadata", "spec"}
		root["$schema"] = "http://json-schema.org/draft-04/schema#"
		root["definitions"] = g.definitions
		data, err := json.MarshalIndent(root, "", "  ")
		if err != nil {
			fmt.Fprintln(os.Stderr, "strimzi-schema:", err)
			os.Exit(1)
		}
		path := filepath.Join(dir, strings.ToLower(k.kind)+"_"+version+".json")
		if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "strimzi-schema:", err)
			os.Exit(1)
		}
		fmt.Printf("%s (%d definitions)\n", path, len(g.definitions))
	}
}

// readEnums collects `const NAME Type = "value"` declarations of the API package.
func readEnums(dir string) (map[string][]string, error) {
	fset := token.NewFileSet()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	enums := map[string][]string{}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, 0)
		if err != nil {
			return nil, err
		}
		for _, decl := range file.Decls {
			gen, ok := decl.(*ast.GenDecl)
			if !ok || gen.Tok != token.CONST {
				continue
			}
			for _, spec := range gen.Specs {
				vs := spec.(*ast.ValueSpec)
				ident, ok := vs.Type.(*ast.Ident)
				if !ok {
					continue
				}
				for _, v := range vs.Values {
					lit, ok := v.(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					s, err := strconv.Unquote(lit.Value)
					if err != nil {
						return nil, err
					}
					enums[ident.Name] = append(enums[ident.Name], s)
				}
			}
		}
	}
	if len(enums) == 0 {
		return nil, fmt.Errorf("no enum constants found in %s", dir)
	}
	for name := range enums {
		sort.Strings(enums[name])
	}
	return enums, nil
}

// Types whose JSON form is not their Go structure.
var special = map[string]schema{
	"k8s.io/apimachinery/pkg/api/resource.Quantity":   {"anyOf": []schema{{"type": "string"}, {"type": "number"}}},
	"k8s.io/apimachinery/pkg/util/intstr.IntOrString": {"anyOf": []schema{{"type": "string"}, {"type": "integer"}}},
	"k8s.io/apimachinery/pkg/apis/meta/v1.Time":       {"type": []string{"string", "null"}},
	"k8s.io/apimachinery/pkg/apis/meta/v1.MicroTime":  {"type": []string{"string", "null"}},
	"k8s.io/apimachinery/pkg/apis/meta/v1.Duration":   {"type": "string"},
	"k8s.io/apimachinery/pkg/apis/meta/v1.ObjectMeta": {"type": "object"},
	"k8s.io/apimachinery/pkg/runtime.RawExtension":    {},
	"k8s.io/apimachinery/pkg/apis/meta/v1.FieldsV1":   {"type": "object"},
	"k8s.io/apimachinery/pkg/apis/meta/v1.ListMeta":   {"type": "object"},
}

func fullName(t reflect.Type) string {
	if t.Name() == "" {
		return ""
	}
	return t.PkgPath() + "." + t.Name()
}

// schemaOf returns the schema of a type: a $ref for named structs, inline otherwise.
func (g *generator) schemaOf(t reflect.Type) schema {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if s, ok := special[fullName(t)]; ok && s != nil {
		return s
	}
	switch t.Kind() {
	case reflect.Struct:
		name := strings.NewReplacer("/", ".", "-", "_").Replace(fullName(t))
		if name == "" {
			return g.object(t)
		}
		if _, done := g.definitions[name]; !done {
			g.definitions[name] = schema{} // placeholder: recursive types end here
			g.definitions[name] = g.object(t)
		}
		return schema{"$ref": "#/definitions/" + name}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return schema{"type": "string"} // []byte is base64 text
		}
		return schema{"type": []string{"array", "null"}, "items": g.schemaOf(t.Elem())}
	case reflect.Map:
		return schema{"type": []string{"object", "null"}, "additionalProperties": g.schemaOf(t.Elem())}
	case reflect.Interface:
		return schema{}
	case reflect.String:
		s := schema{"type": "string"}
		if t.PkgPath() == g.strimziPkg {
			if values, ok := g.enums[t.Name()]; ok {
				s["enum"] = values
			}
		}
		return s
	case reflect.Bool:
		return schema{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return schema{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return schema{"type": "number"}
	default:
		panic(fmt.Sprintf("strimzi-schema: no schema for %s (%s)", t, t.Kind()))
	}
}

// object is a struct's schema: its JSON fields, embedded structs' fields inlined, nothing else.
func (g *generator) object(t reflect.Type) schema {
	props := schema{}
	g.addFields(t, props)
	return schema{"type": "object", "properties": props, "additionalProperties": false}
}

func (g *generator) addFields(t reflect.Type, props schema) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" && opts == "" {
			continue
		}
		if f.Anonymous && name == "" {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				g.addFields(ft, props)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = g.schemaOf(f.Type)
	}
}
