// A real Envoy per test file, its work directory (bootstrap + log) under tools/integration/.envoy-logs/<name>:
// removed when the file passed, kept (and named in the output) when anything failed.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startEnvoy, type EnvoyProcess } from "@xdskit/envoy-tool";
import { afterAll, beforeEach } from "vitest";

export const LOG_ROOT = fileURLToPath(new URL("../../.envoy-logs/", import.meta.url));

// XDSKIT_ENVOY_LOG_LEVEL=debug for more detail, XDSKIT_KEEP_ENVOY_LOGS=1 to keep the logs of passing files too.
const LOG_LEVELS = ["trace", "debug", "info", "warn", "error"] as const;
const LOG_LEVEL = LOG_LEVELS.find((l) => l === process.env["XDSKIT_ENVOY_LOG_LEVEL"]) ?? "info";
const KEEP_LOGS = process.env["XDSKIT_KEEP_ENVOY_LOGS"] === "1";

export interface EnvoyKeeper {
  /** Starts Envoy in `.envoy-logs/<name>` (emptied first). */
  start(bootstrap: Record<string, unknown>): Promise<EnvoyProcess>;
  /** The running Envoy; throws before `start`. */
  readonly envoy: EnvoyProcess;
  /** Marks setup as done: from now on only a failed test keeps the logs. */
  ready(): void;
}

/**
 * Registers hooks that keep Envoy's log when a test of this file fails (or
 * setup never finished) and stop Envoy after the file; call at the top of a describe.
 */
export function envoyForSuite(name: string): EnvoyKeeper {
  const workDir = join(LOG_ROOT, name);
  let envoy: EnvoyProcess | undefined;
  let setupDone = false;
  let failed = false;
  beforeEach(({ onTestFailed }) => {
    onTestFailed(() => {
      failed = true;
      const log = existsSync(join(workDir, "envoy.log")) ? readFileSync(join(workDir, "envoy.log"), "utf8") : "";
      console.error(`[${name}] test failed; Envoy log kept at ${join(workDir, "envoy.log")}; its last lines:\n${log.split("\n").slice(-40).join("\n")}`);
    });
  });
  afterAll(async () => {
    await envoy?.stop();
    if (setupDone && !failed && !KEEP_LOGS) rmSync(workDir, { recursive: true, force: true });
    else if (existsSync(workDir)) console.error(`[${name}] Envoy work directory (bootstrap, log) kept at ${workDir}`);
  });
  return {
    async start(bootstrap) {
      rmSync(workDir, { recursive: true, force: true });
      envoy = await startEnvoy({ name, bootstrap, workDir, logLevel: LOG_LEVEL });
      return envoy;
    },
    get envoy() {
      if (envoy === undefined) throw new Error(`${name}: Envoy not started`);
      return envoy;
    },
    ready() {
      setupDone = true;
    },
  };
}
