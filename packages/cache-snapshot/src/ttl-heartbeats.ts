import { compareTypeUrls, type Logger, type SotwResponse } from "@xdskit/cache-core";
import type { NodeStatus, SotwWatch } from "./node-status.js";
import type { VersionedSnapshot } from "./snapshot.js";
import { SnapshotError } from "./snapshot-error.js";
import { answerHeartbeat, sotwResponse } from "./sotw-answer.js";
import { deliver, SOTW_THREW } from "./watch-delivery.js";

/**
 * Calls `send` every `intervalMs` (`heartbeatIntervalMs`), without keeping
 * the process alive, or returns `undefined` when no interval is given.
 *
 * @throws {SnapshotError} `invalid-options` for an interval that is not a positive number.
 */
export function startHeartbeats(intervalMs: number | undefined, send: () => void): ReturnType<typeof setInterval> | undefined {
  if (intervalMs === undefined) return undefined;
  if (!(Number.isFinite(intervalMs) && intervalMs > 0)) {
    throw new SnapshotError("invalid-options", `heartbeatIntervalMs must be a positive number of milliseconds, not ${intervalMs}`, {
      field: "heartbeatIntervalMs",
    });
  }
  const timer = setInterval(send, intervalMs);
  // Heartbeats alone must not keep the process alive.
  timer.unref();
  return timer;
}

/**
 * One round of heartbeats: every open SotW watch at its type's current
 * version is answered with the resources with a TTL it subscribes to, per
 * node in ADS order.
 */
export function sendHeartbeats(statuses: ReadonlyMap<string, NodeStatus>, snapshots: ReadonlyMap<string, VersionedSnapshot>, logger: Logger): void {
  for (const [node, status] of statuses) {
    if (status.sotw.size === 0) continue;
    const snapshot = snapshots.get(node);
    if (snapshot === undefined) continue;
    const due: [SotwWatch, SotwResponse][] = [];
    for (const typeUrl of [...status.sotw.typeUrls()].sort(compareTypeUrls)) {
      const resources = snapshot.typeResources(typeUrl);
      if (resources === undefined || resources.withTtl.length === 0) continue;
      for (const watch of status.sotw.of(typeUrl) ?? []) {
        const picked = answerHeartbeat(watch.request.versionInfo, watch.subscription, resources);
        if (picked !== undefined) due.push([watch, sotwResponse(watch, resources, picked, true)]);
      }
    }
    for (const [watch] of due) status.sotw.delete(watch);
    for (const [watch, response] of due) deliver(watch, response, logger, SOTW_THREW);
    if (due.length > 0) logger.debug("heartbeats sent", { node, watches: due.length });
  }
}
