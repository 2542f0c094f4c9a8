import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { BuilderError, clusterLoadAssignment, configSource, edsCluster, staticCluster, strictDnsCluster } from "@xdskit/resource-builders";
import { Cluster_DiscoveryType, Cluster_DnsLookupFamily, Cluster_LbPolicy } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { HttpProtocolOptionsSchema } from "@xdskit/envoy-api/envoy/extensions/upstreams/http/v3/http_protocol_options_pb";
import { UpstreamTlsContextSchema } from "@xdskit/envoy-api/envoy/extensions/transport_sockets/tls/v3/tls_pb";
import { describe, expect, it } from "vitest";

const PEM_CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const PEM_KEY = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";

describe("edsCluster", () => {
  it("defaults to ADS, a 5 s connect timeout and round robin", () => {
    const c = edsCluster({ name: "svc" });
    expect(c.name).toBe("svc");
    expect(c.clusterDiscoveryType).toEqual({ case: "type", value: Cluster_DiscoveryType.EDS });
    expect(c.connectTimeout).toMatchObject({ seconds: 5n, nanos: 0 });
    expect(c.lbPolicy).toBe(Cluster_LbPolicy.ROUND_ROBIN);
    expect(c.edsClusterConfig?.edsConfig?.configSourceSpecifier.case).toBe("ads");
    expect(c.edsClusterConfig?.serviceName).toBe("");
    expect(c.transportSocket).toBeUndefined();
    expect(c.typedExtensionProtocolOptions).toEqual({});
  });

  it("takes a service name, a config source, HTTP/2, TLS and a policy", () => {
    const c = edsCluster({
      name: "grpc",
      serviceName: "grpc-eds",
      configSource: configSource("delta"),
      connectTimeoutMs: 1250,
      http2: true,
      tls: { sni: "grpc.internal", validationContextSecret: "ca", secretConfigSource: configSource("ads") },
      lbPolicy: "maglev",
    });
    expect(c.edsClusterConfig?.serviceName).toBe("grpc-eds");
    expect(c.connectTimeout).toMatchObject({ seconds: 1n, nanos: 250_000_000 });
    expect(c.lbPolicy).toBe(Cluster_LbPolicy.MAGLEV);
    const opts = c.typedExtensionProtocolOptions["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"];
    const upstreamOptions = opts && anyUnpack(opts, HttpProtocolOptionsSchema)?.upstreamProtocolOptions;
    expect(upstreamOptions).toMatchObject({ case: "explicitHttpConfig", value: { protocolConfig: { case: "http2ProtocolOptions" } } });
    expect(c.transportSocket?.name).toBe("envoy.transport_sockets.tls");
    const socket = c.transportSocket?.configType;
    const tls = socket?.case === "typedConfig" ? anyUnpack(socket.value, UpstreamTlsContextSchema) : undefined;
    expect(tls?.sni).toBe("grpc.internal");
    expect(tls?.commonTlsContext?.alpnProtocols).toEqual(["h2"]);
    expect(tls?.commonTlsContext?.validationContextType.case).toBe("validationContextSdsSecretConfig");
    expect(tls?.commonTlsContext?.validationContextType.value).toMatchObject({ name: "ca", sdsConfig: { configSourceSpecifier: { case: "ads" } } });
  });

  it("names the cluster and field in errors", () => {
    expect(() => edsCluster({ name: "" })).toThrow(expect.objectContaining({ code: "invalid-name", resourceType: "Cluster", field: "name" }));
    expect(() => edsCluster({ name: "a", connectTimeoutMs: 0 })).toThrow(/Cluster "a" connectTimeoutMs: must be an integer in 1\.\./);
    expect(() => edsCluster({ name: "a", lbPolicy: "fastest" as "random" })).toThrow(expect.objectContaining({ code: "invalid-value", field: "lbPolicy" }));
    expect(() => edsCluster({ name: "a", serviceName: " " })).toThrow(expect.objectContaining({ code: "invalid-name", field: "serviceName" }));
    expect(() => edsCluster({ name: "a", tls: { trustedCa: "not pem" } })).toThrow(expect.objectContaining({ code: "invalid-value", field: "tls.trustedCa" }));
    expect(() => edsCluster({ name: "a", tls: { trustedCa: PEM_CERT, validationContextSecret: "ca" } })).toThrow(
      expect.objectContaining({ code: "conflicting-fields" }),
    );
    expect(() => edsCluster({ name: "a", tls: { certificateSecret: "c", certificate: { certificateChain: PEM_CERT, privateKey: PEM_KEY } } })).toThrow(
      expect.objectContaining({ code: "conflicting-fields", field: "tls.certificate" }),
    );
    expect(() => edsCluster({ name: "a", tls: { certificate: { certificateChain: PEM_KEY, privateKey: PEM_KEY } } })).toThrow(/unexpected PEM block "PRIVATE KEY"/);
  });
});

