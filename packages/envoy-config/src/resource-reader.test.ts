import { describe, expect, it } from "vitest";
import { type ConfigResource, createPreparingResourceReader, createResourceReader, lazyEnvoyRegistry, readResources } from "./index.js";

const registry = lazyEnvoyRegistry();
const cluster = (name: string, port: number) => `- "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster
  name: ${name}
  type: static
  load_assignment:
    cluster_name: ${name}
    endpoints:
    - lb_endpoints:
      - endpoint: {address: {socket_address: {address: 10.0.0.1, port_value: ${port}}}}
`;

describe("createResourceReader", () => {
  it("decodes again only the items whose text changed, and gives the same result as readResources", () => {
    const reader = createResourceReader({ registry });
    const v1 = cluster("a", 1) + cluster("b", 2) + cluster("c", 3);
    const first = reader.read(v1, { file: "c.yaml" });
    expect(first.resources.map((r) => r.name)).toEqual(["a", "b", "c"]);
    const v2 = cluster("a", 1) + cluster("b", 20) + cluster("c", 3);
    const second = reader.read(v2, { file: "c.yaml" });
    expect(second.resources[0]?.message).toBe(first.resources[0]?.message);
    expect(second.resources[1]?.message).not.toBe(first.resources[1]?.message);
    expect(second.resources[2]?.message).toBe(first.resources[2]?.message);
    const fresh = readResources(v2, { registry, file: "c.yaml" });
    expect(second.resources.map((r) => [r.name, r.path, r.message])).toEqual(fresh.resources.map((r) => [r.name, r.path, r.message]));
  });

  it("reports problems with the line in the whole file, and decodes a broken item again until fixed", () => {
    const reader = createResourceReader({ registry });
    const broken = cluster("a", 1) + cluster("b", 2).replace("type: static", "type: statik");
    const r = reader.read(broken, { file: "c.yaml" });
    expect(r.problems.map((p) => [p.path, p.line])).toEqual([["[1].type", 11]]);
    expect(reader.read(broken, { file: "c.yaml" }).problems).toHaveLength(1);
    expect(reader.read(cluster("a", 1) + cluster("b", 2), { file: "c.yaml" }).problems).toEqual([]);
  });

  it("falls back to the full parser for what the fast reader does not read", () => {
    const reader = createResourceReader({ registry });
    const text = `${cluster("a", 1)}- &x\n  "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster\n  name: b\n`;
    expect(reader.read(text, { file: "c.yaml" }).resources.map((r) => r.name)).toEqual(["a", "b"]);
    const obj = `resources:\n${cluster("z", 9).replace(/^/gm, "  ").trimEnd()}\n`;
    expect(reader.read(obj, { file: "d.yaml" }).resources.map((r) => r.name)).toEqual(["z"]);
  });
});

describe("createPreparingResourceReader", () => {
  const listener = (name: string, port: number) => `- "@type": type.googleapis.com/envoy.config.listener.v3.Listener
${name === "" ? "" : `  name: ${name}\n`}  address: {socket_address: {address: 0.0.0.0, port_value: ${port}}}
`;

  it("prepares each decoded resource once and keeps only what prepare made while the item is unchanged", () => {
    const prepared: string[] = [];
    const prepare = (r: ConfigResource) => {
      prepared.push(r.name);
      return { name: r.name, at: r.path };
    };
    const reader = createPreparingResourceReader({ registry, prepare });
    const first = reader.read(cluster("a", 1) + cluster("b", 2) + cluster("c", 3), { file: "c.yaml" });
    expect(prepared).toEqual(["a", "b", "c"]);
    prepared.length = 0;
    // b changed, and a new item before a moves every path.
    const second = reader.read(cluster("z", 9) + cluster("a", 1) + cluster("b", 20) + cluster("c", 3), { file: "c.yaml" });
    expect(prepared).toEqual(["z", "b"]);
    expect(second.resources.map((r) => [r.name, r.path])).toEqual([
      ["z", "[0]"],
      ["a", "[1]"],
      ["b", "[2]"],
      ["c", "[3]"],
    ]);
    expect(second.resources[1]?.value).toBe(first.resources[0]?.value);
    expect(second.resources[3]?.value).toBe(first.resources[2]?.value);
    expect(second.resources[2]?.value).not.toBe(first.resources[1]?.value);
  });

  it("names an unnamed listener apart from the kept ones, and prepares it again on every read", () => {
    const prepared: string[] = [];
    const reader = createPreparingResourceReader({ registry, prepare: (r: ConfigResource) => prepared.push(r.name) });
    const text = listener("0.0.0.0_80", 81) + listener("", 80);
    const first = reader.read(text, { file: "l.yaml" });
    expect(first.resources.map((r) => r.name)).toEqual(["0.0.0.0_80", "0.0.0.0_80_2"]);
    expect(first.notices.map((n) => n.path)).toEqual(["[1]"]);
    prepared.length = 0;
    const second = reader.read(text, { file: "l.yaml" });
    expect(prepared).toEqual(["0.0.0.0_80_2"]);
    expect(second.resources.map((r) => r.name)).toEqual(["0.0.0.0_80", "0.0.0.0_80_2"]);
  });
});
