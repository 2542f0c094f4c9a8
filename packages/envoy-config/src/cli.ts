#!/usr/bin/env node
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { formatProblem } from "./config-problem.js";
import { convertStaticConfig } from "./convert-static-config.js";
import { lazyEnvoyRegistry } from "@xdskit/envoy-api/lazy-registry";

const usage = `usage: xdskit-envoy-convert <envoy.yaml|envoy.json> --out <dir> [--json] [--xds <host:port>]

Turns a static Envoy config (a bootstrap with static_resources) into a resource directory for a
control plane (the example control plane's --config): listeners.yaml, clusters.yaml, secrets.yaml.
  --out, -o <dir>     where to write the files (created if missing)
  --json              write .json files instead of .yaml
  --xds <host:port>   also write bootstrap.yaml: your bootstrap over ADS from that control plane
Problems are printed with file, field path and line (exit status 1); notes go to stderr.
`;

function main(argv: string[]): number {
  let parsed: ReturnType<typeof parse>;
  const parse = (a: string[]) =>
    parseArgs({
      args: a,
      allowPositionals: true,
      options: { out: { type: "string", short: "o" }, json: { type: "boolean" }, xds: { type: "string" }, help: { type: "boolean", short: "h" } },
    });
  try {
    parsed = parse(argv);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${usage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    process.stdout.write(usage);
    return 0;
  }
  const input = positionals[0];
  if (input === undefined || positionals.length > 1 || values.out === undefined) {
    process.stderr.write(usage);
    return 2;
  }
  let xds: { host: string; port: number } | undefined;
  if (values.xds !== undefined) {
    const m = /^(.+):(\d+)$/.exec(values.xds);
    if (m === null) {
      process.stderr.write(`--xds wants host:port, got "${values.xds}"\n`);
      return 2;
    }
    xds = { host: (m[1] as string).replace(/^\[(.*)\]$/, "$1"), port: Number(m[2]) };
  }
  let text: string;
  try {
    text = readFileSync(input, "utf8");
  } catch (e) {
    process.stderr.write(`cannot read ${input}: ${(e as Error).message}\n`);
    return 1;
  }
  const r = convertStaticConfig(text, { registry: lazyEnvoyRegistry(), file: input, outputFormat: values.json === true ? "json" : "yaml", xds });
  for (const n of r.notices) process.stderr.write(`note: ${formatProblem(n)}\n`);
  if (r.problems.length > 0) {
    for (const p of r.problems) process.stderr.write(`${formatProblem(p)}\n`);
    return 1;
  }
  mkdirSync(values.out, { recursive: true });
  for (const [name, body] of r.files) {
    writeFileSync(join(values.out, name), body);
    process.stdout.write(`wrote ${join(values.out, name)}\n`);
  }
  return 0;
}

process.exitCode = main(process.argv.slice(2));
