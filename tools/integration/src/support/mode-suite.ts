// One mode of the suite: an upstream per version, our control plane and a real Envoy; three
// successive snapshot versions; after each, traffic through every listener and Envoy's own
// account of the versions it holds.
import type { Message } from "@bufbuild/protobuf";
import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL, RUNTIME_TYPE_URL, SCOPED_ROUTE_TYPE_URL } from "@xdskit/cache-core";
import { bootstrapFor } from "@xdskit/envoy-tool";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readConfigDump, readRuntime, shortKey, TYPE_LEVEL } from "./config-dump.js";
import { createPki, type Pki } from "./certs.js";
import { isDelta, type ResourcesByType, startControlPlane, type SuiteMode, type TestControlPlane, transportOf } from "./control-plane.js";
import { envoyForSuite } from "./envoy.js";
import { eventually } from "./eventually.js";
import { get, startUpstream, type Upstream } from "@xdskit/envoy-tool";
import { listenerNames, RTDS_LAYER, SCOPE_HEADER, SCOPES, type ScenarioPorts, scenario, scopeKey, versionOf } from "./scenario.js";

const VERSIONS = [1, 2, 3] as const;

export function nameOf(resource: Message): string {
  const r = resource as unknown as { name?: string; clusterName?: string };
  return r.clusterName ?? r.name ?? "";
}

/**
 * What Envoy should report for version `n`: SotW modes hold the pushed
 * version everywhere (EDS behind the mux: the linear cache's own version);
 * delta modes hold, per resource, the version the delta server sent for it
 * (scoped routes: the response's system version, which is the pushed one).
 * Endpoint assignments are compared by content (Envoy dumps them without a
 * version): every cluster points at the upstream of version `n`.
 */
function expectedVersions(cp: TestControlPlane, n: number, resources: ResourcesByType, upstreamPort: number): Map<string, string> {
  const version = versionOf(n);
  const out = new Map<string, string>();
  for (const [typeUrl, list] of Object.entries(resources)) {
    if (typeUrl === RUNTIME_TYPE_URL) continue; // not in config_dump; checked through /runtime
    for (const resource of list) {
      const key = `${typeUrl} ${nameOf(resource)}`;
      if (typeUrl === ENDPOINT_TYPE_URL) out.set(key, `127.0.0.1:${upstreamPort}`);
      // Envoy's SRDS keeps one version for all scopes: the delta system_version_info.
      else if (isDelta(cp.mode) && typeUrl !== SCOPED_ROUTE_TYPE_URL) out.set(key, cp.deltaSent.get(key) ?? `(nothing sent for ${shortKey(key)})`);
      else out.set(key, version);
    }
  }
  for (const typeUrl of [CLUSTER_TYPE_URL, LISTENER_TYPE_URL]) out.set(`${typeUrl} ${TYPE_LEVEL}`, version);
  return out;
}

const readable = (m: Map<string, string>) => Object.fromEntries([...m].map(([k, v]) => [shortKey(k), v]).sort());

