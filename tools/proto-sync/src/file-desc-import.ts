import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SyncError } from "./errors.js";
import { listFiles } from "./hash.js";

// Generated files hydrate their descriptors with protobuf-es' `fileDesc`, which walks every
// import's whole closure again for each file; envoy-api ships a `fileDesc` of the same signature
// that does not (packages/envoy-api/src/file-desc.ts says why). This points each generated
// file's value imports of protobuf-es at two modules of envoy-api's own: `file-desc.js` (our
// `fileDesc`, and protobuf-es' other codegen helpers re-exported) and `wkt.js` (the well-known
// types' files re-exported). Node resolves a relative import in one step, where a bare
// `@bufbuild/protobuf/...` specifier searches node_modules directories up from each of the ~700
// files: ~90 files a server loads paid ~20 ms of start-up for it. Type-only imports and
// everything else protoc-gen-es wrote stay as they are.

const codegenImport = /^import \{ ([^}]*) \} from "@bufbuild\/protobuf\/codegenv2";$/m;
const wktImport = /^import \{ ([^}]*) \} from "@bufbuild\/protobuf\/wkt";$/m;

/** What envoy-api's src/file-desc.ts exports: `fileDesc`, and the codegen helpers it re-exports. */
export const FILE_DESC_EXPORTS: readonly string[] = ["enumDesc", "extDesc", "fileDesc", "messageDesc", "serviceDesc"];

const namesOf = (list: string): string[] => list.split(",").map((name) => name.trim());

/**
 * The source of generated file `genPath` (relative to src/gen) taking its codegen helpers from
 * envoy-api's src/file-desc.js and its well-known types' files from src/wkt.js.
 */
export function importEnvoyApiFileDesc(source: string, genPath: string): string {
  const up = "../".repeat(genPath.split("/").length);
  const codegen = codegenImport.exec(source);
  const names = codegen?.[1] === undefined ? [] : namesOf(codegen[1]);
  if (codegen === null || !names.includes("fileDesc")) {
    throw new SyncError("source", `generated ${genPath} does not import fileDesc from @bufbuild/protobuf/codegenv2`);
  }
  const unknown = names.filter((name) => !FILE_DESC_EXPORTS.includes(name));
  if (unknown.length > 0) {
    throw new SyncError("source", `generated ${genPath} imports ${unknown.join(", ")} from @bufbuild/protobuf/codegenv2: add it to the re-exports of packages/envoy-api/src/file-desc.ts and FILE_DESC_EXPORTS`);
  }
  let out = source.replace(codegen[0], `import { ${names.join(", ")} } from "${up}file-desc.js";`);
  const wkt = wktImport.exec(out);
  if (wkt !== null) out = out.replace(wkt[0], `import { ${wkt[1]} } from "${up}wkt.js";`);
  return out;
}

/** Rewrites every generated `_pb.ts` below `genDir` in place (see importEnvoyApiFileDesc). */
export function rewriteFileDescImports(genDir: string): void {
  for (const rel of listFiles(genDir).filter((f) => f.endsWith("_pb.ts"))) {
    const file = join(genDir, rel);
    writeFileSync(file, importEnvoyApiFileDesc(readFileSync(file, "utf8"), rel));
  }
}
