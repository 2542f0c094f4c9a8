import { describe, expect, it } from "vitest";
import { envoyBump } from "./envoy-api-changeset.js";

describe("envoyBump", () => {
  it("a regeneration at the same Envoy minor is a patch", () => {
    expect(envoyBump("1.40.0", "1.40.0")).toEqual({ bump: "patch", next: "1.40.1" });
    expect(envoyBump("1.40.3", "1.40.2")).toEqual({ bump: "patch", next: "1.40.4" });
  });
  it("the next Envoy minor lands on MINOR.0", () => {
    expect(envoyBump("1.40.3", "1.41.0")).toEqual({ bump: "minor", setVersion: "1.40.0", next: "1.41.0" });
  });
  it("skipped Envoy minors still land on the Envoy minor", () => {
    expect(envoyBump("1.40.1", "1.43.2")).toEqual({ bump: "minor", setVersion: "1.42.0", next: "1.43.0" });
  });
  it("an Envoy major lands on MAJOR.0.0", () => {
    expect(envoyBump("1.44.2", "2.0.0")).toEqual({ bump: "major", setVersion: "1.0.0", next: "2.0.0" });
  });
  it("refuses to go back to an older Envoy", () => {
    expect(() => envoyBump("1.40.0", "1.39.5")).toThrow(/older/);
  });
});
