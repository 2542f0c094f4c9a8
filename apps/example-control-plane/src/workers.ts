import cluster, { type Worker } from "node:cluster";
import type { Logger as Pino } from "pino";

/** What a worker tells the primary once it serves. */
export interface WorkerListening {
  readonly kind: "xdskit-listening";
  readonly port: number;
  readonly upstreamPort: number | undefined;
}

const isListening = (m: unknown): m is WorkerListening => typeof m === "object" && m !== null && (m as { kind?: unknown }).kind === "xdskit-listening";

/** Tells the primary (when this process is a worker) that it serves on `port`. */
export function reportListening(port: number, upstreamPort: number | undefined): void {
  if (cluster.isWorker) process.send?.({ kind: "xdskit-listening", port, upstreamPort } satisfies WorkerListening);
}

export interface Workers {
  readonly port: number;
  readonly upstreamPort: number | undefined;
  /** Stops every worker (SIGTERM: each closes its streams and its source) and waits for them. */
  stop(): Promise<void>;
}

/**
 * Runs `count` workers of this same program and arguments with node:cluster.
 * They share the listening port (the primary accepts connections and hands
 * them round-robin to workers), and each builds its own cache from the same
 * source, so a machine's cores all serve xDS. A worker that dies is replaced
 * after a short pause. Resolves once every worker serves.
 */
export async function startWorkers(count: number, log: Pino): Promise<Workers> {
  let stopping = false;
  let first: WorkerListening | undefined;
  const fork = (index: number): Promise<WorkerListening> => {
    const worker: Worker = cluster.fork({ XDSKIT_WORKER: String(index) });
    return new Promise((resolve, reject) => {
      worker.on("message", (m: unknown) => {
        if (isListening(m)) resolve(m);
      });
      worker.once("exit", (code, signal) => {
        reject(new Error(`worker ${index} exited before serving (code ${code}, signal ${signal})`));
        if (stopping || first === undefined) return;
        log.error({ worker: index, pid: worker.process.pid, code, signal }, "worker died; starting another in 1 s");
        setTimeout(() => {
          if (!stopping) fork(index).catch((e: unknown) => log.error({ worker: index, err: e }, "replacement worker failed"));
        }, 1_000).unref();
      });
    });
  };
  const ready = await Promise.all(Array.from({ length: count }, (_, i) => fork(i + 1)));
  first = ready[0];
  if (first === undefined) throw new Error("no workers");
  if (ready.some((r) => r.port !== first?.port)) throw new Error(`workers listen on different ports: ${ready.map((r) => r.port).join(", ")}`);
  return {
    port: first.port,
    upstreamPort: first.upstreamPort,
    async stop() {
      stopping = true;
      const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
      await Promise.all(
        workers.map(
          (w) =>
            new Promise<void>((resolve) => {
              if (w.isDead()) return resolve();
              w.once("exit", () => resolve());
              w.process.kill("SIGTERM");
            }),
        ),
      );
    },
  };
}
