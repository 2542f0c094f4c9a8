// Every generated file of this package calls this `fileDesc` (tools/proto-sync points their
// import here) instead of protobuf-es' own, which it wraps, and takes protobuf-es' other codegen
// helpers from here too (re-exported below): a relative import that Node resolves in one step,
// where `@bufbuild/protobuf/codegenv2` searched node_modules directories up from each file.
//
// Why: protobuf-es (2.17) hydrates a file's descriptor in a registry that it fills with the
// file's imports *and, recursively, their imports*, with no visited check. The Envoy API is a
// deep DAG (715 files, ~3,000 import edges), so loading it registered the same shared files
// again and again: ~19,000 file and ~415,000 type registrations for the 92 files a server
// loads, about half the time of loading the whole API. Resolving a file's field types needs
// only the files it imports and what those re-export with `import public`; that is all this
// hands to protobuf-es. The descriptor it returns is protobuf-es' own, with `dependencies`
// pointing at the imported files themselves, as protobuf-es makes it.
import type { DescFile } from "@bufbuild/protobuf";
import { type GenFile, fileDesc as hydrateFileDesc } from "@bufbuild/protobuf/codegenv2";

/** @internal */
export { enumDesc, extDesc, messageDesc, serviceDesc } from "@bufbuild/protobuf/codegenv2";

// The face of an imported file that name resolution sees: the file itself (by prototype), with
// `dependencies` cut down to the files it imports publicly (each again such a face).
const importFaces = new WeakMap<DescFile, DescFile>();

function importFace(file: DescFile): DescFile {
  let face = importFaces.get(file);
  if (face === undefined) {
    const publicImports = file.proto.publicDependency
      .map((index) => file.proto.dependency[index])
      .map((name) => file.dependencies.find((dep) => dep.proto.name === name))
      .filter((dep): dep is DescFile => dep !== undefined)
      .map(importFace);
    face = Object.create(file, { dependencies: { value: publicImports, enumerable: true } }) as DescFile;
    importFaces.set(file, face);
  }
  return face;
}

/**
 * Hydrates the embedded descriptor of a generated file, as `fileDesc` of
 * `@bufbuild/protobuf/codegenv2` does, in time linear in the file and its
 * direct imports.
 *
 * @internal
 */
export function fileDesc(b64: string, imports?: GenFile[]): GenFile {
  if (imports === undefined || imports.length === 0) return hydrateFileDesc(b64, imports);
  const faces = imports.map(importFace);
  const file = hydrateFileDesc(b64, faces);
  // protobuf-es found the imports by name among the faces: point them back at the files.
  const dependencies = file.dependencies as DescFile[];
  for (let i = 0; i < dependencies.length; i++) {
    const at = faces.indexOf(dependencies[i] as DescFile);
    if (at !== -1) dependencies[i] = imports[at] as DescFile;
  }
  return file;
}
