import type { Node } from "@xdskit/envoy-api/envoy/config/core/v3/base_pb";
import { CacheError } from "@xdskit/cache-core";

/** Where a control plane's snapshots come from when it is not the config directory (the etcd source). */
export interface ResourceSource {
  /** Node groups that have resources, sorted. */
  groups(): string[];
  /** The snapshot key for a node (see {@link nodeGroupOf}). */
  nodeGroup(node: Node | undefined): string;
  /** Says where it reads from, for the startup line. */
  readonly description: string;
  stop(): Promise<void>;
}

/**
 * The snapshot key for a node, the same rule as the file source: its
 * `cluster` when a group has that name, else its `id` when one does, else `default`.
 */
export function nodeGroupOf(node: Node | undefined, hasGroup: (group: string) => boolean): string {
  if (!node?.id) throw new CacheError("missing-node", "the request carries no node id");
  if (node.cluster && hasGroup(node.cluster)) return node.cluster;
  if (hasGroup(node.id)) return node.id;
  return "default";
}
