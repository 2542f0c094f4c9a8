import { describe, expect, it } from "vitest";
import { createResourceReader, lazyEnvoyRegistry, readResources } from "./index.js";

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
