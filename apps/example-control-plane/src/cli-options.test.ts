import { describe, expect, it } from "vitest";
import { defaultConfigDir, parseCli, serverLimitsOf } from "./cli-options.js";

describe("parseCli", () => {
  it("runs on the built-in default config with no arguments", () => {
    expect(parseCli([])).toMatchObject({ config: defaultConfigDir, host: "127.0.0.1", port: 18000, mode: "ads", upstreamPort: 18080, logLevel: "info" });
    expect(parseCli([])).toMatchObject({ adminPort: 18001, admin: true, logFormat: "auto", envoy: false });
    expect(parseCli(["--admin-port", "0", "--log-format", "json", "--envoy"])).toMatchObject({ adminPort: 0, logFormat: "json", envoy: true });
    // npm start passes --envoy first: a --no-envoy after it wins.
    expect(parseCli(["--envoy", "--port", "0", "--no-envoy"])).toMatchObject({ envoy: false });
    expect(parseCli(["--no-admin"])).toMatchObject({ admin: false });
  });
  it("takes the mode, ports and TLS files", () => {
    expect(parseCli(["--mode", "delta", "-p", "0", "--tls-cert", "c.pem", "--tls-key", "k.pem", "--tls-client-ca", "ca.pem"])).toMatchObject({
      mode: "delta",
      port: 0,
      tlsCert: "c.pem",
      tlsKey: "k.pem",
      tlsClientCa: "ca.pem",
    });
  });
  it("takes the etcd source and workers", () => {
    expect(parseCli([])).toMatchObject({ source: "file", etcdEndpoints: ["http://127.0.0.1:2379"], etcdPrefix: "/xdskit/", workers: 1 });
    expect(parseCli(["--source", "etcd", "--etcd-endpoints", "http://10.0.0.1:2379, http://10.0.0.2:2379", "--etcd-prefix", "/cp/", "--workers", "4"])).toMatchObject({
      source: "etcd",
      etcdEndpoints: ["http://10.0.0.1:2379", "http://10.0.0.2:2379"],
      etcdPrefix: "/cp/",
      workers: 4,
    });
    expect(() => parseCli(["--source", "consul"])).toThrow(/Allowed choices are file, etcd/);
    expect(() => parseCli(["--etcd-endpoints", "10.0.0.1:2379"])).toThrow(/not an etcd client URL/);
    expect(() => parseCli(["--workers", "0"])).toThrow(/not a number of workers/);
  });
  it("rejects a bad port, an unknown mode, and half a TLS pair", () => {
    expect(() => parseCli(["-p", "70000"])).toThrow(/not a port/);
    expect(() => parseCli(["--mode", "grpc"])).toThrow(/Allowed choices are ads, xds, delta, delta-ads, rest/);
    expect(() => parseCli(["--tls-cert", "c.pem"])).toThrow(/go together/);
    expect(() => parseCli(["--tls-client-ca", "ca.pem"])).toThrow(/needs --tls-cert/);
  });
  it("takes every server limit, leaving the ones not given to the library's defaults", () => {
    expect(serverLimitsOf(parseCli([]))).toEqual({});
    const all = parseCli([
      "--max-streams", "unlimited",
      "--max-streams-per-connection", "50",
      "--max-message-bytes", "16_777_216",
      "--max-resource-names-per-request", "200000",
      "--max-subscribed-name-bytes", "unlimited",
      "--max-requests-per-second", "20",
      "--request-burst", "40",
      "--stream-reset-burst", "100",
      "--stream-reset-rate", "10",
    ]);
    expect(serverLimitsOf(all)).toEqual({
      maxStreams: Number.POSITIVE_INFINITY,
      maxStreamsPerConnection: 50,
      maxMessageBytes: 16_777_216,
      maxResourceNamesPerRequest: 200_000,
      maxSubscribedNameBytes: Number.POSITIVE_INFINITY,
      maxRequestsPerSecond: 20,
      requestBurst: 40,
      streamResetBurst: 100,
      streamResetRate: 10,
    });
    expect(() => parseCli(["--max-message-bytes", "unlimited"])).toThrow(/not a positive whole number/);
    expect(() => parseCli(["--max-streams", "0"])).toThrow(/not a positive whole number or unlimited/);
  });
});
