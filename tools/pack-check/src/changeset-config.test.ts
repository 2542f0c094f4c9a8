// The repository's own release configuration: every publishable package is in
// the one linked group except envoy-api, whose version follows Envoy's.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { publishablePackages } from "./workspace-packages.js";

const root = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
const config = JSON.parse(readFileSync(join(root, ".changeset/config.json"), "utf8")) as {
  linked: string[][];
  fixed: string[][];
  privatePackages?: { version?: boolean };
};

describe(".changeset/config.json", () => {
  it("links every publishable package but envoy-api (add a new package to the group)", () => {
    const expected = publishablePackages(root)
      .map((p) => p.name)
      .filter((n) => n !== "@xdskit/envoy-api")
      .sort();
    expect(config.linked.length).toBe(1);
    expect([...(config.linked[0] ?? [])].sort()).toEqual(expected);
    expect(config.fixed.flat()).not.toContain("@xdskit/envoy-api");
  });
  it("never versions private workspace packages", () => {
    expect(config.privatePackages?.version).toBe(false);
  });
  it("keeps envoy-api's MAJOR.MINOR at the Envoy version in UPSTREAM", () => {
    const api = publishablePackages(root).find((p) => p.name === "@xdskit/envoy-api");
    expect(api).toBeDefined();
    const upstream = JSON.parse(readFileSync(join(api?.dir ?? "", "UPSTREAM"), "utf8")) as { envoy: { version: string } };
    const [major, minor] = upstream.envoy.version.split(".");
    expect(api?.manifest.version?.split(".").slice(0, 2)).toEqual([major, minor]);
  });
});
