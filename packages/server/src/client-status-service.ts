import { create } from "@bufbuild/protobuf";
import { type Any, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { SECRET_TYPE_URL } from "@xdskit/cache-core";
import { ClientResourceStatus, UpdateFailureStateSchema } from "@xdskit/envoy-api/envoy/admin/v3/config_dump_shared_pb";
import { type Node, NodeSchema } from "@xdskit/envoy-api/envoy/config/core/v3/base_pb";
import {
  type ClientConfig,
  type ClientConfig_GenericXdsConfig,
  ClientConfig_GenericXdsConfigSchema,
  ClientConfigSchema,
  type ClientStatusRequest,
  type ClientStatusResponse,
  ClientStatusResponseSchema,
  ConfigStatus,
} from "@xdskit/envoy-api/envoy/service/status/v3/csds_pb";
import {
  capText,
  type ResourceState,
  type ResourceStatus,
  STATUS_LIMITS,
  type ServerContextState,
  streamStatus,
  type TypeStatus,
} from "@xdskit/server-core/internal";
import { nodeMatches } from "./node-matcher.js";

/**
 * Answers a CSDS request from the server's client status: one `ClientConfig`
 * per node id (streams of the same node id merged: an Envoy on per-type
 * services has one per type) whose node matches any of `node_matchers` (all
 * nodes when there are none), with a `GenericXdsConfig` per resource. Secrets
 * (SDS) are listed without their contents.
 *
 * @throws {ServerError} `invalid-request` for a node matcher it cannot run.
 */
export function clientStatusResponse(context: ServerContextState, request: ClientStatusRequest): ClientStatusResponse {
  const byNode = new Map<string, ClientConfig>();
  const contents = !request.excludeResourceContents;
  for (const stream of context.streams()) {
    const node = stream.node;
    if (node === undefined) continue;
    if (request.nodeMatchers.length > 0 && !request.nodeMatchers.some((matcher) => nodeMatches(matcher, node))) continue;
    let config = byNode.get(node.id);
    if (config === undefined) {
      config = create(ClientConfigSchema, { node: cappedNode(node) });
      byNode.set(node.id, config);
    }
    for (const type of streamStatus(stream, { resources: true }).types) {
      for (const resource of type.resources ?? []) config.genericXdsConfigs.push(genericConfig(type, resource, contents));
    }
  }
  return create(ClientStatusResponseSchema, { config: [...byNode.values()] });
}

// The node as CSDS shows it: identity, locality and user agent, capped; not its metadata.
function cappedNode(node: Node): Node {
  const text = (value: string) => capText(value, STATUS_LIMITS.maxTextLength);
  return create(NodeSchema, {
    id: text(node.id),
    cluster: text(node.cluster),
    ...(node.locality === undefined
      ? {}
      : { locality: { region: text(node.locality.region), zone: text(node.locality.zone), subZone: text(node.locality.subZone) } }),
    userAgentName: text(node.userAgentName),
    userAgentVersionType:
      node.userAgentVersionType.case === "userAgentVersion"
        ? { case: "userAgentVersion", value: text(node.userAgentVersionType.value) }
        : node.userAgentVersionType,
  });
}

const configStatusOf: Readonly<Record<ResourceState, ConfigStatus>> = {
  acked: ConfigStatus.SYNCED,
  nacked: ConfigStatus.ERROR,
  pending: ConfigStatus.STALE,
  requested: ConfigStatus.NOT_SENT,
  "does-not-exist": ConfigStatus.NOT_SENT,
};

function clientStatusOf(resource: ResourceStatus): ClientResourceStatus {
  switch (resource.state) {
    case "acked":
      return ClientResourceStatus.ACKED;
    case "nacked":
      return ClientResourceStatus.NACKED;
    case "does-not-exist":
      return ClientResourceStatus.DOES_NOT_EXIST;
    // Sent and not answered yet: what the client holds is still the ACKed version, if any.
    case "pending":
      return resource.held === undefined ? ClientResourceStatus.REQUESTED : ClientResourceStatus.ACKED;
    default:
      return ClientResourceStatus.REQUESTED;
  }
}

function genericConfig(type: TypeStatus, resource: ResourceStatus, contents: boolean): ClientConfig_GenericXdsConfig {
  const show = contents && type.typeUrl !== SECRET_TYPE_URL;
  const held: Any | undefined = show ? resource.held?.any : undefined;
  const updated = resource.held === undefined ? undefined : (type.acked?.at ?? type.sent?.at);
  const nack = type.nack;
  return create(ClientConfig_GenericXdsConfigSchema, {
    typeUrl: type.typeUrl,
    name: resource.name,
    versionInfo: resource.version,
    configStatus: configStatusOf[resource.state],
    clientStatus: clientStatusOf(resource),
    ...(held === undefined ? {} : { xdsConfig: held }),
    ...(updated === undefined ? {} : { lastUpdated: timestampFromMs(updated) }),
    ...(resource.state === "nacked" && nack !== undefined
      ? {
          errorState: create(UpdateFailureStateSchema, {
            versionInfo: nack.version,
            details: nack.message,
            lastUpdateAttempt: timestampFromMs(nack.at),
            ...(show && resource.sent !== undefined ? { failedConfiguration: resource.sent.any } : {}),
          }),
        }
      : {}),
  });
}
