// The bootstrap builder against a real Envoy: every mode and TLS form passes
// `envoy --mode validate`, and an Envoy started from it reaches a stand-in
// control plane with the right RPC, node, SNI, ALPN and client certificate.
import { bootstrap, type BootstrapMode, type BootstrapOptions, bootstrapToJson, bootstrapToYaml } from "@xdskit/resource-builders";
import { type EnvoyProcess, startEnvoy } from "@xdskit/envoy-tool";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateBootstrap, validateBootstrapText } from "./test-support/envoy.js";
import { createPki, type Leaf, type Pki } from "./test-support/pki.js";
import { type RecorderOptions, type SeenRequest, startXdsRecorder } from "./test-support/xds-recorder.js";

const modes: readonly BootstrapMode[] = ["ads", "delta-ads", "xds", "delta", "rest"];

let pki: Pki;
let serverLeaf: Leaf;
let clientLeaf: Leaf;

beforeAll(() => {
  pki = createPki();
  serverLeaf = pki.leaf("control-plane", ["DNS:localhost", "DNS:xds.test", "IP:127.0.0.1"]);
  clientLeaf = pki.leaf("envoy-client", ["DNS:envoy.test"]);
});

afterAll(() => pki.remove());

describe("envoy --mode validate accepts the bootstrap", () => {
  it.each(modes)("in %s mode, plaintext and TLS", (mode) => {
    for (const tls of [undefined, { trustedCa: pki.ca }]) {
      const result = validateBootstrap(bootstrapToJson(bootstrap({ nodeId: "validate", cluster: "edge", mode, xds: { host: "127.0.0.1", port: 18000, tls } })));
      expect(result.ok, result.output).toBe(true);
    }
  });

  it("with mutual TLS from files, a DNS host, a runtime layer, an initial fetch timeout, metadata and no admin", () => {
    const options: BootstrapOptions = {
      nodeId: "validate",
      cluster: "edge",
      metadata: { team: "edge", weight: 3 },
      mode: "delta-ads",
      initialFetchTimeoutMs: 2500,
      runtimeLayer: "flags",
      admin: false,
      xds: {
        host: "localhost",
        port: 18000,
        clusterName: "control-plane",
        tls: {
          trustedCa: { file: pki.caFile },
          certificate: { certificateChain: { file: clientLeaf.certFile }, privateKey: { file: clientLeaf.keyFile } },
          serverNames: ["xds.test"],
        },
      },
    };
    const result = validateBootstrap(bootstrapToJson(bootstrap(options)));
    expect(result.ok, result.output).toBe(true);
  });

  it("as YAML too, and refuses what Envoy refuses (a file that does not exist)", () => {
    const yaml = bootstrapToYaml(bootstrap({ nodeId: "validate", cluster: "edge", mode: "xds", xds: { host: "127.0.0.1", port: 18000, tls: { trustedCa: pki.ca } } }));
    const fromYaml = validateBootstrapText(yaml, "yaml");
    expect(fromYaml.ok, fromYaml.output).toBe(true);
    const missing = validateBootstrap(bootstrapToJson(bootstrap({ nodeId: "v", cluster: "edge", xds: { host: "127.0.0.1", port: 1, tls: { trustedCa: { file: "/nonexistent/ca.pem" } } } })));
    expect(missing.ok).toBe(false);
    expect(missing.output).toContain("/nonexistent/ca.pem");
  });
});

/** Starts a stand-in control plane and an Envoy from the bootstrap; returns the first request Envoy sent. */
async function firstRequest(recorder: RecorderOptions, options: (port: number) => BootstrapOptions): Promise<SeenRequest> {
  const server = await startXdsRecorder(recorder);
  let envoy: EnvoyProcess | undefined;
  try {
    envoy = await startEnvoy({ name: "bootstrap", bootstrap: bootstrapToJson(bootstrap(options(server.port))), waitReady: false });
    return await server.first();
  } finally {
    // Envoy goes first, so the connections close from its side.
    await envoy?.stop();
    await server.close();
  }
}

