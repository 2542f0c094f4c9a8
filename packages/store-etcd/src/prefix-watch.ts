import type { Logger } from "@xdskit/cache-core";
import type { Etcd3, IWatchResponse } from "etcd3";
import { EtcdStoreError } from "./etcd-store-error.js";
import { prefixRangeEnd } from "./key-layout.js";
import { readPrefix, type StoredValue } from "./read-prefix.js";

/** One key changed in one revision; `value` is `undefined` for a delete. */
export interface KeyChange {
  readonly key: string;
  readonly value: Uint8Array | undefined;
  readonly modRevision: number;
}

/** Why the whole prefix was (re)loaded. */
export type LoadReason = "initial" | "compacted" | "watch-canceled";

export interface PrefixWatchHandlers {
  /** The whole prefix at `revision`: the first load, and every resync. */
  load(values: readonly StoredValue[], revision: number, reason: LoadReason): void;
  /** The changes of one or more whole revisions, in order; `revision` is the last of them. */
  apply(changes: readonly KeyChange[], revision: number): void;
}

export interface PrefixWatchOptions {
  readonly logger: Logger;
  /** First reconnect delay in ms; doubles up to `maxDelayMs`, with jitter. */
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly pageSize: number;
}

/** The state of a mirror's watch of its prefix. */
export type PrefixWatchState = "loading" | "watching" | "reconnecting" | "closed";

type StreamEnd =
  | { readonly kind: "error"; readonly error: unknown }
  | { readonly kind: "compacted"; readonly compactRevision: number }
  | { readonly kind: "canceled"; readonly reason: string }
  | { readonly kind: "closed" };

/**
 * Keeps handlers in step with a key prefix: loads it at one revision, then
 * watches from the next. When the watch stream breaks (a member died, the
 * network dropped) it reconnects, to any member, and resumes from the
 * revision after the last one applied, so nothing is missed and nothing is
 * reloaded. When etcd has compacted that revision away it reloads the whole
 * prefix once ("compacted") and watches on from there.
 *
 * It drives etcd's Watch stream itself rather than etcd3's Watcher, which
 * takes its resume point from response headers (the store's revision when the
 * response was sent, not the last event delivered) and so can skip events when
 * a disconnect interrupts a catch-up.
 */
export class PrefixWatch {
  readonly #client: Etcd3;
  readonly #prefix: Buffer;
  readonly #handlers: PrefixWatchHandlers;
  readonly #options: PrefixWatchOptions;
  #state: PrefixWatchState = "loading";
  #revision = 0;
  #loads = 0;
  #resumes = 0;
  #member: string | undefined;
  #closed = false;
  #cancelStream: (() => void) | undefined;
  #wake: (() => void) | undefined;
  #run: Promise<void> | undefined;
  #ready: Promise<void>;
  #resolveReady!: () => void;
  #rejectReady!: (error: Error) => void;

  constructor(client: Etcd3, prefix: string, handlers: PrefixWatchHandlers, options: PrefixWatchOptions) {
    this.#client = client;
    this.#prefix = Buffer.from(prefix);
    this.#handlers = handlers;
    this.#options = options;
    this.#ready = new Promise((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    // A caller that never awaits start() must not see an unhandled rejection on close().
    this.#ready.catch(() => {});
  }

  /** Starts (once) and resolves after the first load; retries while etcd is unreachable. */
  start(): Promise<void> {
    this.#run ??= this.#loop();
    return this.#ready;
  }

  /** The last revision applied (or known to hold no change under the prefix). */
  revision(): number {
    return this.#revision;
  }

  state(): PrefixWatchState {
    return this.#state;
  }

  /** Full loads so far (the first one included). */
  loads(): number {
    return this.#loads;
  }

  /** The ID (decimal) of the etcd member whose stream delivered the last response, if any. */
  member(): string | undefined {
    return this.#member;
  }

  /** Watch streams etcd accepted from the last revision after a stream broke (reconnect attempts that failed are not counted). */
  resumes(): number {
    return this.#resumes;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#state = "closed";
    this.#cancelStream?.();
    this.#wake?.();
    this.#rejectReady(new EtcdStoreError("closed", `the mirror of ${this.#prefix.toString()} was closed before its first load`));
    await this.#run;
  }

