import { createRequire } from "node:module";
import { run } from "./run.js";

const require = createRequire(import.meta.url);

/** The generator versions actually installed, as recorded in UPSTREAM. */
export function generatorVersions(): { buf: string; "protoc-gen-es": string } {
  const es = require("@bufbuild/protoc-gen-es/package.json") as { version: string };
  return { buf: run("buf", ["--version"]).trim(), "protoc-gen-es": es.version };
}

export function generatorOptions(bufGenYaml: string): string[] {
  return [...bufGenYaml.matchAll(/^\s+- (\w+=\S+)$/gm)].map((m) => m[1] ?? "");
}
