import { readFileSync } from "node:fs";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema, type FileDescriptorSet } from "@bufbuild/protobuf/wkt";
import { SyncError } from "./errors.js";
import { sha256 } from "./hash.js";

export function readImage(path: string): FileDescriptorSet {
  return fromBinary(FileDescriptorSetSchema, readFileSync(path));
}

/** sha256 of every file descriptor in the image, by proto path. */
export function protoDigests(set: FileDescriptorSet): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of [...set.file].sort((a, b) => a.name.localeCompare(b.name))) {
    out[f.name] = sha256(toBinary(FileDescriptorProtoSchema, f));
  }
  return out;
}

/** Proto paths every complete Envoy API image must contain; a source missing one is rejected. */
const required = [
  "envoy/config/listener/v3/listener.proto",
  "envoy/config/cluster/v3/cluster.proto",
  "envoy/config/endpoint/v3/endpoint.proto",
  "envoy/config/route/v3/route.proto",
  "envoy/service/discovery/v3/ads.proto",
  "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto",
  "xds/core/v3/resource_locator.proto",
  "udpa/annotations/status.proto",
  "validate/validate.proto",
];

/**
 * Rejects an image that is not a whole Envoy API: it must hold the core files,
 * and must not silently lose files the currently committed API has (a stale
 * source, such as an old Maven jar, fails here naming what it lacks).
 */
export function assertComplete(set: FileDescriptorSet, previous: Record<string, string> | undefined, allowRemovals: boolean): void {
  const names = new Set(set.file.map((f) => f.name));
  const missingCore = required.filter((r) => !names.has(r));
  if (missingCore.length > 0) {
    throw new SyncError("incomplete", `upstream image lacks core files: ${missingCore.join(", ")}`);
  }
  if (previous && !allowRemovals) {
    const lost = Object.keys(previous).filter((p) => !names.has(p));
    if (lost.length > 0) {
      const shown = lost.slice(0, 20).join("\n  ");
      throw new SyncError(
        "incomplete",
        `upstream source lacks ${lost.length} files the committed API has (pass --allow-removals if upstream really removed them):\n  ${shown}${lost.length > 20 ? "\n  …" : ""}`,
      );
    }
  }
}
