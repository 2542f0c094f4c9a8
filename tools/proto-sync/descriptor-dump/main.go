// Command descriptor-dump writes the protobuf file descriptors registered by
// the imported Go packages under the given root prefixes, plus everything they
// import, as one FileDescriptorSet: dependencies first and otherwise sorted by
// name, so the output is byte-identical run to run.
package main

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

func main() {
	out := flag.String("o", "", "output file (FileDescriptorSet, binary)")
	roots := flag.String("roots", "envoy/,xds/,udpa/,validate/", "comma-separated path prefixes; these files and everything they import are written")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "descriptor-dump: -o is required")
		os.Exit(2)
	}

	byName := map[string]protoreflect.FileDescriptor{}
	protoregistry.GlobalFiles.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		byName[fd.Path()] = fd
		return true
	})
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)

	set := &descriptorpb.FileDescriptorSet{}
	done := map[string]bool{}
	var visit func(string)
	visit = func(name string) {
		if done[name] {
			return
		}
		done[name] = true
		fd, ok := byName[name]
		if !ok {
			fmt.Fprintf(os.Stderr, "descriptor-dump: %s is imported but not registered\n", name)
			os.Exit(1)
		}
		imports := fd.Imports()
		deps := make([]string, 0, imports.Len())
		for i := 0; i < imports.Len(); i++ {
			deps = append(deps, imports.Get(i).Path())
		}
		sort.Strings(deps)
		for _, d := range deps {
			visit(d)
		}
		set.File = append(set.File, protodesc.ToFileDescriptorProto(fd))
	}
	prefixes := strings.Split(*roots, ",")
	for _, n := range names {
		for _, p := range prefixes {
			if strings.HasPrefix(n, p) {
				visit(n)
				break
			}
		}
	}

	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(set)
	if err != nil {
		fmt.Fprintln(os.Stderr, "descriptor-dump:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "descriptor-dump:", err)
		os.Exit(1)
	}
	fmt.Printf("%d files\n", len(set.File))
}
