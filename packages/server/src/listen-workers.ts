import cluster, { type Worker } from "node:cluster";
import { availableParallelism } from "node:os";
import { type ChangeFeed, type Logger, silentLogger } from "@xdskit/cache-core";
import { changeSize } from "./change-size.js";
import { WorkerGroupError } from "./worker-group-error.js";
import { isWorkersMessage, type ToPrimary, type ToWorker, WORKERS_CHANNEL } from "./worker-messages.js";

/** Options of {@link listenWorkers}. */
export interface ListenWorkersOptions {
  /**
   * The caches the workers follow, by name: each worker's `followPrimary`
   * names the same ones and builds a follower of each (for example
   * `followLinearCache`, `followSnapshotCache`). Required.
   */
  readonly feeds: Readonly<Record<string, ChangeFeed<unknown, unknown>>>;
  /** How many worker processes. Default: `os.availableParallelism()`. */
  readonly workers?: number | undefined;
  /** The module each worker runs (it calls `followPrimary`). Default: the primary's own, `process.argv[1]`, as `node:cluster` does. */
  readonly exec?: string | undefined;
  /** Arguments of the worker module. Default: the primary's own (`process.argv.slice(2)`). */
  readonly args?: readonly string[] | undefined;
  /** Node options of the workers. Default: the primary's own (`process.execArgv`). */
  readonly execArgv?: readonly string[] | undefined;
  /** Environment of the workers. Default: the primary's (`process.env`). */
  readonly env?: NodeJS.ProcessEnv | undefined;
  /**
   * The port the workers listen on, handed to them by `followPrimary`; with
   * 0 the system chooses one port, which every worker shares (`node:cluster`
   * keys the shared socket by the port asked for; should every worker exit
   * at once, replacements get a new one). Default: 0.
   */
  readonly port?: number | undefined;
  /** The address the workers listen on, handed to them by `followPrimary`. Default: `127.0.0.1`. */
  readonly host?: string | undefined;
  /** Fork a replacement when a worker exits without being asked to. Default: true. */
  readonly restart?: boolean | undefined;
  /** How long the group may take to start (every worker listening), in ms. Default: 30,000. */
  readonly startTimeoutMs?: number | undefined;
  /** How long `close()` waits for a worker to exit before killing it, in ms. Default: 10,000. */
  readonly closeTimeoutMs?: number | undefined;
  /**
   * How many bytes of changes forwarded to one worker may wait in this
   * process, written to the worker's IPC channel but not yet taken by it
   * (a change's size is that of its data, about what it takes serialized).
   * A worker that does not read them (stuck, or slower than the changes
   * come) would otherwise grow this process's memory without limit: past
   * this bound it is replaced (`lagging` event, logged as a `worker-lagging`
   * {@link WorkerGroupError}): it is stopped (SIGTERM, then SIGKILL after
   * `closeTimeoutMs`: it cannot be asked, as it does not read) and a new worker
   * starts from the current state, whatever `restart` says. Changes made in one
   * go (one job) all wait until it ends, so keep this above the largest such
   * burst. The state a starting worker is sent is not counted. `Infinity`
   * turns the bound off. Default: 128 MiB.
   */
  readonly maxPendingBytes?: number | undefined;
  /** Called when a worker starts listening, falls behind, and exits (for logs, metrics, tests). Default: none. */
  readonly onWorkerEvent?: ((event: WorkerEvent) => void) | undefined;
  /** Where worker exits and replacements are logged. Default: silent. */
  readonly logger?: Logger | undefined;
}

/** A worker that started listening, fell behind (and is being replaced), or exited. */
export type WorkerEvent =
  | { readonly kind: "listening"; readonly pid: number; readonly port: number }
  | {
      readonly kind: "lagging";
      readonly pid: number;
      /** Bytes of changes waiting for it when it was found behind. */
      readonly pendingBytes: number;
      /** The bound it passed (`maxPendingBytes`). */
      readonly maxPendingBytes: number;
      /** What was logged. */
      readonly error: WorkerGroupError;
    }
  | { readonly kind: "exit"; readonly pid: number; readonly code: number | null; readonly signal: string | null; readonly replaced: boolean };

