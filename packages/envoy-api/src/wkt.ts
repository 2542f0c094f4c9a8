// The well-known types' generated files, for the generated files of this package (tools/proto-sync
// points their value imports of `@bufbuild/protobuf/wkt` here): a relative import that Node
// resolves in one step, where the package specifier searched node_modules directories up from
// each generated file. The types themselves are protobuf-es' own.
export * from "@bufbuild/protobuf/wkt";
