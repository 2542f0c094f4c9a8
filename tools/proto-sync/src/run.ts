import { spawnSync, type SpawnSyncOptions } from "node:child_process";
import { SyncError } from "./errors.js";

/** Runs a command to completion; a non-zero exit throws with its stderr. */
export function run(cmd: string, args: readonly string[], opts: SpawnSyncOptions = {}): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 256 * 1024 * 1024, ...opts });
  if (r.error) throw new SyncError("command", `${cmd} could not start: ${r.error.message}`, r.error);
  if (r.status !== 0) {
    const err = typeof r.stderr === "string" ? r.stderr.trim() : "";
    throw new SyncError("command", `${cmd} ${args.join(" ")} exited ${r.status}: ${err}`);
  }
  return typeof r.stdout === "string" ? r.stdout : "";
}
