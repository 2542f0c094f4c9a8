import { describe, expect, it } from "vitest";
import { CacheError } from "./cache-error.js";
import { createSubscription, isSubscribed } from "./subscription.js";
import { prepareRawResource } from "./cached-resource.js";
import {
  formatXdstpName,
  isXdstpGlob,
  isXdstpName,
  normalizeResourceName,
  parseXdstpName,
  xdstpCollectionOf,
} from "./xdstp-name.js";

const T = "envoy.config.cluster.v3.Cluster";

describe("xdstp names", () => {
  it("sorts context parameters by key, so any order is one name", () => {
    const canonical = `xdstp://auth/${T}/a/b?k1=v1&k2=v2&zone=z`;
    expect(normalizeResourceName(`xdstp://auth/${T}/a/b?zone=z&k2=v2&k1=v1`)).toBe(canonical);
    expect(normalizeResourceName(canonical)).toBe(canonical);
  });

  it("decodes escapes and re-encodes only what must be escaped, in upper-case hex", () => {
    // %61 is "a" (never needs escaping), %2f is "/" (not escaped in an id), %3a is ":" (escaped in an id).
    expect(normalizeResourceName(`xdstp://au%74h/${T}/%61/x%2fy%3a?k=%3d&%26=v`)).toBe(`xdstp://auth/${T}/a/x/y%3A?%26=v&k=%3D`);
    // Characters that must be escaped are escaped when given bare; UTF-8 bytes and "~" are escaped as Envoy does.
    expect(normalizeResourceName(`xdstp://auth/${T}/[é]~`)).toBe(`xdstp://auth/${T}/%5B%C3%A9%5D%7E`);
    // "+" is not a space in xdstp names.
    expect(normalizeResourceName(`xdstp://auth/${T}/a+b?k=a+b`)).toBe(`xdstp://auth/${T}/a+b?k=a+b`);
  });

  it("keeps the first of repeated keys and drops empty parameters", () => {
    expect(normalizeResourceName(`xdstp://a/${T}/x?b=1&&a=2&b=3&`)).toBe(`xdstp://a/${T}/x?a=2&b=1`);
  });

  it("rebuilds names that look canonical but are not, and leaves canonical ones as they are", () => {
    const cases: Record<string, string> = {
      [`xdstp://a/${T}/x:y`]: `xdstp://a/${T}/x%3Ay`,
      [`xdstp://a:1/${T}/x`]: `xdstp://a:1/${T}/x`,
      [`xdstp://a/${T}/x?k=a=b`]: `xdstp://a/${T}/x?k=a%3Db`,
      [`xdstp://a/${T}/x?a=1&a=2`]: `xdstp://a/${T}/x?a=1`,
      [`xdstp://a/${T}/`]: `xdstp://a/${T}`,
      [`xdstp://a/${T}/x?`]: `xdstp://a/${T}/x`,
      [`xdstp://a/${T}/x?k`]: `xdstp://a/${T}/x?k=`,
      [`xdstp://a/${T}/x?a.b=1&a=2`]: `xdstp://a/${T}/x?a=2&a.b=1`,
      [`xdstp://a/${T}/x?a=2&a.b=1`]: `xdstp://a/${T}/x?a=2&a.b=1`,
      [`xdstp://a/${T}`]: `xdstp://a/${T}`,
    };
    for (const [given, canonical] of Object.entries(cases)) {
      expect(normalizeResourceName(given), given).toBe(canonical);
      expect(normalizeResourceName(canonical), canonical).toBe(canonical);
    }
  });

  it("leaves plain and malformed names as they are", () => {
    for (const name of ["cluster-a", "xdstp://no-type", "xdstp://a/T/x#entry=y", "xdstp:opaque", "*"]) expect(normalizeResourceName(name)).toBe(name);
    expect(isXdstpName("xdstp://a/T/x")).toBe(true);
    expect(isXdstpName("a/xdstp://")).toBe(false);
  });

  it("parses into decoded parts and formats back to the canonical name", () => {
    const parsed = parseXdstpName(`xdstp:///${T}/team%20a/x?z=1&a=%C3%A9`);
    expect(parsed).toEqual({ authority: "", resourceType: T, id: "team a/x", contextParams: new Map([["a", "é"], ["z", "1"]]) });
    expect([...parsed.contextParams.keys()]).toEqual(["a", "z"]);
    expect(formatXdstpName(parsed)).toBe(normalizeResourceName(`xdstp:///${T}/team%20a/x?z=1&a=%C3%A9`));
    expect(formatXdstpName({ authority: "a/b", resourceType: T, id: "k?", contextParams: { "x=": "&" } })).toBe(`xdstp://a%2Fb/${T}/k%3F?x%3D=%26`);
  });

  it("rejects malformed names with a typed error naming the name and the fault", () => {
    const fault = (name: string) => {
      try {
        parseXdstpName(name);
      } catch (error) {
        expect(error).toBeInstanceOf(CacheError);
        expect((error as CacheError).code).toBe("resource-name");
        expect((error as CacheError).resourceName).toBe(name);
        return (error as Error).message;
      }
      throw new Error(`${name} parsed`);
    };
    expect(fault("cluster-a")).toMatch(/"cluster-a" does not start with "xdstp:\/\/"/);
    expect(fault("xdstp://auth")).toMatch(/has no resource type/);
    expect(fault("xdstp://auth//id")).toMatch(/has no resource type/);
    expect(fault("xdstp://auth/T/x#alt=y")).toMatch(/fragment/);
  });

  it("names the glob collection a resource belongs to: one segment deeper, same context parameters", () => {
    expect(xdstpCollectionOf(`xdstp://a/${T}/team/x?k=v`)).toBe(`xdstp://a/${T}/team/*?k=v`);
    expect(xdstpCollectionOf(`xdstp://a/${T}/x`)).toBe(`xdstp://a/${T}/*`);
    expect(xdstpCollectionOf(`xdstp://a/${T}/a/b/c`)).toBe(`xdstp://a/${T}/a/b/*`);
    expect(xdstpCollectionOf(`xdstp://a/${T}`)).toBe(`xdstp://a/${T}/*`);
    expect(xdstpCollectionOf(`xdstp://a/${T}/team/*`)).toBeUndefined();
    expect(xdstpCollectionOf("plain/x")).toBeUndefined();
    expect(isXdstpGlob(`xdstp://a/${T}/team/*?k=v`)).toBe(true);
    expect(isXdstpGlob(`xdstp://a/${T}/*`)).toBe(true);
    expect(isXdstpGlob(`xdstp://a/${T}/team/x*`)).toBe(false);
    expect(isXdstpGlob("ns/*")).toBe(false);
  });

  it("caches see one spelling: resources and subscriptions are stored canonical", () => {
    const resource = prepareRawResource({ typeUrl: `type.googleapis.com/${T}`, name: `xdstp://a/${T}/x?b=2&a=1`, bytes: new Uint8Array() });
    expect(resource.name).toBe(`xdstp://a/${T}/x?a=1&b=2`);
    const subscription = createSubscription({ resourceNames: [`xdstp://a/${T}/x?b=2&a=%31`], returnedResources: { [`xdstp://a/${T}/x?b=2&a=1`]: "h" } });
    expect([...subscription.resourceNames()]).toEqual([resource.name]);
    expect(subscription.returnedResources().get(resource.name)).toBe("h");
    const revision = subscription.namesRevision();
    subscription.setResourceNames([`xdstp://a/${T}/x?a=1&b=2`]);
    expect(subscription.namesRevision()).toBe(revision);
    subscription.updateResourceNames([`xdstp://a/${T}/team/*?k=v`], [`xdstp://a/${T}/x?b=2&a=1`]);
    expect([...subscription.resourceNames()]).toEqual([`xdstp://a/${T}/team/*?k=v`]);
    // Members of a subscribed collection are subscribed; other contexts and deeper paths are not.
    expect(isSubscribed(subscription, `xdstp://a/${T}/team/m?k=v`)).toBe(true);
    expect(isSubscribed(subscription, `xdstp://a/${T}/team/m?k=w`)).toBe(false);
    expect(isSubscribed(subscription, `xdstp://a/${T}/team/d/m?k=v`)).toBe(false);
    expect(isSubscribed(subscription, `xdstp://a/${T}/x?a=1&b=2`)).toBe(false);
  });
});
