import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { APP_NODE_FLAGS } from "./node-flags.js";

const read = (path: string): string => readFileSync(new URL(path, import.meta.url), "utf8");

describe("APP_NODE_FLAGS", () => {
  it("are the flags of every way the app is started", () => {
    const flags = APP_NODE_FLAGS.join(" ");
    expect(read("./main.ts").split("\n")[0]).toBe(`#!/usr/bin/env -S node ${flags}`);
    expect(read("../../../scripts/start.sh")).toContain(`exec "$node_bin" ${flags} apps/example-control-plane/dist/main.js --envoy "$@"`);
    expect((JSON.parse(read("../package.json")) as { scripts: Record<string, string> }).scripts["start"]).toBe(`node ${flags} dist/main.js`);
  });
});
