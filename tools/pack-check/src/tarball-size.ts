// Sizes of an npm tarball: bytes on the wire, bytes installed, file count.
import { readFileSync, statSync } from "node:fs";
import { gunzipSync } from "node:zlib";

export interface TarballSize {
  packed: number;
  unpacked: number;
  files: number;
}

/** Reads the ustar headers of a .tgz (no extraction) and sums its regular files. */
export function tarballSize(file: string): TarballSize {
  const tar = gunzipSync(readFileSync(file));
  let unpacked = 0;
  let files = 0;
  for (let off = 0; off + 512 <= tar.length; ) {
    const header = tar.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const size = Number.parseInt(header.subarray(124, 136).toString("latin1").replace(/\0.*$/, "").trim() || "0", 8);
    const type = String.fromCharCode(header[156] ?? 0);
    if (type === "0" || type === "\0") {
      unpacked += size;
      files++;
    }
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return { packed: statSync(file).size, unpacked, files };
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} kB`;
  return `${(n / 1024 / 1024).toFixed(2)} MB`;
}
