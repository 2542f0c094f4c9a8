import { describe, expect, it } from "vitest";
import { extractExamples } from "./extract.js";

describe("extractExamples", () => {
  it("takes only marked ts blocks", () => {
    const md = ["# x", "```ts", "skip();", "```", "<!-- readme-example -->", "```ts", "run(1);", "run(2);", "```", "text"].join("\n");
    expect(extractExamples(md)).toEqual(["run(1);\nrun(2);\n"]);
  });
  it("rejects a marker without a ts fence", () => {
    expect(() => extractExamples("<!-- readme-example -->\n```js\nx\n```")).toThrow(/must be followed/);
  });
  it("rejects an unterminated fence", () => {
    expect(() => extractExamples("<!-- readme-example -->\n```ts\nx")).toThrow(/unterminated/);
  });
});
