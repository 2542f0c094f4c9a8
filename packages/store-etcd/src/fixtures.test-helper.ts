import { create } from "@bufbuild/protobuf";
import { ClusterSchema, type Cluster } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { ClusterLoadAssignmentSchema, type ClusterLoadAssignment } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { ListenerSchema, type Listener } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import type { LogFields, Logger } from "@xdskit/cache-core";

/** An EDS cluster (its endpoints come as a ClusterLoadAssignment of the same name). */
export const cluster = (name: string, timeoutSeconds = 1): Cluster =>
  create(ClusterSchema, {
    name,
    connectTimeout: { seconds: BigInt(timeoutSeconds) },
    clusterDiscoveryType: { case: "type", value: 3 /* EDS */ },
    edsClusterConfig: { edsConfig: { configSourceSpecifier: { case: "ads", value: {} } } },
  });

export const endpoints = (clusterName: string, port: number): ClusterLoadAssignment =>
  create(ClusterLoadAssignmentSchema, {
    clusterName,
    endpoints: [
      {
        lbEndpoints: [
          {
            hostIdentifier: {
              case: "endpoint",
              value: { address: { address: { case: "socketAddress", value: { address: "127.0.0.1", portSpecifier: { case: "portValue", value: port } } } } },
            },
          },
        ],
      },
    ],
  });

export const listener = (name: string): Listener => create(ListenerSchema, { name });

export interface LogLine {
  readonly level: "debug" | "info" | "warn" | "error";
  readonly message: string;
  readonly fields: LogFields;
}

/** A logger that keeps every line, for asserting what was said. */
export function recordingLogger(): Logger & { readonly lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine["level"]) =>
    (message: string, fields: LogFields = {}): void => {
      lines.push({ level, message, fields });
    };
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** Resolves when `check` holds, polling every 20 ms; rejects with `what` after `timeoutMs`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
