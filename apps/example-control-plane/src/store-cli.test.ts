import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEtcd, type EtcdCluster } from "@xdskit/etcd-tool";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultConfigDir } from "./cli-options.js";
import { runStoreCli } from "./store-cli.js";

let etcd: EtcdCluster;
let dir = "";

beforeAll(async () => {
  etcd = await startEtcd({ name: "store-cli" });
  dir = mkdtempSync(join(tmpdir(), "store-cli-"));
  cpSync(defaultConfigDir, dir, { recursive: true });
});
afterAll(async () => {
  await etcd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function run(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runStoreCli([...args, "--etcd-endpoints", etcd.endpoints.join(","), "--etcd-prefix", "/cli/"], {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  });
  return { code, out, err };
}

const editFile = (name: string, edit: (text: string) => string): void => writeFileSync(join(dir, name), edit(readFileSync(join(dir, name), "utf8")));

describe("the store CLI", () => {
  it("applies a config directory in one transaction, with node groups, and lists it", async () => {
    mkdirSync(join(dir, "canary"));
    cpSync(join(dir, "endpoints.yaml"), join(dir, "canary", "endpoints.yaml"));
    editFile(join("canary", "endpoints.yaml"), (t) => t.replace("port_value: 18080", "port_value: 19090"));
    const applied = await run("apply", "-f", dir);
    expect(applied.err).toEqual([]);
    expect(applied.code).toBe(0);
    expect(applied.out[0]).toMatch(/\(2 groups, 8 resources\) to \/cli\/: revision \d+, 8 written, 0 deleted, 0 unchanged$/);
    const listed = await run("get");
    expect(listed.out).toEqual([
      "canary\tCluster\tupstream",
      "canary\tClusterLoadAssignment\tupstream",
      "canary\tListener\thttp",
      "canary\tRouteConfiguration\tdefault",
      "default\tCluster\tupstream",
      "default\tClusterLoadAssignment\tupstream",
      "default\tListener\thttp",
      "default\tRouteConfiguration\tdefault",
    ]);
    const again = await run("apply", "-f", dir);
    expect(again.out[0]).toMatch(/0 written, 0 deleted, 8 unchanged$/);
  });

  it("prints resources as protobuf JSON with self config sources resolved for the mode", async () => {
    const got = await run("get", "canary", "ClusterLoadAssignment", "upstream", "-o", "json");
    const json = JSON.parse(got.out.join("\n")) as Record<string, { "@type": string; endpoints: { lb_endpoints: { endpoint: { address: unknown } }[] }[] }[]>;
    expect(json["canary"]?.[0]?.["@type"]).toBe("type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment");
    expect(JSON.stringify(json["canary"]?.[0]?.endpoints)).toContain("19090");
    const cluster = await run("get", "default", "Cluster", "-o", "yaml");
    expect(cluster.out.join("\n")).toMatch(/eds_config:\n\s+ads: \{\}/);
  });

  it("refuses a bad directory with every problem, writing nothing", async () => {
    editFile("clusters.yaml", (t) => t.replace("connect_timeout: 1s", "connect_timout: 2s"));
    editFile("listeners.yaml", (t) => t.replace("route_config_name: default", "route_config_name: missing"));
    try {
      const before = (await run("get")).out;
      const refused = await run("apply", "-f", dir);
      expect(refused.code).toBe(1);
      expect(refused.err[0]).toMatch(/was not applied: \d+ problem\(s\)$/);
      expect(refused.err.join("\n")).toContain('clusters.yaml:4 at [0].connect_timout: unknown field "connect_timout" in envoy.config.cluster.v3.Cluster (did you mean "connect_timeout"?)');
      expect(refused.err.join("\n")).toContain('listeners.yaml at [0]: Listener "http": refers to RouteConfiguration "missing", which the snapshot does not hold (reference.missing)');
      expect((await run("get")).out).toEqual(before);
    } finally {
      editFile("clusters.yaml", (t) => t.replace("connect_timout: 2s", "connect_timeout: 1s"));
      editFile("listeners.yaml", (t) => t.replace("route_config_name: missing", "route_config_name: default"));
    }
  });

  it("deletes a resource or a whole group, and says when there is nothing to delete", async () => {
    expect((await run("delete", "canary", "Listener", "http")).out[0]).toMatch(/^deleted 1 resources: revision \d+$/);
    expect((await run("delete", "canary")).out[0]).toMatch(/^deleted 3 resources/);
    expect((await run("get")).out.every((l) => l.startsWith("default\t"))).toBe(true);
    const none = await run("delete", "canary");
    expect(none).toMatchObject({ code: 1, err: ["nothing to delete: canary is not in etcd"] });
    expect((await run("get", "default", "Widget")).err[0]).toMatch(/unknown resource type "Widget"/);
  });

  it("says etcd is unavailable with a clear error and exit code", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runStoreCli(["get", "--etcd-endpoints", "http://127.0.0.1:1"], { out: (l) => out.push(l), err: (l) => err.push(l) });
    expect(code).toBe(1);
    expect(err[0]).toMatch(/^unavailable: reading \/xdskit\/: etcd is unavailable/);
  });
});
