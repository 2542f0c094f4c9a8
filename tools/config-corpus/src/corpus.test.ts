// Every static config of corpus/ (written by us in the shapes people write) is checked end to end:
// `envoy --mode validate` accepts it; xdskit-envoy-convert turns it into a resource directory and
// an ADS bootstrap; the example control plane serves the directory; a real Envoy started from that
// bootstrap ends up with the same listeners, clusters, routes, secrets and bootstrap as an Envoy
// started from the static file (see support/normalize-dump.ts for what is normalised and why).
// Configs run three at a time (each: one control plane, then two Envoys one after the other);
// every process is stopped by the check that started it.
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeCerts } from "./support/certs.js";
import { adoptListenerNames, dynamicResourcesOf, pending, staticClusterNames, staticResourcesOf } from "./support/normalize-dump.js";
import { convertCli, envoyValidate, runApp, runEnvoy } from "./support/processes.js";

const run = promisify(execFile);
const corpusDir = fileURLToPath(new URL("../corpus", import.meta.url));
const files = readdirSync(corpusDir)
  .filter((f) => f.endsWith(".yaml") || f.endsWith(".json"))
  .sort();

/** Configs Envoy 1.40 refuses under `--mode validate`, and why (checked: each must still be refused). */
const refusedByEnvoy: Record<string, RegExp> = {};

let certs = "";
beforeAll(() => {
  certs = makeCerts();
});
afterAll(() => {
  if (certs !== "") rmSync(certs, { recursive: true, force: true });
});

/** The config as the test runs it: test certificates, a node when it has none, an admin on 127.0.0.1:0. */
function prepare(file: string, text: string): string {
  const isJson = file.endsWith(".json");
  if (isJson) {
    const json = JSON.parse(text.replaceAll("@CERTS@", certs)) as Record<string, unknown>;
    json["node"] ??= { id: `corpus-${file}`, cluster: "corpus" };
    json["admin"] = { address: { socket_address: { address: "127.0.0.1", port_value: 0 } } };
    return JSON.stringify(json, null, 2);
  }
  let out = text.replaceAll("@CERTS@", certs);
  if (!/^node:/m.test(out)) out += `\nnode: { id: "corpus-${file}", cluster: corpus }\n`;
  return `${out}\nadmin: { address: { socket_address: { address: 127.0.0.1, port_value: 0 } } }\n`;
}

describe.concurrent("static Envoy configs, served over ADS by the example control plane", () => {
  it("has at least 30 configs", () => {
    expect(files.length).toBeGreaterThanOrEqual(30);
  });

  it.each(files)("%s", async (file) => {
    const work = mkdtempSync(join(tmpdir(), `xdskit-corpus-${file.replace(/\W/g, "_")}-`));
    const stops: (() => Promise<void>)[] = [];
    try {
      const input = join(work, file.endsWith(".json") ? "envoy.json" : "envoy.yaml");
      writeFileSync(input, prepare(file, readFileSync(join(corpusDir, file), "utf8")));

      const refused = envoyValidate(input);
      const expectedRefusal = refusedByEnvoy[file];
      if (expectedRefusal !== undefined) {
        expect(refused).toMatch(expectedRefusal);
        return;
      }
      expect(refused, `envoy --mode validate refused ${file}`).toBeUndefined();

      const resources = join(work, "resources");
      await run(process.execPath, [convertCli, input, "-o", resources], { timeout: 60_000 });
      const app = await runApp(resources, work);
      stops.push(app.stop);
      const boot = join(work, "boot");
      await run(process.execPath, [convertCli, input, "-o", boot, "--xds", `127.0.0.1:${app.port}`], { timeout: 60_000 });

      const staticEnvoy = await runEnvoy(input, work, "static");
      stops.push(staticEnvoy.stop);
      const want = staticResourcesOf(await staticEnvoy.configDump());
      await staticEnvoy.stop();

      const dynamicEnvoy = await runEnvoy(join(boot, "bootstrap.yaml"), work, "dynamic");
      stops.push(dynamicEnvoy.stop);
      // Envoy reports LIVE once its first CDS/LDS round is in; listeners may still warm: wait for them.
      const deadline = Date.now() + 30_000;
      let dump = await dynamicEnvoy.configDump();
      for (;;) {
        const got = dynamicResourcesOf(dump);
        const settled = pending(dump).length === 0 && got.listeners.length === want.listeners.length && got.clusters.length === want.clusters.length;
        if (settled || Date.now() > deadline) break;
        await sleep(200);
        dump = await dynamicEnvoy.configDump();
      }
      expect(pending(dump), "the dynamic Envoy still warms or refused something").toEqual([]);
      expect(staticClusterNames(dump)).toEqual(["xds_cluster"]);
      const got = dynamicResourcesOf(dump);
      const { listeners, renamed } = adoptListenerNames(want.listeners, got.listeners);
      for (const name of renamed) expect(name).toMatch(/^(\[[0-9a-f:]+\]|[0-9.]+)_\d+(_udp)?(_\d+)?$/);
      expect(got.listeners).toEqual(listeners);
      expect(got.clusters).toEqual(want.clusters);
      expect(got.routes).toEqual(want.routes);
      expect(got.secrets).toEqual(want.secrets);
      expect(got.bootstrap).toEqual(want.bootstrap);
      expect(app.lines.filter((l) => Number(l["level"]) >= 40)).toEqual([]);
    } finally {
      for (const stop of stops.reverse()) await stop();
      rmSync(work, { recursive: true, force: true });
    }
  });
});
