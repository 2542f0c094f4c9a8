// rememberValid: bytes found valid are not walked again, and nothing changed ever rides on that.
import { create, toBinary } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { prepareRawResource } from "@xdskit/cache-core";
import { ClusterSchema, type Cluster } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { UpstreamTlsContextSchema } from "@xdskit/envoy-api/envoy/extensions/transport_sockets/tls/v3/tls_pb";
import { describe, expect, it } from "vitest";
import { createValidator, type Violation } from "./index.js";

const CLUSTER = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
const HCM = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";
const rules = (vs: readonly Violation[]): string[] => vs.map((v) => `${v.field} ${v.rule}`);

// An upstream TLS context whose SNI is `sni` (max_bytes 255: a longer one is a violation).
function clusterWithSni(sni: string): Cluster {
  const tls = create(UpstreamTlsContextSchema, { sni, commonTlsContext: { alpnProtocols: ["h2"] } });
  return create(ClusterSchema, {
    name: "backend",
    connectTimeout: { seconds: 1n },
    transportSocket: { name: "envoy.transport_sockets.tls", configType: { case: "typedConfig", value: anyPack(UpstreamTlsContextSchema, tls) } },
  });
}

function tlsBytes(cluster: Cluster): Uint8Array {
  const any = cluster.transportSocket?.configType.value;
  if (any === undefined || !("value" in any)) throw new Error("no typed config");
  return any.value as Uint8Array;
}

describe("rememberValid", () => {
  it("a valid Any content validated again gives the same answer, and an invalid one is reported every time", () => {
    const validator = createValidator();
    const good = clusterWithSni("a.example.com");
    for (let i = 0; i < 3; i++) expect(validator.validateResource(CLUSTER, "backend", good).ok).toBe(true);
    const bad = clusterWithSni("x".repeat(300));
    for (let i = 0; i < 3; i++) {
      expect(rules(validator.validateResource(CLUSTER, "backend", bad).violations)).toEqual(["transport_socket.typed_config.sni string.max_bytes"]);
    }
  });

  it("an Any replaced by an invalid one is validated again", () => {
    const validator = createValidator();
    const cluster = clusterWithSni("a.example.com");
    expect(validator.validateResource(CLUSTER, "backend", cluster).ok).toBe(true);
    const replacement = clusterWithSni("x".repeat(300));
    cluster.transportSocket = replacement.transportSocket;
    expect(rules(validator.validateResource(CLUSTER, "backend", cluster).violations)).toEqual(["transport_socket.typed_config.sni string.max_bytes"]);
  });

  it("Any bytes changed in place are validated again", () => {
    const validator = createValidator();
    const cluster = clusterWithSni("a.example.com");
    expect(validator.validateResource(CLUSTER, "backend", cluster).ok).toBe(true);
    // UpstreamTlsContext.sni is field 2: tag 0x12, then its length. A length past the end no longer decodes.
    const bytes = tlsBytes(cluster);
    const at = bytes.indexOf(0x12);
    expect(at).toBeGreaterThanOrEqual(0);
    bytes[at + 1] = 0x7f;
    expect(rules(validator.validateResource(CLUSTER, "backend", cluster).violations)).toEqual(["transport_socket.typed_config any.decode"]);
  });

  it("a resource given as bytes (a CachedResource without its message) is remembered, and re-validated when its bytes change", () => {
    const validator = createValidator({ snapshotChecks: [], references: false });
    const bytes = toBinary(ClusterSchema, clusterWithSni("a.example.com"));
    const resource = prepareRawResource({ typeUrl: CLUSTER, name: "backend", bytes });
    for (let i = 0; i < 2; i++) expect(validator.validateSnapshot({ [CLUSTER]: [resource] }).ok).toBe(true);
    // Cluster.connect_timeout is field 4 (tag 0x22): make its seconds (field 1, tag 0x08) negative.
    const at = bytes.indexOf(0x22);
    expect(bytes.subarray(at, at + 4)).toEqual(new Uint8Array([0x22, 0x02, 0x08, 0x01]));
    bytes[at + 3] = 0x00;
    expect(rules(validator.validateSnapshot({ [CLUSTER]: [resource] }).violations)).toEqual(["connect_timeout duration.gt"]);
  });

  it("bytes valid as one type are validated again when an Any names another type", () => {
    const validator = createValidator();
    const cluster = clusterWithSni("a.example.com");
    expect(validator.validateResource(CLUSTER, "backend", cluster).ok).toBe(true);
    // The same array, at the same depth, read as an HttpConnectionManager: the SNI reads as
    // stat_prefix, and there is no route specifier.
    const other = create(ClusterSchema, {
      name: "other",
      connectTimeout: { seconds: 1n },
      transportSocket: { name: "hcm", configType: { case: "typedConfig", value: { $typeName: "google.protobuf.Any", typeUrl: HCM, value: tlsBytes(cluster) } } },
    });
    expect(rules(validator.validateResource(CLUSTER, "other", other).violations)).toEqual(["transport_socket.typed_config.route_specifier oneof.required"]);
  });

  it("what was valid with room to nest is not taken as valid where the depth limit is nearer", () => {
    const cluster = clusterWithSni("a.example.com");
    expect(createValidator().validateResource(CLUSTER, "backend", cluster).ok).toBe(true);
    // Cluster → transport_socket → typed_config (the Any content) → common_tls_context: 3 levels.
    const shallow = createValidator({ maxDepth: 2 });
    expect(rules(shallow.validateResource(CLUSTER, "backend", cluster).violations)).toEqual(["transport_socket.typed_config.common_tls_context message.depth"]);
  });

  it("visits counted for a remembered content still count against maxMessages", () => {
    const cluster = clusterWithSni("a.example.com");
    const validator = createValidator();
    expect(validator.validateResource(CLUSTER, "backend", cluster).ok).toBe(true);
    expect(rules(createValidator({ maxMessages: 3 }).validateResource(CLUSTER, "backend", cluster).violations)).toEqual([
      "transport_socket.typed_config.common_tls_context limit.size",
    ]);
  });

  it("off, every content is walked: the same answers", () => {
    const validator = createValidator({ rememberValid: false });
    const cluster = clusterWithSni("a.example.com");
    expect(validator.validateResource(CLUSTER, "backend", cluster).ok).toBe(true);
    tlsBytes(cluster)[tlsBytes(cluster).indexOf(0x12) + 1] = 0x7f;
    expect(rules(validator.validateResource(CLUSTER, "backend", cluster).violations)).toEqual(["transport_socket.typed_config any.decode"]);
  });
});