  async #loop(): Promise<void> {
    let failures = 0;
    let reload: LoadReason | undefined = "initial";
    // Set when a stream broke: the next stream etcd accepts is a resume.
    let broken = false;
    while (!this.#closed) {
      if (reload !== undefined) {
        this.#state = "loading";
        let contents: Awaited<ReturnType<typeof readPrefix>>;
        try {
          contents = await readPrefix(this.#client, this.#prefix.toString("utf8"), { pageSize: this.#options.pageSize });
        } catch (error) {
          this.#options.logger.warn("etcd: reading the prefix failed; retrying", { prefix: this.#prefix.toString(), error: String(error) });
          await this.#sleep(this.#delay(++failures));
          continue;
        }
        if (this.#closed) break;
        this.#revision = contents.revision;
        this.#loads++;
        try {
          this.#handlers.load(contents.values, contents.revision, reload);
        } catch (error) {
          this.#options.logger.error("etcd: applying the loaded prefix failed", { prefix: this.#prefix.toString(), revision: contents.revision, error: String(error) });
        }
        this.#state = "watching";
        this.#resolveReady();
        reload = undefined;
        broken = false;
      }
      const from = this.#revision + 1;
      const end = await this.#watch(from, () => {
        failures = 0;
        if (broken) this.#resumes++;
        broken = false;
      });
      if (this.#closed || end.kind === "closed") break;
      if (end.kind === "compacted") {
        this.#options.logger.warn("etcd: the revision to resume from was compacted away; reloading the whole prefix", {
          prefix: this.#prefix.toString(),
          resumeRevision: from,
          compactRevision: end.compactRevision,
        });
        reload = "compacted";
        continue;
      }
      if (end.kind === "canceled") {
        this.#options.logger.warn("etcd canceled the watch; reloading the whole prefix", { prefix: this.#prefix.toString(), reason: end.reason });
        reload = "watch-canceled";
        continue;
      }
      this.#state = "reconnecting";
      this.#options.logger.warn("etcd: watch stream broke; resuming from the last revision", {
        prefix: this.#prefix.toString(),
        revision: this.#revision,
        error: String(end.error),
      });
      broken = true;
      await this.#sleep(this.#delay(++failures));
    }
    this.#state = "closed";
  }

  /** One watch stream from `startRevision` until it ends; `onCreated` runs when etcd accepted it. */
  async #watch(startRevision: number, onCreated: () => void): Promise<StreamEnd> {
    let stream: Awaited<ReturnType<Etcd3["watchClient"]["watch"]>>;
    try {
      stream = await this.#client.watchClient.watch();
    } catch (error) {
      return { kind: "error", error };
    }
    if (this.#closed) {
      stream.on("error", () => {});
      stream.cancel();
      return { kind: "closed" };
    }
    return new Promise<StreamEnd>((resolve) => {
      let done = false;
      const finish = (end: StreamEnd): void => {
        if (done) return;
        done = true;
        this.#cancelStream = undefined;
        // Errors after the end (CANCELLED from our own cancel) are expected.
        stream.on("error", () => {});
        stream.cancel();
        resolve(end);
      };
      this.#cancelStream = () => finish({ kind: "closed" });
      stream.on("error", (error: unknown) => finish({ kind: "error", error }));
      stream.on("end", () => finish({ kind: "error", error: new Error("etcd ended the watch stream") }));
      stream.on("data", (response: IWatchResponse) => {
        if (done) return;
        this.#member = response.header.member_id;
        if (response.compact_revision !== undefined && response.compact_revision !== "0") {
          finish({ kind: "compacted", compactRevision: Number(response.compact_revision) });
          return;
        }
        if (response.canceled) {
          finish({ kind: "canceled", reason: response.cancel_reason || "no reason given" });
          return;
        }
        if (response.created) {
          this.#state = "watching";
          onCreated();
        }
        this.#receive(response);
      });
      stream.write({
        create_request: {
          key: this.#prefix,
          range_end: prefixRangeEnd(this.#prefix),
          start_revision: startRevision,
          progress_notify: true,
        },
      });
    });
  }

  #receive(response: IWatchResponse): void {
    if (response.events.length === 0) {
      // A progress notification: every event up to this revision was delivered.
      // (Headers of responses with events say nothing of the kind: events of a
      // catch-up may still follow, so only events move the resume point then.)
      if (!response.created) this.#revision = Math.max(this.#revision, Number(response.header.revision));
      return;
    }
    const changes: KeyChange[] = [];
    for (const event of response.events) {
      const modRevision = Number(event.kv.mod_revision);
      if (modRevision <= this.#revision) continue; // already applied (a resumed stream never repeats, but be sure)
      changes.push({
        key: event.kv.key.toString("utf8"),
        value: event.type === "Delete" ? undefined : event.kv.value,
        modRevision,
      });
    }
    const last = changes.at(-1);
    if (last === undefined) return;
    // etcd never splits one revision's events across responses (without fragmenting,
    // which is not requested), so this batch holds whole revisions.
    this.#revision = last.modRevision;
    try {
      this.#handlers.apply(changes, last.modRevision);
    } catch (error) {
      this.#options.logger.error("etcd: applying changes failed", { prefix: this.#prefix.toString(), revision: last.modRevision, error: String(error) });
    }
  }

  #delay(failures: number): number {
    const base = Math.min(this.#options.maxDelayMs, this.#options.initialDelayMs * 2 ** Math.min(failures - 1, 16));
    return base / 2 + Math.random() * (base / 2);
  }

  #sleep(ms: number): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
