import { createHash } from "node:crypto";
import { SyncError } from "./errors.js";

export async function download(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new SyncError("source", `GET ${url} answered ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** Throws unless `data` has the expected hex digest under `algorithm`. */
export function verifyDigest(what: string, data: Uint8Array, algorithm: "sha1" | "sha256", expected: string): string {
  const got = createHash(algorithm).update(data).digest("hex");
  if (got !== expected.trim().toLowerCase()) {
    throw new SyncError("checksum", `${what}: ${algorithm} is ${got}, expected ${expected.trim()}`);
  }
  return got;
}
