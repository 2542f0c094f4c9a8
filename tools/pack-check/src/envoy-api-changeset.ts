// Records a regenerated @xdskit/envoy-api as a changeset that keeps its
// version on the Envoy track: MAJOR.MINOR is the Envoy release it was
// generated from, PATCH counts our releases at that Envoy minor. Used by the
// proto-sync workflow after `pnpm proto:sync`; does nothing when the
// generated package did not change.
//
//   tsx src/envoy-api-changeset.ts
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export interface EnvoyBump {
  bump: "major" | "minor" | "patch";
  /** Set the package to this version before `changeset version` applies `bump`, so the result is `<envoy MAJOR.MINOR>.0`. */
  setVersion?: string;
  /** The version `changeset version` will produce. */
  next: string;
}

/** How to move a package at `current` onto the Envoy `envoy` track. */
export function envoyBump(current: string, envoy: string): EnvoyBump {
  const [cMajor, cMinor, cPatch] = current.split(".").map(Number);
  const [eMajor, eMinor] = envoy.split(".").map(Number);
  if ([cMajor, cMinor, cPatch, eMajor, eMinor].some((n) => n === undefined || !Number.isInteger(n))) {
    throw new Error(`not a MAJOR.MINOR.PATCH version: ${current} / ${envoy}`);
  }
  const [cm, cn, cp, em, en] = [cMajor, cMinor, cPatch, eMajor, eMinor] as number[];
  if (cm === em && cn === en) return { bump: "patch", next: `${cm}.${cn}.${(cp as number) + 1}` };
  if ((em as number) < (cm as number) || (em === cm && (en as number) < (cn as number))) {
    throw new Error(`Envoy ${envoy} is older than @xdskit/envoy-api ${current}: refusing to go back`);
  }
  // Changesets bumps by one step; a predecessor version (never published) makes that step land on E.M.0.
  const next = `${em}.${en}.0`;
  if ((en as number) > 0) return { bump: "minor", setVersion: `${em}.${(en as number) - 1}.0`, next };
  return { bump: "major", setVersion: `${(em as number) - 1}.0.0`, next };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
  const dir = join(root, "packages/envoy-api");
  const diff = spawnSync("git", ["status", "--porcelain", "--", "packages/envoy-api"], { cwd: root, encoding: "utf8" });
  if (diff.stdout.trim() === "") {
    console.log("@xdskit/envoy-api unchanged: no changeset");
    process.exit(0);
  }
  const manifestPath = join(dir, "package.json");
  const manifestText = readFileSync(manifestPath, "utf8");
  const manifest = JSON.parse(manifestText) as { version: string };
  const upstream = JSON.parse(readFileSync(join(dir, "UPSTREAM"), "utf8")) as { envoy: { version: string; commit?: string } };
  const envoy = upstream.envoy.version;
  const b = envoyBump(manifest.version, envoy);
  if (b.setVersion) {
    writeFileSync(manifestPath, manifestText.replace(`"version": "${manifest.version}"`, `"version": "${b.setVersion}"`));
  }
  const file = join(root, ".changeset", `envoy-api-sync-${envoy.replace(/\./g, "-")}.md`);
  const commit = upstream.envoy.commit ? ` (commit ${upstream.envoy.commit.slice(0, 12)})` : "";
  writeFileSync(file, `---\n"@xdskit/envoy-api": ${b.bump}\n---\n\nRegenerated from Envoy ${envoy}${commit}.\n`);
  console.log(`@xdskit/envoy-api ${manifest.version} -> ${b.next} (${b.bump}); wrote ${file}`);
}