export function defineModeSuite(mode: SuiteMode): void {
  describe(`${mode}: a real Envoy follows three snapshot versions`, () => {
    const keeper = envoyForSuite(mode);
    const nodeId = `xdskit-${mode}`;
    let cp: TestControlPlane;
    let upstreams: Upstream[] = [];
    let ports: ScenarioPorts;
    let pki: Pki | undefined;
    const certificates: { cert: string; key: string }[] = [];
    const upstreamPort = (n: number) => upstreams[n - 1]?.port ?? 0;
    const resourcesAt = (n: number) =>
      scenario({ mode, n, upstreamPorts: upstreams.map((u) => u.port), ...(certificates[n - 1] ? { certificate: certificates[n - 1] } : {}) });

    beforeAll(async () => {
      upstreams = await Promise.all(VERSIONS.map((n) => startUpstream(`upstream-${n}`)));
      let xdsTls: { caFile: string } | undefined;
      let serverTls: { cert: string; key: string } | undefined;
      if (mode === "tls") {
        pki = createPki();
        serverTls = pki.leaf("xdskit control plane");
        xdsTls = { caFile: pki.caFile };
        for (const n of VERSIONS) certificates.push(pki.leaf(`sds-${versionOf(n)}`));
      }
      cp = await startControlPlane({ mode, nodeId, ...(serverTls ? { tls: serverTls } : {}) });
      cp.push(versionOf(1), resourcesAt(1));
      await keeper.start(
        bootstrapFor({ mode: transportOf(mode), xdsPort: cp.listener.port, nodeId, rtdsLayer: RTDS_LAYER, ...(xdsTls ? { tls: xdsTls } : {}) }),
      );
      ports = await keeper.envoy.waitForListenerPorts(listenerNames(mode));
      keeper.ready();
    });

    afterAll(async () => {
      await cp?.close();
      await Promise.all(upstreams.map((u) => u.close()));
      pki?.remove();
    });

    for (const n of VERSIONS) {
      const version = versionOf(n);
      it(`serves ${version} through every listener, and Envoy reports ${version}`, async () => {
        const resources = resourcesAt(n);
        if (n > 1) cp.push(version, resources);
        const envoy = keeper.envoy;
        const upstream = `upstream-${n}`;

        // Envoy's own account: every resource at the version we pushed, nothing warming.
        await eventually(`${mode}: config_dump at ${version}`, async () => {
          const dump = await readConfigDump(envoy);
          expect(dump.warming).toEqual([]);
          const expected = expectedVersions(cp, n, resources, upstreamPort(n));
          // Everything of the types we serve, so a resource left over from an older version shows too.
          const served = new Set([...expected.keys()].map((k) => k.split(" ")[0]));
          const held = new Map([...dump.versions].filter(([k]) => served.has(k.split(" ")[0])));
          for (const k of expected.keys()) if (!held.has(k)) held.set(k, "(missing)");
          expect(readable(held)).toEqual(readable(expected));
        });
        await eventually(`${mode}: runtime layer ${RTDS_LAYER} at ${version}`, async () => {
          const rt = await readRuntime(envoy);
          expect({ version: rt.get("xdskit.version"), n: rt.get("xdskit.n") }).toEqual({ version, n: String(n) });
        });

        // The listeners were updated in place: each still on the port it bound at v1.
        expect(Object.fromEntries(await envoy.listenerPorts()), `${mode}: listener ports at ${version}`).toEqual(ports);

        // Traffic: the upstream of this version answers through every listener.
        await eventually(`${mode}: HTTP listener (RDS + ECDS) at ${version}`, async () => {
          const r = await get(ports.http, "/through/http");
          expect({ status: r.status, body: r.body, route: r.headers["x-route"], ecds: r.headers["x-ecds"] }).toEqual({
            status: 200,
            body: `${upstream} GET /through/http`,
            route: `http-routes@${version}`,
            ecds: version,
          });
        });
        await eventually(`${mode}: TCP listener at ${version}`, async () => {
          const r = await get(ports.tcp, "/through/tcp");
          expect({ status: r.status, body: r.body }).toEqual({ status: 200, body: `${upstream} GET /through/tcp` });
        });
        for (const scope of SCOPES) {
          await eventually(`${mode}: scoped routes listener, scope ${scope} (key ${scopeKey(scope, n)}), at ${version}`, async () => {
            const r = await get(ports.scoped, `/through/scope-${scope}`, { headers: { [SCOPE_HEADER]: scopeKey(scope, n) } });
            expect({ status: r.status, body: r.body, route: r.headers["x-route"] }).toEqual({
              status: 200,
              body: `${upstream} GET /through/scope-${scope}`,
              route: `scope-${scope}-routes@${version}`,
            });
          });
        }
        const unscoped = await get(ports.scoped, "/through/no-scope");
        expect(unscoped.status, "a request without a scope key matches no scope").toBe(404);
        if (n > 1) {
          const old = await get(ports.scoped, "/through/old-scope", { headers: { [SCOPE_HEADER]: scopeKey("a", n - 1) } });
          expect(old.status, `the scope key of ${versionOf(n - 1)} matches nothing at ${version}`).toBe(404);
        }
        if (ports.https !== undefined && pki !== undefined) {
          const ca = pki.ca;
          const https = ports.https;
          await eventually(`${mode}: HTTPS listener with the SDS certificate of ${version}`, async () => {
            const r = await get(https, "/through/https", { ca });
            expect({ status: r.status, body: r.body, cn: r.peerCertificate?.subject.CN }).toEqual({
              status: 200,
              body: `${upstream} GET /through/https`,
              cn: `sds-${version}`,
            });
          });
        }
        expect(cp.nacks.map((x) => `${shortKey(x.typeUrl)} ${x.version}: ${x.message}`)).toEqual([]);
      });
    }
  });
}
