// The bootstrap the app writes comes from @xdskit/resource-builders' bootstrap(): Envoy 1.40 accepts
// it (`envoy --mode validate`) in every --mode, plaintext, TLS and mTLS; and a real Envoy started from
// the file the app wrote follows the app over TLS and mutual TLS.
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type EnvoyProcess, ensureEnvoy, startEnvoy } from "@xdskit/envoy-tool";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppProcess, startApp } from "./app-process.test-helper.js";
import { defaultConfigDir, type XdsMode } from "./cli-options.js";
import { envoyBootstrap, reachableHost } from "./envoy-bootstrap.js";

const modes: readonly XdsMode[] = ["ads", "xds", "delta", "delta-ads", "rest"];

let dir: string;
const openssl = (args: string[]): void => {
  const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.error?.message ?? r.stderr}`);
};
const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
/** A certificate for 127.0.0.1 signed by ca.pem: `<name>.pem`, `<name>.key`. */
const leaf = (name: string): void => {
  openssl(["req", ...ec, "-subj", `/CN=${name}`, "-keyout", `${name}.key`, "-out", `${name}.csr`]);
  writeFileSync(join(dir, `${name}.ext`), "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n");
  openssl(["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1", "-extfile", `${name}.ext`, "-out", `${name}.pem`]);
};
const file = (name: string): string => join(dir, name);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "cp-bootstrap-"));
  openssl(["req", "-x509", ...ec, "-days", "1", "-subj", "/CN=example app test CA", "-keyout", "ca.key", "-out", "ca.pem"]);
  leaf("control-plane");
  leaf("envoy");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function validate(bootstrap: object): { ok: boolean; output: string } {
  const path = join(dir, `validate-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(bootstrap));
  const r = spawnSync(ensureEnvoy(), ["--mode", "validate", "-c", path, "-l", "warn", "--disable-hot-restart"], { encoding: "utf8", timeout: 60_000 });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}${r.error?.message ?? ""}` };
}

const plain = { host: "127.0.0.1", nodeId: "envoy-1", tlsCert: undefined, bootstrapCa: undefined, bootstrapCert: undefined, bootstrapKey: undefined };

describe("envoyBootstrap", () => {
  it.each(modes)("is accepted by envoy --mode validate in %s mode: plaintext, TLS and mTLS", (mode) => {
    const tls = { ...plain, tlsCert: file("control-plane.pem"), bootstrapCa: file("ca.pem") };
    const mtls = { ...tls, bootstrapCert: file("envoy.pem"), bootstrapKey: file("envoy.key") };
    for (const o of [plain, tls, mtls]) {
      const result = validate(envoyBootstrap({ ...o, mode, port: 18000 }));
      expect(result.ok, result.output).toBe(true);
    }
  });

  it("points Envoy at the control plane in the mode asked, with the node id, TLS files as absolute paths", () => {
    const b = envoyBootstrap({ ...plain, mode: "delta-ads", port: 18123, tlsCert: "cp.pem", bootstrapCert: "e.pem", bootstrapKey: "e.key" }) as {
      node: { id: string };
      dynamic_resources: { ads_config: { api_type: string }; cds_config: { ads: object } };
      static_resources: { clusters: { load_assignment: unknown; transport_socket: { typed_config: { common_tls_context: unknown } } }[] };
    };
    expect(b.node.id).toBe("envoy-1");
    expect(b.dynamic_resources.ads_config.api_type).toBe("DELTA_GRPC");
    expect(b.dynamic_resources.cds_config.ads).toEqual({});
    const [xds] = b.static_resources.clusters;
    expect(JSON.stringify(xds?.load_assignment)).toContain('"port_value":18123');
    const tls = JSON.stringify(xds?.transport_socket.typed_config.common_tls_context);
    // No --bootstrap-ca: the control plane's own (self-signed) certificate is the trust anchor.
    expect(tls).toContain(`"trusted_ca":{"filename":"${join(process.cwd(), "cp.pem")}"}`);
    expect(tls).toContain(`"certificate_chain":{"filename":"${join(process.cwd(), "e.pem")}"}`);
    expect(tls).toContain(`"private_key":{"filename":"${join(process.cwd(), "e.key")}"}`);
  });

  it("reaches a wildcard listen address on loopback", () => {
    expect(reachableHost("0.0.0.0")).toBe("127.0.0.1");
    expect(reachableHost("::")).toBe("::1");
    expect(reachableHost("[::1]")).toBe("::1");
    expect(reachableHost("10.1.2.3")).toBe("10.1.2.3");
  });
});

describe("an Envoy started from the bootstrap the app wrote", () => {
  const apps: AppProcess[] = [];
  const envoys: EnvoyProcess[] = [];
  afterAll(async () => {
    for (const envoy of envoys) await envoy.stop();
    for (const app of apps) await app.stop();
  });

  // TLS with per-type gRPC streams, mutual TLS with delta ADS, and REST polling over TLS.
  const cases: [XdsMode, boolean][] = [
    ["xds", false],
    ["delta-ads", true],
    ["rest", false],
  ];
  it.each(cases)("follows the app in %s mode over TLS (mutual: %s)", async (mode, mutual) => {
    const config = mkdtempSync(join(dir, "config-"));
    cpSync(defaultConfigDir, config, { recursive: true });
    const listeners = readFileSync(join(config, "listeners.yaml"), "utf8");
    writeFileSync(join(config, "listeners.yaml"), listeners.replace("port_value: 10000", "port_value: 0"));
    const bootstrapFile = join(config, "..", `bootstrap-${mode}.json`);
    const app = startApp([
      ...["--config", config, "--mode", mode, "--port", "0", "--admin-port", "0", "--upstream-port", "0", "--no-envoy", "--log-format", "json"],
      ...["--node-id", `envoy-${mode}`, "--bootstrap-out", bootstrapFile],
      ...["--tls-cert", file("control-plane.pem"), "--tls-key", file("control-plane.key"), "--bootstrap-ca", file("ca.pem")],
      ...(mutual ? ["--tls-client-ca", file("ca.pem"), "--bootstrap-cert", file("envoy.pem"), "--bootstrap-key", file("envoy.key")] : []),
    ]);
    apps.push(app);
    await app.waitForOutput(/Ctrl-C stops everything\./, 60_000);
    const bootstrap = JSON.parse(readFileSync(bootstrapFile, "utf8")) as Record<string, unknown>;
    const envoy = await startEnvoy({ name: `app-${mode}`, bootstrap, logLevel: "warn", readyTimeoutMs: 60_000 });
    envoys.push(envoy);
    // The listener came from the app (over TLS), and its routes and endpoints followed in the same mode.
    const { http } = await envoy.waitForListenerPorts(["http"], 60_000);
    expect(http).toBeGreaterThan(0);
    const dump = JSON.stringify(await envoy.configDump({ eds: true }));
    expect(dump).toContain('"route_config_name":"default"');
    expect(dump).toContain('"cluster_name":"upstream"');
    await envoy.stop();
    await app.stop();
  }, 150_000);
});