describe("an Envoy started from the bootstrap reaches its control plane", () => {
  it("ADS: the aggregated SotW RPC, the node, over HTTP/2 to a DNS name (STRICT_DNS, IPv4 preferred)", async () => {
    const seen = await firstRequest({ protocol: "grpc" }, (port) => ({ nodeId: "envoy-ads", cluster: "edge", xds: { host: "localhost", port } }));
    expect(seen).toMatchObject({
      path: "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources",
      httpVersion: "2.0",
      nodeId: "envoy-ads",
      nodeCluster: "edge",
      typeUrl: "type.googleapis.com/envoy.config.cluster.v3.Cluster",
    });
  });

  it("delta ADS over mutual TLS from files: SNI and SAN from the host, ALPN h2, Envoy's client certificate", async () => {
    const seen = await firstRequest({ protocol: "grpc", tls: { cert: serverLeaf.cert, key: serverLeaf.key, clientCa: pki.ca } }, (port) => ({
      nodeId: "envoy-mtls",
      cluster: "edge",
      mode: "delta-ads",
      xds: {
        host: "localhost",
        port,
        tls: {
          trustedCa: { file: pki.caFile },
          certificate: { certificateChain: { file: clientLeaf.certFile }, privateKey: { file: clientLeaf.keyFile } },
        },
      },
    }));
    expect(seen).toMatchObject({
      path: "/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources",
      nodeId: "envoy-mtls",
      nodeCluster: "edge",
      sni: "localhost",
      alpn: "h2",
      clientCommonName: "envoy-client",
    });
  });

  it("xds: a SotW stream per type, over TLS with inline PEM to an IP address with an explicit SNI", async () => {
    const seen = await firstRequest({ protocol: "grpc", tls: { cert: serverLeaf.cert, key: serverLeaf.key } }, (port) => ({
      nodeId: "envoy-xds",
      cluster: "edge",
      mode: "xds",
      xds: { host: "127.0.0.1", port, tls: { trustedCa: pki.ca, sni: "xds.test" } },
    }));
    expect(seen.path).toMatch(/^\/envoy\.service\.(cluster|listener)\.v3\.(Cluster|Listener)DiscoveryService\/Stream(Clusters|Listeners)$/);
    expect(seen).toMatchObject({ nodeId: "envoy-xds", nodeCluster: "edge", sni: "xds.test", alpn: "h2", clientCommonName: undefined });
  });

  it("delta: an incremental stream per type", async () => {
    const seen = await firstRequest({ protocol: "grpc" }, (port) => ({ nodeId: "envoy-delta", cluster: "edge", mode: "delta", xds: { host: "127.0.0.1", port } }));
    expect(seen.path).toMatch(/^\/envoy\.service\.(cluster|listener)\.v3\.(Cluster|Listener)DiscoveryService\/Delta(Clusters|Listeners)$/);
    expect(seen.nodeId).toBe("envoy-delta");
  });

  it("rest: JSON polls over HTTP/1.1 and TLS", async () => {
    const seen = await firstRequest({ protocol: "rest", tls: { cert: serverLeaf.cert, key: serverLeaf.key } }, (port) => ({
      nodeId: "envoy-rest",
      cluster: "edge",
      mode: "rest",
      refreshDelayMs: 200,
      xds: { host: "localhost", port, tls: { trustedCa: pki.ca } },
    }));
    expect(seen.path).toMatch(/^\/v3\/discovery:(clusters|listeners)$/);
    expect(seen).toMatchObject({ httpVersion: "1.1", nodeId: "envoy-rest", nodeCluster: "edge", sni: "localhost" });
  });

  it("refuses a control plane whose certificate does not carry the expected name", async () => {
    const server = await startXdsRecorder({ protocol: "grpc", tls: { cert: serverLeaf.cert, key: serverLeaf.key } });
    const envoy = await startEnvoy({
      name: "bootstrap-san",
      waitReady: false,
      bootstrap: bootstrapToJson(bootstrap({ nodeId: "envoy-san", cluster: "edge", xds: { host: "127.0.0.1", port: server.port, tls: { trustedCa: pki.ca, serverNames: ["other.test"] } } })),
    });
    try {
      // Envoy counts the failed SAN check; the stand-in control plane never gets a request.
      const deadline = Date.now() + 45_000;
      let failed = 0;
      while (failed === 0 && Date.now() < deadline) {
        failed = (await envoy.stats("ssl.fail_verify_san")).get("cluster.xds_cluster.ssl.fail_verify_san") ?? 0;
        if (failed === 0) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(failed).toBeGreaterThan(0);
      await expect(server.first(1)).rejects.toThrow(/no xDS request/);
    } finally {
      await envoy.stop();
      await server.close();
    }
  });
});
