import { BuilderError, route, routeConfiguration, scopedRouteConfiguration, virtualHost } from "@xdskit/resource-builders";
import { describe, expect, it } from "vitest";

describe("route", () => {
  it("defaults to prefix / and carries the cluster action options", () => {
    const r = route({ cluster: "c", timeoutMs: 1500, prefixRewrite: "/v2/", hostRewrite: "backend" });
    expect(r.match?.pathSpecifier).toEqual({ case: "prefix", value: "/" });
    if (r.action.case !== "route") throw new Error("expected a route action");
    expect(r.action.value.clusterSpecifier).toEqual({ case: "cluster", value: "c" });
    expect(r.action.value.timeout).toMatchObject({ seconds: 1n, nanos: 500_000_000 });
    expect(r.action.value.prefixRewrite).toBe("/v2/");
    expect(r.action.value.hostRewriteSpecifier).toEqual({ case: "hostRewriteLiteral", value: "backend" });
  });

  it("matches a path, a regex and exact headers", () => {
    expect(route({ path: "/x", cluster: "c" }).match?.pathSpecifier).toEqual({ case: "path", value: "/x" });
    expect(route({ safeRegex: "^/v[0-9]+", cluster: "c" }).match?.pathSpecifier).toMatchObject({ case: "safeRegex", value: { regex: "^/v[0-9]+" } });
    const m = route({ headers: { "x-env": "canary" }, cluster: "c" }).match;
    expect(m?.headers[0]).toMatchObject({ name: "x-env", headerMatchSpecifier: { case: "stringMatch", value: { matchPattern: { case: "exact", value: "canary" } } } });
  });

  it("splits by weight and answers directly", () => {
    const split = route({ name: "split", weightedClusters: [{ name: "a", weight: 90 }, { name: "b", weight: 10 }] });
    expect(split.name).toBe("split");
    if (split.action.case !== "route" || split.action.value.clusterSpecifier.case !== "weightedClusters") throw new Error("expected weighted clusters");
    expect(split.action.value.clusterSpecifier.value.clusters.map((c) => [c.name, c.weight])).toEqual([["a", 90], ["b", 10]]);
    const direct = route({ path: "/ping", directResponse: { status: 204 } });
    expect(direct.action).toMatchObject({ case: "directResponse", value: { status: 204 } });
    expect(direct.action.case === "directResponse" ? direct.action.value.body : "missing").toBeUndefined();
    const withBody = route({ directResponse: { status: 200, body: "pong" } });
    expect(withBody.action).toMatchObject({ case: "directResponse", value: { body: { specifier: { case: "inlineString", value: "pong" } } } });
  });

  it("needs exactly one action and one path match", () => {
    expect(() => route({ prefix: "/" })).toThrow(expect.objectContaining({ code: "missing-field", field: "cluster" }));
    expect(() => route({ cluster: "a", weightedClusters: [{ name: "b", weight: 1 }] })).toThrow(expect.objectContaining({ code: "conflicting-fields", field: "weightedClusters" }));
    expect(() => route({ prefix: "/", path: "/x", cluster: "a" })).toThrow(expect.objectContaining({ code: "conflicting-fields", field: "path" }));
    expect(() => route({ directResponse: { status: 200 }, timeoutMs: 5 })).toThrow(expect.objectContaining({ code: "conflicting-fields", field: "timeoutMs" }));
    expect(() => route({ cluster: "" })).toThrow(expect.objectContaining({ code: "invalid-name", field: "cluster" }));
  });

  it("rejects bad weights, statuses and timeouts", () => {
    expect(() => route({ weightedClusters: [] })).toThrow(expect.objectContaining({ code: "missing-field" }));
    expect(() => route({ weightedClusters: [{ name: "a", weight: 0 }, { name: "b", weight: 0 }] })).toThrow(/weights sum to 0/);
    expect(() => route({ weightedClusters: [{ name: "a", weight: -1 }] })).toThrow(expect.objectContaining({ field: "weightedClusters[0].weight" }));
    expect(() => route({ directResponse: { status: 600 } })).toThrow(expect.objectContaining({ code: "invalid-value", field: "directResponse.status" }));
    expect(() => route({ name: "r", cluster: "a", timeoutMs: -5 })).toThrow(/^Route "r" timeoutMs: /);
    expect(() => route({ safeRegex: "", cluster: "a" })).toThrow(BuilderError);
  });
});

