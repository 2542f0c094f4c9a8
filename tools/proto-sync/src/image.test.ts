import { create } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { SyncError } from "./errors.js";
import { assertComplete, protoDigests } from "./image.js";

const core = [
  "envoy/config/listener/v3/listener.proto",
  "envoy/config/cluster/v3/cluster.proto",
  "envoy/config/endpoint/v3/endpoint.proto",
  "envoy/config/route/v3/route.proto",
  "envoy/service/discovery/v3/ads.proto",
  "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto",
  "xds/core/v3/resource_locator.proto",
  "udpa/annotations/status.proto",
  "validate/validate.proto",
];
const set = (names: string[]) => create(FileDescriptorSetSchema, { file: names.map((name) => ({ name, package: "p" })) });

describe("assertComplete", () => {
  it("accepts an image with the core files and nothing lost", () => {
    const s = set([...core, "envoy/config/core/v3/cel.proto"]);
    expect(() => assertComplete(s, protoDigests(s), false)).not.toThrow();
  });

  it("rejects an image without the core files, naming them", () => {
    expect(() => assertComplete(set(core.slice(1)), undefined, false)).toThrow(/envoy\/config\/listener\/v3\/listener\.proto/);
  });

  it("rejects a stale source that drops committed files, unless removals are allowed", () => {
    const previous = protoDigests(set([...core, "envoy/config/core/v3/cel.proto"]));
    const stale = set(core);
    let err: unknown;
    try {
      assertComplete(stale, previous, false);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SyncError);
    expect((err as SyncError).code).toBe("incomplete");
    expect((err as SyncError).message).toMatch(/lacks 1 files[\s\S]*envoy\/config\/core\/v3\/cel\.proto/);
    expect(() => assertComplete(stale, previous, true)).not.toThrow();
  });

  it("digests each file independently of order", () => {
    const a = protoDigests(set(["b.proto", "a.proto"]));
    const b = protoDigests(set(["a.proto", "b.proto"]));
    expect(a).toEqual(b);
    expect(Object.keys(a)).toEqual(["a.proto", "b.proto"]);
  });
});
