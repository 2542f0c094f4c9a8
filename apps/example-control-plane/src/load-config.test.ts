import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL, ROUTE_TYPE_URL } from "@xdskit/cache-core";
import { envoyRegistry } from "@xdskit/envoy-api";
import type { Cluster } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { configSource } from "@xdskit/resource-builders";
import { builtinResourceChecks, createValidator } from "@xdskit/validate";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, type ConfigProblem } from "./config-error.js";
import { createConfigLoader, loadConfig } from "./load-config.js";

let dir = "";
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function configDir(files: Record<string, string>): string {
  dir = mkdtempSync(join(tmpdir(), "cp-config-"));
  for (const [p, body] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), body);
  }
  return dir;
}

const cluster = (name: string, timeout = "1s") => `
- "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster
  name: ${name}
  connect_timeout: ${timeout}
  type: EDS
  eds_cluster_config: { eds_config: { ads: {}, resource_api_version: V3 } }
`;
const endpoints = (name: string) => `
- "@type": type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment
  cluster_name: ${name}
  endpoints:
    - lb_endpoints:
        - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 8080 } } }
`;
const listener = (field = "stat_prefix") => `
resources:
  - "@type": type.googleapis.com/envoy.config.listener.v3.Listener
    name: http
    address: { socket_address: { address: 0.0.0.0, port_value: 10000 } }
    filter_chains:
      - filters:
          - name: envoy.filters.network.http_connection_manager
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
              ${field}: ingress
              rds: { route_config_name: local, config_source: { ads: {}, resource_api_version: V3 } }
              http_filters:
                - name: envoy.filters.http.router
                  typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
`;
const route = `{"@type": "type.googleapis.com/envoy.config.route.v3.RouteConfiguration", "name": "local",
  "virtual_hosts": [{"name": "all", "domains": ["*"], "routes": [{"match": {"prefix": "/"}, "route": {"cluster": "web"}}]}]}`;

const problemLine = (p: ConfigProblem): string => `${p.file} @ ${p.fieldPath}: ${p.reason}`;

function problemsOf(files: Record<string, string>): string[] {
  try {
    loadConfig(configDir(files), envoyRegistry);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems.map(problemLine);
  }
  throw new Error("config loaded without problems");
}

/** The problems of a load by `loader`, one line each; none when it loads. */
function reloadProblems(loader: ReturnType<typeof createConfigLoader>): string[] {
  try {
    loader.load();
  } catch (e) {
    return (e as ConfigError).problems.map(problemLine);
  }
  return [];
}

