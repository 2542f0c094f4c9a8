import cluster from "node:cluster";
import { type ChangeFollower, type Logger, silentLogger } from "@xdskit/cache-core";
import { WorkerGroupError } from "./worker-group-error.js";
import { isWorkersMessage, type ToPrimary, type ToWorker, WORKERS_CHANNEL } from "./worker-messages.js";

/**
 * How a worker builds the follower of each feed from its state: feed name →
 * a factory such as `followLinearCache` or
 * `(state) => followSnapshotCache(state, { ads: true })`.
 */
export type FollowerFactories = Readonly<Record<string, (state: never) => ChangeFollower<never>>>;

/** Options of {@link followPrimary}. */
export interface FollowPrimaryOptions {
  /** How long to wait for the primary's state, in ms. Default: 30,000. */
  readonly timeoutMs?: number | undefined;
  /** Where a change this worker cannot apply is logged (error) before it exits. Default: silent (the primary logs the exit). */
  readonly logger?: Logger | undefined;
}

/** What {@link followPrimary} resolves with: the worker's followers and where to listen. */
export interface FollowedPrimary<F extends FollowerFactories> {
  /** Feed name → the follower built from it, kept equal to the primary's cache. */
  readonly caches: { readonly [K in keyof F]: ReturnType<F[K]> };
  /** The port to listen on (`listenWorkers`' `port`; 0 is one port shared by every worker). */
  readonly port: number;
  /** The address to listen on. */
  readonly host: string;
  /**
   * Registers what to do when the primary closes the group (typically the
   * worker's `listener.close()`); once every handler settled, the worker
   * disconnects from the primary and exits when nothing else holds it.
   */
  onClose(handler: () => Promise<void> | void): void;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * The worker side of {@link listenWorkers}: asks the primary for the state
 * of its feeds, builds a follower of each with `followers`, and from then on
 * applies every change the primary forwards, in order. Serve the followers
 * with this worker's own `createXdsServer` (a `MuxCache` over them when there
 * are several) and `listen({ port, host })`.
 *
 * A change a follower cannot apply (one lost or applied twice) means this
 * worker no longer serves what the primary holds: it is logged (`logger`)
 * and the worker exits, so that the primary replaces it with one that
 * starts from the current state.
 *
 * @throws {WorkerGroupError} `not-worker` outside a worker forked by
 *   `listenWorkers`; `feed-mismatch` when the primary has no feed of one of
 *   these names; `start-failed` when no state came within `timeoutMs`.
 */
export async function followPrimary<F extends FollowerFactories>(followers: F, options: FollowPrimaryOptions = {}): Promise<FollowedPrimary<F>> {
  const worker = cluster.worker;
  if (!cluster.isWorker || worker === undefined || process.send === undefined) {
    throw new WorkerGroupError("not-worker", "followPrimary was called in a process that listenWorkers did not fork");
  }
  const names = Object.keys(followers);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const closeHandlers: (() => Promise<void> | void)[] = [];
  const logger = options.logger ?? silentLogger;

  // One listener from the first message on: node emits the IPC messages of one read on
  // successive ticks, so changes right behind the state would be missed by a listener added once
  // the state is awaited. Changes that come before the followers exist wait in `pending`.
  let built: Record<string, ChangeFollower<unknown>> | undefined;
  const pending: ToWorker[] = [];
  let started: ((message: Extract<ToWorker, { kind: "start" }>) => void) | undefined;
  const handle = (m: ToWorker): void => {
    if (m.kind === "change") {
      try {
        built?.[m.name]?.applyChange(m.change);
      } catch (error) {
        logger.error("worker cannot follow its feed: exiting to be replaced", { pid: process.pid, feed: m.name, error });
        process.exit(1);
      }
    } else if (m.kind === "close") {
      void Promise.allSettled(closeHandlers.map(async (handler) => handler())).then(() => worker.disconnect());
    }
  };
  process.on("message", (message: unknown) => {
    if (!isWorkersMessage(message)) return;
    const m = message as ToWorker;
    if (m.kind === "start") started?.(m);
    // A close before the followers exist has no handlers to wait for: disconnect now.
    else if (built === undefined && m.kind !== "close") pending.push(m);
    else handle(m);
  });

  const start = await new Promise<Extract<ToWorker, { kind: "start" }>>((resolve, reject) => {
    const timer = setTimeout(() => {
      started = undefined;
      reject(new WorkerGroupError("start-failed", `no state from the primary within ${timeoutMs} ms`, { field: "timeoutMs" }));
    }, timeoutMs);
    started = (message) => {
      clearTimeout(timer);
      started = undefined;
      resolve(message);
    };
    process.send?.({ channel: WORKERS_CHANNEL, kind: "follow", names } satisfies ToPrimary);
  });

  const followersBuilt: Record<string, ChangeFollower<unknown>> = {};
  for (const name of names) {
    const state = start.states[name];
    if (state === undefined) throw new WorkerGroupError("feed-mismatch", `the primary forwards no feed named "${name}"`);
    followersBuilt[name] = (followers[name] as (state: unknown) => ChangeFollower<unknown>)(state);
  }
  built = followersBuilt;
  for (const m of pending.splice(0)) handle(m);

  return {
    caches: followersBuilt as { readonly [K in keyof F]: ReturnType<F[K]> },
    port: start.port,
    host: start.host,
    onClose: (handler) => {
      closeHandlers.push(handler);
    },
  };
}
