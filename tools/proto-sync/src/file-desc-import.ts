import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SyncError } from "./errors.js";
import { listFiles } from "./hash.js";

// Generated files hydrate their descriptors with protobuf-es' `fileDesc`, which walks every
// import's whole closure again for each file; envoy-api ships a `fileDesc` of the same signature
// that does not (packages/envoy-api/src/file-desc.ts says why). This points each generated
// file's import of it there; everything else protoc-gen-es wrote stays as it is.

const codegenImport = /^import \{ ([^}]*) \} from "@bufbuild\/protobuf\/codegenv2";$/m;

/** The source of generated file `genPath` (relative to src/gen) importing `fileDesc` from envoy-api's src/file-desc. */
export function importEnvoyApiFileDesc(source: string, genPath: string): string {
  const found = codegenImport.exec(source);
  const names = found?.[1]?.split(",").map((name) => name.trim()) ?? [];
  if (found === null || !names.includes("fileDesc")) {
    throw new SyncError("source", `generated ${genPath} does not import fileDesc from @bufbuild/protobuf/codegenv2`);
  }
  const rest = names.filter((name) => name !== "fileDesc");
  const fromSrc = `${"../".repeat(genPath.split("/").length)}file-desc.js`;
  const lines = [
    ...(rest.length > 0 ? [`import { ${rest.join(", ")} } from "@bufbuild/protobuf/codegenv2";`] : []),
    `import { fileDesc } from "${fromSrc}";`,
  ];
  return source.replace(found[0], lines.join("\n"));
}

/** Rewrites every generated `_pb.ts` below `genDir` in place (see importEnvoyApiFileDesc). */
export function rewriteFileDescImports(genDir: string): void {
  for (const rel of listFiles(genDir).filter((f) => f.endsWith("_pb.ts"))) {
    const file = join(genDir, rel);
    writeFileSync(file, importEnvoyApiFileDesc(readFileSync(file, "utf8"), rel));
  }
}
