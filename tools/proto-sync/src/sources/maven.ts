import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { unzipSync } from "fflate";
import { download, verifyDigest } from "../download.js";
import { SyncError } from "../errors.js";
import { sha256 } from "../hash.js";
import { workDir } from "../paths.js";
import { run } from "../run.js";
import type { FetchedImage } from "./gomod.js";

const repo = "https://repo.maven.apache.org/maven2/io/envoyproxy/controlplane/api";

/**
 * Builds the image from java-control-plane's `api` jar, which carries the
 * .proto sources (with comments). Checked against Maven Central's .sha1.
 * The jar lags Envoy releases: the completeness check rejects a jar that
 * lacks files the committed API already has.
 */
export async function fetchFromMaven(version: string, out: string): Promise<FetchedImage> {
  let v = version;
  if (v === "latest") {
    const meta = new TextDecoder().decode(await download(`${repo}/maven-metadata.xml`));
    const m = /<release>([^<]+)<\/release>/.exec(meta) ?? /<latest>([^<]+)<\/latest>/.exec(meta);
    if (!m?.[1]) throw new SyncError("source", "maven-metadata.xml names no release");
    v = m[1];
  }
  const url = `${repo}/${v}/api-${v}.jar`;
  const jar = await download(url);
  const sha1 = verifyDigest(url, jar, "sha1", new TextDecoder().decode(await download(`${url}.sha1`)).split(/\s/)[0] ?? "");

  const root = join(workDir, `maven-${v}`);
  rmSync(root, { recursive: true, force: true });
  const files = unzipSync(jar, { filter: (f) => f.name.endsWith(".proto") });
  for (const [name, data] of Object.entries(files)) {
    const p = join(root, name);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, data);
  }
  if (Object.keys(files).length === 0) throw new SyncError("source", `${url} carries no .proto files`);
  run("buf", ["build", root, "--as-file-descriptor-set", "-o", out]);
  return {
    envoy: { version: `unknown (java-control-plane ${v})`, commit: "" },
    source: { kind: "maven", artifact: `io.envoyproxy.controlplane:api:${v}`, url, sha1, sha256: sha256(jar) },
  };
}