describe("staticCluster and strictDnsCluster", () => {
  it("embed a load assignment named after the cluster, grouped by priority and locality", () => {
    const c = staticCluster({
      name: "s",
      endpoints: [
        { host: "10.0.0.1", port: 80, weight: 2, locality: { region: "eu", zone: "a", weight: 7 } },
        { host: "10.0.0.2", port: 80, locality: { region: "eu", zone: "a" } },
        { host: "fd00::1", port: 80, priority: 1 },
      ],
    });
    expect(c.clusterDiscoveryType).toEqual({ case: "type", value: Cluster_DiscoveryType.STATIC });
    const cla = c.loadAssignment;
    expect(cla?.clusterName).toBe("s");
    expect(cla?.endpoints).toHaveLength(2);
    expect(cla?.endpoints[0]).toMatchObject({ priority: 0, loadBalancingWeight: 7, locality: { region: "eu", zone: "a", subZone: "" } });
    expect(cla?.endpoints[0]?.lbEndpoints.map((e) => e.loadBalancingWeight)).toEqual([2, undefined]);
    expect(cla?.endpoints[1]?.priority).toBe(1);
    expect(cla?.endpoints[1]?.locality).toBeUndefined();
  });

  it("STATIC needs IP addresses; STRICT_DNS takes names", () => {
    expect(() => staticCluster({ name: "s", endpoints: [{ host: "backend.local", port: 80 }] })).toThrow(
      expect.objectContaining({ code: "invalid-address", field: "endpoints[0].host" }),
    );
    const dns = strictDnsCluster({ name: "d", endpoints: [{ host: "backend.local", port: 80 }], dnsLookupFamily: "v4-only" });
    expect(dns.clusterDiscoveryType).toEqual({ case: "type", value: Cluster_DiscoveryType.STRICT_DNS });
    expect(dns.dnsLookupFamily).toBe(Cluster_DnsLookupFamily.V4_ONLY);
    expect(dns.loadAssignment?.endpoints[0]?.lbEndpoints[0]?.hostIdentifier.value).toMatchObject({
      address: { address: { case: "socketAddress", value: { address: "backend.local", portSpecifier: { case: "portValue", value: 80 } } } },
    });
    expect(() => strictDnsCluster({ name: "d", endpoints: [{ host: "bad host!", port: 80 }] })).toThrow(expect.objectContaining({ code: "invalid-address" }));
  });

  it("rejects bad ports, weights, duplicates and conflicting locality weights", () => {
    for (const port of [0, 65536, 1.5, Number.NaN]) {
      expect(() => staticCluster({ name: "s", endpoints: [{ host: "10.0.0.1", port }] })).toThrow(expect.objectContaining({ code: "invalid-port", field: "endpoints[0].port" }));
    }
    expect(() => staticCluster({ name: "s", endpoints: [{ host: "10.0.0.1", port: 80, weight: 0 }] })).toThrow(expect.objectContaining({ code: "invalid-value", field: "endpoints[0].weight" }));
    expect(() => staticCluster({ name: "s", endpoints: [{ host: "10.0.0.1", port: 80 }, { host: "10.0.0.1", port: 80 }] })).toThrow(
      expect.objectContaining({ code: "duplicate", field: "endpoints[1]" }),
    );
    expect(() =>
      staticCluster({
        name: "s",
        endpoints: [
          { host: "10.0.0.1", port: 80, locality: { zone: "a", weight: 1 } },
          { host: "10.0.0.2", port: 80, locality: { zone: "a", weight: 2 } },
        ],
      }),
    ).toThrow(expect.objectContaining({ code: "invalid-value", field: "endpoints[1].locality.weight" }));
  });
});

describe("clusterLoadAssignment", () => {
  it("builds an EDS resource, possibly empty, with an overprovisioning factor", () => {
    expect(clusterLoadAssignment({ clusterName: "c", endpoints: [] }).endpoints).toEqual([]);
    const cla = clusterLoadAssignment({ clusterName: "c", endpoints: [{ host: "127.0.0.1", port: 9 }], overprovisioningFactor: 100 });
    expect(cla.clusterName).toBe("c");
    expect(cla.policy?.overprovisioningFactor).toBe(100);
    expect(cla.endpoints[0]?.lbEndpoints).toHaveLength(1);
  });

  it("throws BuilderErrors that name the assignment", () => {
    const err = (() => {
      try {
        clusterLoadAssignment({ clusterName: "c", endpoints: [{ host: "", port: 80 }] });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(BuilderError);
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ name: "BuilderError", code: "invalid-address", resourceType: "ClusterLoadAssignment", resourceName: "c", field: "endpoints[0].host" });
    expect(() => clusterLoadAssignment({ clusterName: "", endpoints: [] })).toThrow(/^ClusterLoadAssignment clusterName: must be a non-empty string/);
  });
});
