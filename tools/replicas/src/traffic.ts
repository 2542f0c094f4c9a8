import { get } from "@xdskit/envoy-tool";

/** Requests sent in a loop through one port until stopped: how many got a 200 and what failed. */
export interface TrafficLoop {
  readonly ok: () => number;
  readonly failures: () => readonly string[];
  /** Stops and resolves when the request in flight is done. */
  stop(): Promise<void>;
}

/** GETs `path` on `port`, one at a time, until stopped or `maxRequests` (bounded) were sent. */
export function startTraffic(port: number, path: string, maxRequests = 20_000): TrafficLoop {
  let ok = 0;
  const failures: string[] = [];
  let running = true;
  const loop = (async () => {
    for (let i = 0; running && i < maxRequests; i++) {
      try {
        const r = await get(port, path, { timeoutMs: 5_000 });
        if (r.status === 200) ok++;
        else failures.push(`${r.status} ${r.body.slice(0, 100)}`);
      } catch (error) {
        failures.push(String(error));
      }
    }
  })();
  return {
    ok: () => ok,
    failures: () => failures,
    async stop() {
      running = false;
      await loop;
    },
  };
}
