import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { upstreamFile } from "./paths.js";

/** Where the proto set came from, as recorded in packages/envoy-api/UPSTREAM. */
export type UpstreamSource =
  | { kind: "gomod"; modules: { path: string; version: string; sum: string }[] }
  | { kind: "maven"; artifact: string; url: string; sha1: string; sha256: string }
  | { kind: "git"; repository: string; commit: string; deps: { name: string; version: string; url: string; sha256: string }[] };

export interface Upstream {
  envoy: { version: string; commit: string };
  source: UpstreamSource;
  generator: { buf: string; "protoc-gen-es": string; options: string[] };
  image: { path: string; sha256: string; files: number };
  generated: { dir: string; files: number; sha256: string };
  /** sha256 of each FileDescriptorProto in the image, by proto path. */
  protos: Record<string, string>;
}

export function readUpstream(): Upstream | undefined {
  if (!existsSync(upstreamFile)) return undefined;
  return JSON.parse(readFileSync(upstreamFile, "utf8")) as Upstream;
}

export function writeUpstream(u: Upstream): void {
  writeFileSync(upstreamFile, JSON.stringify(u, null, 2) + "\n");
}
