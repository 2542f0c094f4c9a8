import { type ClientStatusOptions, type StreamStatus, streamStatus } from "./client-status.js";
import { FirstResponseDiagnostics } from "./first-response-diagnostics.js";
import { ResponseTurns } from "./response-turns.js";
import { ServerError } from "./server-error.js";
import { type ResolvedServerOptions, resolveServerOptions, type ServerOptions } from "./server-options.js";
import { ServerTelemetry } from "./server-telemetry.js";
import type { StreamState } from "./stream-state.js";

/**
 * The shared state of one xDS server: its options with their defaults, the
 * streams open across every protocol and transport (counted against
 * `maxStreams`), and shutdown. Make one per server with
 * {@link @xdskit/server-core#createServerContext} and give it to `createSotwProtocol` and
 * `createDeltaProtocol` (`createXdsServer` does both).
 */
export interface ServerContext {
  /** Aborted once {@link ServerContext.shutdown} was called. */
  readonly closing: AbortSignal;
  /** Streams open now, over every protocol and transport of the server. */
  readonly openStreams: number;
  /**
   * Ends every open stream with UNAVAILABLE (so proxies reconnect to another
   * control plane) and refuses new ones the same way. Idempotent.
   */
  shutdown(): void;
  /**
   * What every open stream's client holds: its node, peer, and per type what
   * it subscribes to, what was last sent, ACKed and NACKed (with Envoy's
   * message), and whether a response awaits its answer. A fresh snapshot
   * each call, in stream order; client-supplied text and lists are capped
   * (`STATUS_LIMITS`).
   */
  clientStatus(options?: ClientStatusOptions): StreamStatus[];
  /** Increases whenever any client status changes: compare it to skip unchanged snapshots. */
  readonly statusRevision: number;
}

/** A stream as the context tracks it. */
export interface TrackedStream {
  /** Its state, for the client status and metrics. */
  readonly stream: StreamState;
  /** Ends the stream because the server shuts down. */
  shutdown(error: ServerError): void;
}

/**
 * Responses handed out per event-loop turn when many streams have one ready
 * at once: enough to keep the writes batched, few enough that the first
 * clients of a large fan-out are written to within milliseconds.
 */
const RESPONSES_PER_TURN = 64;

/** The implementation behind {@link @xdskit/server-core#ServerContext}; what the protocols use of it. */
export class ServerContextState implements ServerContext {
  /** The options with their defaults applied. */
  readonly options: ResolvedServerOptions;
  /** Spreads the responses of every stream of the server over event-loop turns. */
  readonly turns = new ResponseTurns(RESPONSES_PER_TURN);
  readonly #shutdown = new AbortController();
  readonly #open = new Set<TrackedStream>();
  /** The server's metrics and status revision. */
  readonly telemetry: ServerTelemetry;
  /** Warns when a stream waits too long for its first response of a type. */
  readonly firstResponses: FirstResponseDiagnostics;

  constructor(options: ServerOptions) {
    this.options = resolveServerOptions(options);
    this.telemetry = new ServerTelemetry(this.options.meterProvider, () => this.streams());
    this.firstResponses = new FirstResponseDiagnostics(
      this.options.logger,
      this.options.firstResponseWarnMs,
      () => this.streams(),
      () => this.#open.size,
    );
  }

  /** The open streams, in the order they opened. */
  *streams(): Iterable<StreamState> {
    for (const tracked of this.#open) yield tracked.stream;
  }

  /** See {@link @xdskit/server-core#ServerContext.clientStatus}. */
  clientStatus(options: ClientStatusOptions = {}): StreamStatus[] {
    const out: StreamStatus[] = [];
    for (const tracked of this.#open) {
      if (options.streamId !== undefined && tracked.stream.id !== options.streamId) continue;
      out.push(streamStatus(tracked.stream, options));
    }
    return out;
  }

  /** See {@link @xdskit/server-core#ServerContext.statusRevision}. */
  get statusRevision(): number {
    return this.telemetry.revision;
  }

  /** See {@link @xdskit/server-core#ServerContext.closing}. */
  get closing(): AbortSignal {
    return this.#shutdown.signal;
  }

  /** See {@link @xdskit/server-core#ServerContext.openStreams}. */
  get openStreams(): number {
    return this.#open.size;
  }

  /** See {@link @xdskit/server-core#ServerContext.shutdown}. */
  shutdown(): void {
    if (this.#shutdown.signal.aborted) return;
    this.#shutdown.abort();
    this.firstResponses.stop();
    const error = shutdownError();
    for (const stream of [...this.#open]) stream.shutdown(error);
  }

  /**
   * Counts a stream as open until {@link ServerContextState.release}.
   *
   * @throws {ServerError} `shutdown` once the server shuts down;
   *   `limit-exceeded` when `maxStreams` streams are open.
   */
  admit(stream: TrackedStream): void {
    if (this.#shutdown.signal.aborted) throw shutdownError();
    const limit = this.options.limits.maxStreams;
    if (this.#open.size >= limit) {
      throw new ServerError("limit-exceeded", `the xDS server has ${limit} streams open, its limit (maxStreams): try again later`);
    }
    this.#open.add(stream);
    this.firstResponses.streamOpened();
  }

  /** Stops counting a stream {@link ServerContextState.admit} counted. */
  release(stream: TrackedStream): void {
    this.#open.delete(stream);
  }
}

function shutdownError(): ServerError {
  return new ServerError("shutdown", "the xDS server is shutting down: reconnect");
}

/** The state shared by every protocol and transport of one xDS server, with the defaults of {@link ServerOptions} applied. */
export function createServerContext(options: ServerOptions = {}): ServerContext {
  return new ServerContextState(options);
}

/**
 * The implementation of a context made by {@link @xdskit/server-core#createServerContext}.
 *
 * @throws {ServerError} `internal` for any other object.
 */
export function contextState(context: ServerContext): ServerContextState {
  if (context instanceof ServerContextState) return context;
  throw new ServerError("internal", "the server context was not made by createServerContext of this @xdskit/server-core");
}
