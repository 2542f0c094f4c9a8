import type { Registry } from "@bufbuild/protobuf";
import type { Logger } from "@xdskit/cache-core";
import type { Validator } from "@xdskit/validate";
import type { SnapshotCache } from "@xdskit/cache-snapshot";
import { createEtcdClient, createSnapshotMirror, type SnapshotMirror } from "@xdskit/store-etcd";
import type { Logger as Pino } from "pino";
import { nodeGroupOf, type ResourceSource } from "./resource-source.js";

export interface EtcdSourceOptions {
  readonly endpoints: readonly string[];
  readonly prefix: string;
  readonly registry: Registry;
  readonly log: Pino;
  readonly logger: Logger;
  /** Checks every resource read; one that breaks a rule is logged with its key and skipped. Default: none. */
  readonly validate?: Validator | undefined;
  /** How long to wait for the first load before giving up. Default: forever (a replica waits for etcd). */
  readonly startTimeoutMs?: number;
}

export interface EtcdSource extends ResourceSource {
  readonly mirror: SnapshotMirror;
}

/**
 * Fills the cache from etcd: a mirror keeps one snapshot per group equal to
 * the prefix. Resolves once the first load is in the cache, so the server
 * never answers from an empty cache.
 */
export async function startEtcdSource(cache: SnapshotCache, o: EtcdSourceOptions): Promise<EtcdSource> {
  const client = createEtcdClient({ endpoints: o.endpoints });
  const mirror = createSnapshotMirror({
    client,
    cache,
    prefix: o.prefix,
    registry: o.registry,
    logger: o.logger,
    ...(o.validate === undefined ? {} : { validate: o.validate }),
    onUpdate: (u) => {
      if (u.changed > 0 || u.reason !== "watch") {
        const { member, loads, resumes } = mirror.status();
        o.log.info({ revision: u.revision, reason: u.reason, changed: u.changed, groups: mirror.groups(), member, loads, resumes }, "serving etcd revision");
      }
    },
  });
  const started = mirror.start();
  try {
    if (o.startTimeoutMs === undefined) await started;
    else {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        started,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`etcd at ${o.endpoints.join(",")} did not answer within ${o.startTimeoutMs} ms`)), o.startTimeoutMs);
        }),
      ]).finally(() => clearTimeout(timer));
    }
  } catch (error) {
    await mirror.close();
    client.close();
    throw error;
  }
  const has = (group: string): boolean => mirror.hasGroup(group);
  return {
    mirror,
    description: `etcd ${o.endpoints.join(",")} prefix ${o.prefix}`,
    groups: () => mirror.groups(),
    nodeGroup: (node) => nodeGroupOf(node, has),
    async stop() {
      await mirror.close();
      client.close();
    },
  };
}
