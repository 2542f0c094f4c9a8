import { describe, expect, it } from "vitest";
import { defaultConfigDir, parseCli } from "./cli-options.js";

describe("parseCli", () => {
  it("takes the hostile-client guards, leaving unset ones to the server's defaults", () => {
    expect(parseCli([]).guards).toEqual({});
    expect(
      parseCli([
        "--first-request-timeout", "3000", "--max-streams-per-peer", "200", "--max-unidentified-streams-per-peer", "20",
        "--max-connections-per-peer", "50", "--keepalive-interval", "30000", "--keepalive-timeout", "10000",
        "--min-client-ping-interval", "5000", "--max-connection-age", "600000", "--connection-age-grace", "20000",
        "--connection-age-jitter", "0.2", "--write-stall-timeout", "45000", "--headers-timeout", "5000", "--request-timeout", "15000",
      ]).guards,
    ).toEqual({
      firstRequestTimeoutMs: 3000,
      maxStreamsPerPeer: 200,
      maxUnidentifiedStreamsPerPeer: 20,
      maxConnectionsPerPeer: 50,
      keepaliveIntervalMs: 30000,
      keepaliveTimeoutMs: 10000,
      minClientPingIntervalMs: 5000,
      maxConnectionAgeMs: 600000,
      connectionAgeGraceMs: 20000,
      connectionAgeJitter: 0.2,
      writeStallTimeoutMs: 45000,
      headersTimeoutMs: 5000,
      requestTimeoutMs: 15000,
    });
    expect(parseCli(["--keepalive-interval", "off", "--max-connections-per-peer", "inf"]).guards).toEqual({
      keepaliveIntervalMs: Number.POSITIVE_INFINITY,
      maxConnectionsPerPeer: Number.POSITIVE_INFINITY,
    });
    expect(() => parseCli(["--first-request-timeout", "-1"])).toThrow(/not a positive integer/);
    expect(() => parseCli(["--connection-age-jitter", "1.5"])).toThrow(/not a fraction/);
  });
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
    const tls = ["--tls-cert", "c.pem", "--tls-key", "k.pem"];
    expect(() => parseCli([...tls, "--bootstrap-cert", "e.pem"])).toThrow(/--bootstrap-cert and --bootstrap-key go together/);
    expect(() => parseCli(["--bootstrap-ca", "ca.pem"])).toThrow(/need --tls-cert and --tls-key/);
    expect(parseCli([...tls, "--bootstrap-ca", "ca.pem", "--bootstrap-cert", "e.pem", "--bootstrap-key", "e.key"])).toMatchObject({
      bootstrapCa: "ca.pem",
      bootstrapCert: "e.pem",
      bootstrapKey: "e.key",
    });
  });
  it("takes every server limit into the server options (guards), leaving the ones not given to the library's defaults", () => {
    expect(parseCli([]).guards).toEqual({});
    const all = parseCli([
      "--max-streams", "inf",
      "--max-streams-per-connection", "50",
      "--max-message-bytes", "16777216",
      "--max-resource-names-per-request", "200000",
      "--max-subscribed-name-bytes", "inf",
      "--max-requests-per-second", "20",
      "--request-burst", "40",
      "--stream-reset-burst", "100",
      "--stream-reset-rate", "10",
    ]);
    expect(all.guards).toEqual({
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
    expect(() => parseCli(["--max-streams", "0"])).toThrow(/not a positive integer/);
  });
});
