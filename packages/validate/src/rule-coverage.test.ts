// Every validate.rules field set anywhere in the registry is implemented: compiling every message
// type of @xdskit/envoy-api (Envoy v3, cncf/xds, udpa, …) leaves nothing unsupported.
import type { DescMessage } from "@bufbuild/protobuf";
import { envoyFiles, envoyRegistry } from "@xdskit/envoy-api/registry";
import { describe, expect, it } from "vitest";
import { PlanCompiler } from "./plan-compiler.js";

function allMessages(): DescMessage[] {
  const out: DescMessage[] = [];
  const add = (m: DescMessage): void => {
    out.push(m);
    for (const n of m.nestedMessages) add(n);
  };
  for (const file of envoyFiles) for (const m of file.messages) add(m);
  return out;
}

describe("rule coverage", () => {
  it("implements every rule used by any descriptor of the registry", () => {
    const compiler = new PlanCompiler();
    const messages = allMessages();
    for (const m of messages) compiler.planFor(m);
    expect(messages.length).toBeGreaterThan(2000);
    expect(compiler.unsupported).toEqual([]);
    expect(envoyRegistry.getMessage("envoy.config.cluster.v3.Cluster")).toBeDefined();
  });
});
