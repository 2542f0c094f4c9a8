// The builders load `yaml` (about 70 modules) only when a bootstrap is rendered as YAML: a
// control plane that imports them to build resources does not pay for it at start-up.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const pkgDir = fileURLToPath(new URL("..", import.meta.url));

const script = `
  import { createRequire } from "node:module";
  import { bootstrap, bootstrapToYaml, configSource } from "@xdskit/resource-builders";
  const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((path) => path.includes("/yaml/dist/"));
  configSource("ads");
  const before = loaded();
  const text = bootstrapToYaml(bootstrap({ nodeId: "n", cluster: "edge", xds: { host: "127.0.0.1", port: 18000 } }));
  console.log(JSON.stringify({ before, after: loaded(), yaml: text.includes("static_resources:") }));
`;

it("loads yaml on the first YAML rendering, not on import", () => {
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd: pkgDir, encoding: "utf8", timeout: 60_000 });
  expect(r.stderr).toBe("");
  expect(JSON.parse(r.stdout)).toEqual({ before: false, after: true, yaml: true });
});
