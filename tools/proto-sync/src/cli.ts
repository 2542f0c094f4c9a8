import { defineCommand, runCommand } from "citty";
import { check } from "./check.js";
import { SyncError } from "./errors.js";
import { regenerate, sync, type SourceKind } from "./sync.js";

const sources: readonly SourceKind[] = ["gomod", "maven", "git"];

const syncCommand = defineCommand({
  meta: { name: "sync", description: "fetch the upstream Envoy proto set, regenerate @xdskit/envoy-api, rewrite UPSTREAM" },
  args: {
    source: { type: "string", default: "gomod", description: "gomod (go-control-plane envoy module), maven (java-control-plane api jar) or git (envoyproxy/envoy)" },
    version: { type: "string", default: "latest", description: "module version, jar version or git ref" },
    "allow-removals": { type: "boolean", default: false, description: "accept an upstream that drops files the committed API has" },
  },
  async run({ args }) {
    if (!sources.includes(args.source as SourceKind)) throw new SyncError("source", `--source must be one of ${sources.join(", ")}`);
    await sync({ source: args.source as SourceKind, version: args.version, allowRemovals: args["allow-removals"], log: (l) => console.log(l) });
  },
});

const generateCommand = defineCommand({
  meta: { name: "generate", description: "regenerate @xdskit/envoy-api from the committed upstream image (offline)" },
  run() {
    regenerate((l) => console.log(l));
  },
});

const checkCommand = defineCommand({
  meta: { name: "check", description: "verify the committed generated code matches UPSTREAM (offline)" },
  run() {
    check((l) => console.log(l));
  },
});

try {
  await runCommand(defineCommand({ meta: { name: "proto-sync" }, subCommands: { sync: syncCommand, generate: generateCommand, check: checkCommand } }), {
    rawArgs: process.argv.slice(2),
  });
} catch (e) {
  // A SyncError's message already names the file or artifact; a stack adds nothing.
  console.error(e instanceof SyncError ? `proto-sync: ${e.message}` : e);
  process.exit(1);
}