/** A running group of worker processes (see {@link listenWorkers}). */
export interface WorkerGroup {
  /** The port every worker listens on. */
  readonly port: number;
  /** The address every worker listens on. */
  readonly host: string;
  /** The process ids of the workers now running. */
  pids(): number[];
  /** Workers replaced after an exit they were not asked for, so far (not counting `lagging` ones). */
  restarts(): number;
  /** The bytes of changes waiting for the worker furthest behind, now (see `maxPendingBytes`). */
  pendingBytes(): number;
  /**
   * Stops forwarding changes, asks every worker to close (its `followPrimary`
   * `onClose` handlers run, then it disconnects), and kills a worker still
   * running after `closeTimeoutMs`. Resolves once every worker has exited.
   */
  close(): Promise<void>;
}

const DEFAULT_START_TIMEOUT_MS = 30_000;
const DEFAULT_CLOSE_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_PENDING_BYTES = 128 * 1024 * 1024;
// A worker that exits this many times in a row before listening is not replaced again.
const MAX_FAILED_STARTS = 3;

interface Member {
  readonly worker: Worker;
  following: boolean;
  listening: boolean;
  /** Bytes of changes sent to it whose write has not completed. */
  pendingBytes: number;
  /** Found behind: stopped, and replaced when it exits. */
  lagging: boolean;
}

/**
 * Serves with several processes: forks `node:cluster` workers that share
 * one listening port (the primary accepts connections and hands them out
 * round-robin) and keeps a follower of every cache of `feeds` in each worker
 * equal to its leader here, by forwarding each change in order over IPC
 * (marshalled bytes, never re-marshalled: hashes and versions are the same in
 * every worker, so a client that reconnects to another worker is not re-sent
 * what it holds). A worker that starts later (or replaces one that died)
 * first gets the current state, then the changes. Updates stay where they
 * were: call `updateResource` / `setSnapshot` on the leading caches here.
 *
 * Each worker runs `exec`, which calls `followPrimary` and serves its
 * followers with its own `createXdsServer(...).listen({ port, host })`.
 * Client status and CSDS are per worker. A worker that does not read the
 * changes sent to it is replaced before they outgrow `maxPendingBytes`.
 *
 * Resolves once every worker listens.
 *
 * @throws {WorkerGroupError} `not-primary` in a cluster worker;
 *   `invalid-options` for a worker count that is not a positive integer, a
 *   `maxPendingBytes` that is not a positive number, or no feeds; `start-failed` when a worker exits or the group is not listening
 *   within `startTimeoutMs` (everything started is stopped first).
 */
export async function listenWorkers(options: ListenWorkersOptions): Promise<WorkerGroup> {
  if (!cluster.isPrimary) throw new WorkerGroupError("not-primary", "listenWorkers was called in a cluster worker: call it in the primary process");
  const count = options.workers ?? availableParallelism();
  if (!Number.isInteger(count) || count < 1) {
    throw new WorkerGroupError("invalid-options", `workers must be a positive integer, not ${count}`, { field: "workers" });
  }
  const maxPendingBytes = options.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES;
  if (!(maxPendingBytes > 0)) {
    throw new WorkerGroupError("invalid-options", `maxPendingBytes must be a positive number of bytes, not ${maxPendingBytes}`, { field: "maxPendingBytes" });
  }
  const feedNames = Object.keys(options.feeds);
  if (feedNames.length === 0) throw new WorkerGroupError("invalid-options", "listenWorkers needs at least one feed to forward", { field: "feeds" });
  const group = new Group(options, count, maxPendingBytes);
  try {
    await group.start();
  } catch (error) {
    await group.close();
    throw error;
  }
  return group;
}

class Group implements WorkerGroup {
  port = 0;
  readonly host: string;
  readonly #options: ListenWorkersOptions;
  readonly #count: number;
  readonly #maxPendingBytes: number;
  readonly #logger: Logger;
  readonly #members = new Map<Worker, Member>();
  readonly #unsubscribe: (() => void)[] = [];
  #restarts = 0;
  #failedStarts = 0;
  #closing: Promise<void> | undefined;
  #startFailed: ((error: Error) => void) | undefined;
  #listened: (() => void) | undefined;