describe("loadConfig", () => {
  it("loads a consistent directory into the default group, by type and name", () => {
    const groups = loadConfig(
      configDir({ "clusters.yaml": cluster("web"), "endpoints.yml": endpoints("web"), "listeners.yaml": listener(), "routes.json": route }),
      envoyRegistry,
    );
    const g = groups.get("default");
    expect([...(g?.keys() ?? [])].sort()).toEqual([CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL, ROUTE_TYPE_URL].sort());
    expect(g?.get(ENDPOINT_TYPE_URL)?.get("web")?.origin).toEqual({ file: "endpoints.yml", path: "[0]" });
    expect(g?.get(LISTENER_TYPE_URL)?.get("http")?.resource.bytes.length).toBeGreaterThan(50);
  });

  it("gives each subdirectory group the defaults plus its own overrides", () => {
    const groups = loadConfig(
      configDir({ "c.yaml": cluster("web") + endpoints("web"), "canary/c.yaml": cluster("web", "5s") }),
      envoyRegistry,
    );
    const base = groups.get("default")?.get(CLUSTER_TYPE_URL)?.get("web");
    const canary = groups.get("canary")?.get(CLUSTER_TYPE_URL)?.get("web");
    expect(canary?.origin.file).toBe(join("canary", "c.yaml"));
    expect(canary?.resource.hash).not.toBe(base?.resource.hash);
    expect(groups.get("canary")?.get(ENDPOINT_TYPE_URL)?.has("web")).toBe(true);
  });

  it("names file, field path and reason for an unknown field deep inside a typed_config", () => {
    expect(problemsOf({ "l.yaml": listener("stat_prefx"), "r.json": route, "c.yaml": cluster("web") + endpoints("web") })).toEqual([
      'l.yaml @ resources[0].filter_chains[0].filters[0].typed_config.stat_prefx: unknown field "stat_prefx" in envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager (did you mean "stat_prefix"?)',
    ]);
  });

  it("names the field for a value of the wrong kind", () => {
    const [p] = problemsOf({ "c.yaml": cluster("web", "soon") });
    expect(p).toMatch(/^c\.yaml @ \[0\]\.connect_timeout: /);
  });

  it("reports a file that does not parse", () => {
    const [p] = problemsOf({ "bad.yaml": "resources: [ {" });
    expect(p).toMatch(/^bad\.yaml @ : not valid YAML: /);
  });

  it("reports an unknown resource type and a resource without @type", () => {
    expect(problemsOf({ "x.yaml": '- "@type": type.googleapis.com/envoy.config.nope.v3.Nope\n  name: a\n- name: b\n' })).toEqual([
      'x.yaml @ [0]["@type"]: unknown resource type "type.googleapis.com/envoy.config.nope.v3.Nope": the registry given to the reader does not hold it',
      'x.yaml @ [1]: a resource needs "@type" (like "type.googleapis.com/envoy.config.cluster.v3.Cluster")',
    ]);
  });

  it("reports every broken reference, naming the referring resource", () => {
    const problems = problemsOf({ "l.yaml": listener(), "c.yaml": cluster("web") });
    expect(problems).toContain('l.yaml @ resources[0]: http refers to RouteConfiguration "local", which group "default" does not define');
    expect(problems).toContain('c.yaml @ [0]: web refers to ClusterLoadAssignment "web", which group "default" does not define');
  });

  it("reports duplicate names within a group, naming both places", () => {
    const problems = problemsOf({ "a.yaml": cluster("web") + endpoints("web"), "b.yaml": cluster("web") });
    expect(problems).toEqual(['b.yaml @ [0]: duplicate Cluster "web" (also in a.yaml at [0])']);
  });

  it("accepts what Envoy's loader accepts: lower-case enums, one value for a list, bare wrappers", () => {
    const loose = `
- "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster
  name: web
  type: strict_dns
  lb_policy: least_request
  connect_timeout: 0.5s
  circuit_breakers: {thresholds: {priority: high, max_requests: 10}}
  load_assignment:
    cluster_name: web
    endpoints: {lb_endpoints: {endpoint: {address: {socket_address: {address: web.local, port_value: 80}}}}}
`;
    const web = loadConfig(configDir({ "c.yaml": loose }), envoyRegistry).get("default")?.get(CLUSTER_TYPE_URL)?.get("web");
    expect(web?.resource.bytes.length).toBeGreaterThan(40);
  });

  it("resolves self config sources, also when a JSON file writes the key with an escape; files without one are left alone", () => {
    const selfConfigSource = configSource("delta");
    const files = {
      "c.yaml": cluster("web").replace("eds_config: { ads: {}", "eds_config: { self: {}"),
      // "\u0073elf" is "self" to JSON.parse: no "self" in the text, but a self source all the same.
      "d.json": JSON.stringify([{ "@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster", name: "api", type: "EDS", connect_timeout: "1s", eds_cluster_config: { eds_config: { self: {} } } }]).replace('"self"', '"\\u0073elf"'),
      "e.yaml": endpoints("web") + endpoints("api"),
    };
    expect(files["d.json"]).not.toContain("self");
    const clusters = loadConfig(configDir(files), envoyRegistry, { selfConfigSource }).get("default")?.get(CLUSTER_TYPE_URL);
    for (const name of ["web", "api"]) {
      const c = clusters?.get(name)?.resource.message as Cluster | undefined;
      expect(c?.edsClusterConfig?.edsConfig?.configSourceSpecifier.case, name).toBe("apiConfigSource");
    }
  });

  it("names an unnamed listener after its address, stably, and says so", () => {
    const unnamed = listener().replace("    name: http\n", "");
    const notices: ConfigProblem[] = [];
    const files = { "l.yaml": unnamed, "r.json": route, "c.yaml": cluster("web") + endpoints("web") };
    const groups = loadConfig(configDir(files), envoyRegistry, { onNotice: (n) => notices.push(n) });
    expect([...(groups.get("default")?.get(LISTENER_TYPE_URL)?.keys() ?? [])]).toEqual(["0.0.0.0_10000"]);
    expect(notices).toEqual([{ file: "l.yaml", fieldPath: "resources[0]", line: 3, reason: 'a listener without a name: named "0.0.0.0_10000" after its address' }]);
  });

  it("reports every problem of a resource at once, with its line", () => {
    const bad = cluster("web", "soon").replace("type: EDS", "type: EDZ").replace("connect_timeout", "lb_policy: nope\n  connect_timeout");
    expect(problemsOf({ "c.yaml": bad })).toEqual([
      expect.stringMatching(/^c\.yaml @ \[0\]\.lb_policy: /),
      expect.stringMatching(/^c\.yaml @ \[0\]\.connect_timeout: /),
      expect.stringMatching(/^c\.yaml @ \[0\]\.type: /),
    ]);
  });

  it("re-reads only the files that changed, and in a changed list only the changed items", () => {
    const d = configDir({ "c.yaml": cluster("web") + cluster("api"), "e.yaml": endpoints("web") + endpoints("api") });
    const loader = createConfigLoader(d, envoyRegistry);
    const at = (g: ReturnType<typeof loader.load>, type: string, name: string) => g.get("default")?.get(type)?.get(name)?.resource;
    const first = loader.load();
    writeFileSync(join(d, "c.yaml"), cluster("web") + cluster("api", "7s"));
    const second = loader.load();
    expect(at(second, ENDPOINT_TYPE_URL, "web")).toBe(at(first, ENDPOINT_TYPE_URL, "web"));
    expect(at(second, CLUSTER_TYPE_URL, "web")).toBe(at(first, CLUSTER_TYPE_URL, "web"));
    expect(at(second, CLUSTER_TYPE_URL, "api")).not.toBe(at(first, CLUSTER_TYPE_URL, "api"));
    expect(at(second, CLUSTER_TYPE_URL, "api")?.hash).not.toBe(at(first, CLUSTER_TYPE_URL, "api")?.hash);
    appendFileSync(join(d, "e.yaml"), "- bad\n");
    expect(() => loader.load()).toThrow(/e\.yaml:\d+ at \[2\]: expected a resource/);
    rmSync(join(d, "e.yaml"));
    expect(() => loader.load()).toThrow(/ClusterLoadAssignment "web"/);
  });

  describe("with a validator", () => {
    const validate = createValidator();
    const good = () => ({ "clusters.yaml": cluster("web"), "endpoints.yml": endpoints("web"), "listeners.yaml": listener(), "routes.json": route });
    const load = (files: Record<string, string>, options: Parameters<typeof loadConfig>[2] = { validate }) => loadConfig(configDir(files), envoyRegistry, options);

    it("loads a valid directory", () => {
      expect(load(good()).get("default")?.get(CLUSTER_TYPE_URL)?.has("web")).toBe(true);
    });

    it("refuses what Envoy would reject, naming file, resource, field path and rule, every problem at once", () => {
      const files = { ...good(), "clusters.yaml": cluster("web", "0s"), "more.yaml": endpoints("db").replace("port_value: 8080", "port_value: 70000") };
      let problems: readonly ConfigProblem[] = [];
      try {
        load(files);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        problems = (e as ConfigError).problems;
      }
      expect(problems.map((p) => `${p.file} @ ${p.fieldPath}: ${p.reason}`).sort()).toEqual([
        'clusters.yaml @ [0].connect_timeout: Cluster "web" connect_timeout: must be greater than 0s (duration.gt)',
        'more.yaml @ [0].endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value: ClusterLoadAssignment "db" endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value: must be less than or equal to 65535 (uint32.lte)',
      ]);
    });

    it("reports broken references through the validator", () => {
      const files = { "l.yaml": listener(), "c.yaml": cluster("web"), "e.yaml": endpoints("web") };
      expect(() => load(files)).toThrow(/RouteConfiguration "local".*reference\.missing/s);
    });

    it("on a reload validates only the resources that changed, and refuses a bad edit every time until it is fixed", () => {
      // A resource check that counts the clusters it is given: what is validated again is checked again.
      const checked: string[] = [];
      const counting = { rule: "test.count", description: "counts", typeUrl: CLUSTER_TYPE_URL, check: (c: object) => void checked.push((c as Cluster).name) };
      const validator = createValidator({ resourceChecks: [...builtinResourceChecks, counting] });
      const d = configDir({ "c.yaml": cluster("web") + cluster("api"), "e.yaml": endpoints("web") + endpoints("api") });
      const loader = createConfigLoader(d, envoyRegistry, { validate: { validator, mode: "refuse" } });
      const problems = (): string[] => reloadProblems(loader);
      loader.load();
      expect(checked.sort()).toEqual(["api", "web"]);
      checked.length = 0;
      writeFileSync(join(d, "c.yaml"), cluster("web") + cluster("api", "7s"));
      loader.load();
      expect(checked).toEqual(["api"]);
      checked.length = 0;
      writeFileSync(join(d, "c.yaml"), cluster("web") + cluster("api", "0s"));
      const refused = ['c.yaml @ [1].connect_timeout: Cluster "api" connect_timeout: must be greater than 0s (duration.gt)'];
      expect(problems()).toEqual(refused);
      writeFileSync(join(d, "e.yaml"), endpoints("web") + endpoints("api") + endpoints("web").replace("cluster_name: web", "cluster_name: db"));
      expect(problems()).toEqual(refused);
      writeFileSync(join(d, "c.yaml"), cluster("web") + cluster("api", "3s"));
      expect(problems()).toEqual([]);
      // The bad edit: checked as it is read and again for the snapshot's report; then for the
      // snapshot only while its file is unchanged; the fix once, as it is read (valid, remembered).
      expect(checked).toEqual(["api", "api", "api", "api"]);
    });

    it("keeps resources as bytes once validated, and the checks across resources still see the unchanged ones", () => {
      const validator = createValidator();
      const d = configDir({ ...good(), "clusters.yaml": cluster("web") + cluster("api"), "endpoints.yml": endpoints("web") + endpoints("api") });
      const loader = createConfigLoader(d, envoyRegistry, { validate: { validator, mode: "refuse" } });
      const problems = (): string[] => reloadProblems(loader);
      const groups = loader.load();
      const all = [...(groups.get("default")?.values() ?? [])].flatMap((byName) => [...byName.values()]);
      expect(all).toHaveLength(6);
      expect(all.filter((l) => l.resource.message !== undefined)).toEqual([]);
      // A second listener, in a new file, on the address of the unchanged (bytes-only) one.
      const second = listener().replace("name: http", "name: other");
      writeFileSync(join(d, "more-listeners.yaml"), second);
      expect(problems()).toEqual([
        'more-listeners.yaml @ resources[0].address: Listener "other" address: listener "http" is already bound to TCP 0.0.0.0:10000 (listener.duplicate-address)',
      ]);
      rmSync(join(d, "more-listeners.yaml"));
      expect(problems()).toEqual([]);
      // The unchanged EDS cluster "api" gets host names from the edited endpoints file.
      writeFileSync(join(d, "endpoints.yml"), endpoints("web") + endpoints("api").replace("127.0.0.1", "api.internal"));
      expect(problems()).toEqual([
        'endpoints.yml @ [1].endpoints[0].lb_endpoints[0].endpoint.address.socket_address.address: ClusterLoadAssignment "api" endpoints[0].lb_endpoints[0].endpoint.address.socket_address.address: EDS endpoints must be IP addresses; "api.internal" is not (endpoint.eds-address)',
      ]);
      // The unchanged cluster "api" refers to an assignment the edited file no longer holds.
      writeFileSync(join(d, "endpoints.yml"), endpoints("web"));
      expect(problems()).toEqual(['clusters.yaml @ [1]: Cluster "api": refers to ClusterLoadAssignment "api", which the snapshot does not hold (reference.missing)']);
      writeFileSync(join(d, "endpoints.yml"), endpoints("web") + endpoints("api"));
      expect(problems()).toEqual([]);
    });

    it("in warn mode loads and hands every violation to onWarning", () => {
      const warnings: ConfigProblem[] = [];
      const groups = load({ ...good(), "clusters.yaml": cluster("web", "0s") }, { validate: { validator: validate, mode: "warn" }, onWarning: (p) => warnings.push(p) });
      expect(groups.get("default")?.get(CLUSTER_TYPE_URL)?.has("web")).toBe(true);
      expect(warnings.map((w) => w.fieldPath)).toEqual(["[0].connect_timeout"]);
    });
  });
});