describe("virtualHost and routeConfiguration", () => {
  it("serve every domain by default and keep routes in order", () => {
    const vh = virtualHost({ name: "all", routes: [route({ path: "/a", cluster: "a" }), route({ cluster: "b" })] });
    expect(vh.domains).toEqual(["*"]);
    expect(vh.routes.map((r) => r.match?.pathSpecifier.value)).toEqual(["/a", "/"]);
    const rc = routeConfiguration({ name: "rc", virtualHosts: [vh], validateClusters: true });
    expect(rc).toMatchObject({ name: "rc", validateClusters: true });
    expect(rc.virtualHosts).toHaveLength(1);
    expect(routeConfiguration({ name: "rc", virtualHosts: [] }).validateClusters).toBeUndefined();
  });

  it("reject duplicate domains within and across virtual hosts, case-insensitively", () => {
    expect(() => virtualHost({ name: "v", domains: ["a.com", "A.com"], routes: [] })).toThrow(expect.objectContaining({ code: "duplicate", field: "domains[1]" }));
    expect(() => virtualHost({ name: "v", domains: [], routes: [] })).toThrow(expect.objectContaining({ code: "missing-field", field: "domains" }));
    expect(() => virtualHost({ name: "v", domains: [""], routes: [] })).toThrow(expect.objectContaining({ code: "invalid-value", field: "domains[0]" }));
    const a = virtualHost({ name: "a", routes: [] });
    const b = virtualHost({ name: "b", routes: [] });
    expect(() => routeConfiguration({ name: "rc", virtualHosts: [a, b] })).toThrow(
      expect.objectContaining({ code: "duplicate", resourceType: "RouteConfiguration", resourceName: "rc", field: "virtualHosts[1].domains[0]" }),
    );
    expect(() => routeConfiguration({ name: "", virtualHosts: [] })).toThrow(expect.objectContaining({ code: "invalid-name" }));
  });
});

describe("scopedRouteConfiguration", () => {
  it("names a route configuration or carries one inline, under a key", () => {
    const byName = scopedRouteConfiguration({ name: "tenant-a", routeConfigurationName: "routes-a", key: ["a", "prod"] });
    expect(byName).toMatchObject({ name: "tenant-a", routeConfigurationName: "routes-a", onDemand: false });
    expect(byName.routeConfiguration).toBeUndefined();
    expect(byName.key?.fragments.map((f) => f.type)).toEqual([{ case: "stringKey", value: "a" }, { case: "stringKey", value: "prod" }]);
    const inline = scopedRouteConfiguration({ name: "b", routeConfiguration: routeConfiguration({ name: "rb", virtualHosts: [] }), key: ["b"], onDemand: true });
    expect(inline.routeConfiguration?.name).toBe("rb");
    expect(inline.onDemand).toBe(true);
  });

  it("needs one route configuration and a key", () => {
    expect(() => scopedRouteConfiguration({ name: "s", key: ["a"] })).toThrow(expect.objectContaining({ code: "missing-field", field: "routeConfigurationName" }));
    expect(() => scopedRouteConfiguration({ name: "s", routeConfigurationName: "r", routeConfiguration: routeConfiguration({ name: "r", virtualHosts: [] }), key: ["a"] })).toThrow(
      expect.objectContaining({ code: "conflicting-fields" }),
    );
    expect(() => scopedRouteConfiguration({ name: "s", routeConfigurationName: "r", key: [] })).toThrow(expect.objectContaining({ code: "missing-field", field: "key" }));
  });
});
