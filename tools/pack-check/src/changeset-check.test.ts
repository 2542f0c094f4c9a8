import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { changesetPackages, checkChangesets } from "./changeset-check.js";

let repo: string;
const env = {
  ...process.env,
  GIT_AUTHOR_NAME: "t",
  GIT_AUTHOR_EMAIL: "t@example.com",
  GIT_COMMITTER_NAME: "t",
  GIT_COMMITTER_EMAIL: "t@example.com",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_CONFIG_NOSYSTEM: "1",
};
const git = (...args: string[]) => execFileSync("git", args, { cwd: repo, env, encoding: "utf8" }).trim();
const write = (path: string, text: string) => {
  mkdirSync(dirname(join(repo, path)), { recursive: true });
  writeFileSync(join(repo, path), text);
};
const commit = (msg: string) => {
  git("add", "-A");
  git("commit", "-q", "-m", msg);
};

beforeEach(() => {
  repo = mkdtempSync(join(tmpdir(), "changeset-check-"));
  git("init", "-q", "-b", "main");
  write("packages/lib/package.json", JSON.stringify({ name: "@xdskit/lib", version: "0.1.0" }));
  write("packages/lib/src/index.ts", "export const a = 1;\n");
  write("packages/internal/package.json", JSON.stringify({ name: "@xdskit/internal", private: true }));
  write(".changeset/config.json", "{}");
});
afterEach(() => rmSync(repo, { recursive: true, force: true }));

describe("checkChangesets", () => {
  it("skips a fresh single-commit clone: there is no base", () => {
    commit("initial");
    const r = checkChangesets(repo, "origin/main");
    expect(r.status).toBe("skip");
    expect(r.message).toMatch(/no base/);
  });

  it("fails when a publishable package changed without a changeset, naming it", () => {
    commit("initial");
    git("branch", "base");
    write("packages/lib/src/index.ts", "export const a = 2;\n");
    commit("change lib");
    const r = checkChangesets(repo, "base");
    expect(r.status).toBe("fail");
    expect(r.changedPackages).toEqual(["@xdskit/lib"]);
    expect(r.message).toMatch(/@xdskit\/lib changed .* no changeset/);
  });

  it("passes once a changeset is added, and reads the packages it names", () => {
    commit("initial");
    git("branch", "base");
    write("packages/lib/src/index.ts", "export const a = 2;\n");
    write(".changeset/brave-cats-run.md", '---\n"@xdskit/lib": minor\n---\n\nA is two.\n');
    commit("change lib with changeset");
    const r = checkChangesets(repo, "base");
    expect(r.status).toBe("ok");
    expect(r.changesets).toEqual([".changeset/brave-cats-run.md"]);
    expect(r.namedPackages).toEqual(["@xdskit/lib"]);
  });

  it("accepts an empty changeset as an explicit no-release", () => {
    commit("initial");
    git("branch", "base");
    write("packages/lib/src/index.ts", "export const a = 3;\n");
    write(".changeset/quiet-owls-sleep.md", "---\n---\n");
    commit("refactor");
    expect(checkChangesets(repo, "base").status).toBe("ok");
  });

  it("ignores private packages and files outside packages/", () => {
    commit("initial");
    git("branch", "base");
    write("packages/internal/src/x.ts", "export {};\n");
    write("README.md", "# docs\n");
    commit("internal only");
    const r = checkChangesets(repo, "base");
    expect(r.status).toBe("ok");
    expect(r.changedPackages).toEqual([]);
  });

  it("compares with the merge-base, so changes on the base branch do not count", () => {
    commit("initial");
    git("checkout", "-q", "-b", "feature");
    write("README.md", "# feature\n");
    commit("feature docs");
    git("checkout", "-q", "main");
    write("packages/lib/src/index.ts", "export const a = 4;\n");
    write(".changeset/x.md", '---\n"@xdskit/lib": patch\n---\n\nx\n');
    commit("main moves on");
    git("checkout", "-q", "feature");
    expect(checkChangesets(repo, "main").status).toBe("ok");
  });

  it("falls back to HEAD~1 when the base ref does not exist", () => {
    commit("initial");
    write("packages/lib/src/index.ts", "export const a = 5;\n");
    commit("change");
    const r = checkChangesets(repo, "origin/nope");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/HEAD~1/);
  });
});

describe("changesetPackages", () => {
  it("reads quoted and bare names with their bump", () => {
    expect(changesetPackages("---\n'@xdskit/a': patch\n\"@xdskit/b\": major\nc: minor\n---\n\ntext: patch\n")).toEqual([
      "@xdskit/a",
      "@xdskit/b",
      "c",
    ]);
  });
});