  constructor(options: ListenWorkersOptions, count: number, maxPendingBytes: number) {
    this.#options = options;
    this.#count = count;
    this.#maxPendingBytes = maxPendingBytes;
    this.host = options.host ?? "127.0.0.1";
    this.#logger = options.logger ?? silentLogger;
  }

  pids(): number[] {
    const pids: number[] = [];
    for (const { worker } of this.#members.values()) if (worker.process.pid !== undefined) pids.push(worker.process.pid);
    return pids;
  }

  restarts(): number {
    return this.#restarts;
  }

  pendingBytes(): number {
    let most = 0;
    for (const member of this.#members.values()) if (member.pendingBytes > most) most = member.pendingBytes;
    return most;
  }

  async start(): Promise<void> {
    for (const [name, feed] of Object.entries(this.#options.feeds)) {
      this.#unsubscribe.push(feed.onChange((change) => this.#forward(name, change)));
    }
    const timeoutMs = this.#options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        this.#startFailed = reject;
        this.#listened = resolve;
        timer = setTimeout(
          () => reject(new WorkerGroupError("start-failed", `the workers were not all listening after ${timeoutMs} ms`, { field: "startTimeoutMs" })),
          timeoutMs,
        );
        for (let i = 0; i < this.#count; i++) this.#fork();
      });
    } finally {
      clearTimeout(timer);
      this.#startFailed = undefined;
      this.#listened = undefined;
    }
  }

  #fork(): void {
    const o = this.#options;
    cluster.setupPrimary({
      serialization: "advanced",
      ...(o.exec === undefined ? {} : { exec: o.exec }),
      ...(o.args === undefined ? {} : { args: [...o.args] }),
      ...(o.execArgv === undefined ? {} : { execArgv: [...o.execArgv] }),
    });
    const worker = cluster.fork(o.env);
    const member: Member = { worker, following: false, listening: false, pendingBytes: 0, lagging: false };
    this.#members.set(worker, member);
    worker.on("message", (message: unknown) => {
      if (isWorkersMessage(message)) this.#received(member, message as ToPrimary);
    });
    worker.on("listening", (address) => this.#onListening(member, address.port));
    worker.on("exit", (code, signal) => this.#onExit(member, code, signal));
    // An IPC write to a worker that just died: its exit is handled above.
    worker.on("error", (error) => this.#logger.warn("worker IPC error", { pid: worker.process.pid, error }));
  }

  #received(member: Member, message: ToPrimary): void {
    if (message.kind !== "follow") return;
    const feeds = this.#options.feeds;
    const names = Object.keys(feeds);
    const asked = [...message.names].sort();
    if (asked.join("\0") !== [...names].sort().join("\0")) {
      this.#logger.error("a worker follows other feeds than the primary forwards", { pid: member.worker.process.pid, asked, forwarded: names });
    }
    const worker = member.worker;
    if (!worker.isConnected() || member.lagging) return;
    const states: Record<string, unknown> = {};
    for (const name of asked) states[name] = feeds[name]?.feedState();
    // Taken now, sent before any later change: the worker applies the changes on top of it.
    worker.send({ channel: WORKERS_CHANNEL, kind: "start", states, port: this.#options.port ?? 0, host: this.host } satisfies ToWorker);
    member.following = true;
  }

  #forward(name: string, change: unknown): void {
    const message: ToWorker = { channel: WORKERS_CHANNEL, kind: "change", name, change };
    let size = -1;
    for (const member of this.#members.values()) {
      if (!member.following || !member.worker.isConnected()) continue;
      // What waits for each worker that has not read it: measured once, only when there is a worker.
      if (size < 0) size = changeSize(change);
      member.pendingBytes += size;
      member.worker.send(message, (error) => {
        member.pendingBytes -= size;
        // A write to a worker that just died: its exit is handled by #onExit.
        if (error !== null) this.#logger.debug("worker IPC write failed", { pid: member.worker.process.pid, error });
      });
      if (member.pendingBytes > this.#maxPendingBytes) this.#replaceLagging(member);
    }
  }

  // It does not read its channel, so it cannot be asked to close: cut the channel (which frees
  // what waits for it), stop the process, and fork a replacement once it has exited (#onExit).
  #replaceLagging(member: Member): void {
    const { worker } = member;
    const pid = worker.process.pid ?? 0;
    const { pendingBytes } = member;
    const maxPendingBytes = this.#maxPendingBytes;
    member.lagging = true;
    member.following = false;
    const error = new WorkerGroupError(
      "worker-lagging",
      `worker ${pid} did not read the changes forwarded to it: ${pendingBytes} bytes waited, more than maxPendingBytes (${maxPendingBytes}); replacing it`,
      { field: "maxPendingBytes", pid },
    );
    this.#logger.warn("worker fell behind: replacing it", { pid, pendingBytes, maxPendingBytes, error });
    this.#options.onWorkerEvent?.({ kind: "lagging", pid, pendingBytes, maxPendingBytes, error });
    if (worker.isConnected()) worker.process.disconnect();
    worker.process.kill("SIGTERM");
    const timeoutMs = this.#options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
    const timer = setTimeout(() => {
      this.#logger.warn("lagging worker did not exit in time: killing it", { pid, timeoutMs });
      worker.process.kill("SIGKILL");
    }, timeoutMs);
    worker.once("exit", () => clearTimeout(timer));
  }

  #onListening(member: Member, port: number): void {
    member.listening = true;
    this.#failedStarts = 0;
    this.port = port;
    const pid = member.worker.process.pid ?? 0;
    this.#options.onWorkerEvent?.({ kind: "listening", pid, port });
    if (this.#listened !== undefined && [...this.#members.values()].filter((m) => m.listening).length >= this.#count) this.#listened();
  }

  #onExit(member: Member, code: number | null, signal: string | null): void {
    this.#members.delete(member.worker);
    const pid = member.worker.process.pid ?? 0;
    const closing = this.#closing !== undefined;
    if (member.lagging && !closing) {
      this.#options.onWorkerEvent?.({ kind: "exit", pid, code, signal, replaced: true });
      this.#logger.warn("lagging worker exited: replacing it", { pid, code, signal });
      this.#fork();
      return;
    }
    const asked = closing || member.worker.exitedAfterDisconnect;
    if (!member.listening) this.#failedStarts++;
    const replace = !asked && (this.#options.restart ?? true) && this.#failedStarts < MAX_FAILED_STARTS && this.#startFailed === undefined;
    this.#options.onWorkerEvent?.({ kind: "exit", pid, code, signal, replaced: replace });
    if (asked) return;
    if (this.#startFailed !== undefined) {
      this.#startFailed(new WorkerGroupError("start-failed", `worker ${pid} exited (code ${code}, signal ${signal}) before the group was listening`));
      return;
    }
    this.#logger.warn("worker exited", { pid, code, signal, replaced: replace });
    if (!replace) {
      if (this.#failedStarts >= MAX_FAILED_STARTS) this.#logger.error("workers keep exiting before they listen: not replacing them", { failedStarts: this.#failedStarts });
      return;
    }
    this.#restarts++;
    this.#fork();
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    const timeoutMs = this.#options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
    await Promise.all(
      [...this.#members.values()].map(async (member) => {
        const { worker } = member;
        if (worker.isDead()) return;
        const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
        if (worker.isConnected()) worker.send({ channel: WORKERS_CHANNEL, kind: "close" } satisfies ToWorker);
        else worker.process.kill("SIGTERM");
        const timer = setTimeout(() => {
          this.#logger.warn("worker did not exit in time: killing it", { pid: worker.process.pid, timeoutMs });
          worker.process.kill("SIGKILL");
        }, timeoutMs);
        await exited;
        clearTimeout(timer);
      }),
    );
    this.#members.clear();
  }
}
