import type { Attributes, BatchObservableResult, Histogram, Meter, MeterProvider, Observable } from "@opentelemetry/api";
import type { StreamState } from "./stream-state.js";

/** The name of the meter the server's instruments come from. */
export const METER_NAME = "@xdskit/server";

/** Why a stream was refused or ended by the server (the `xds.rejection.reason` attribute). */
export type RejectionReason = "limit" | "identity" | "refused" | "bad-input";

/**
 * The counters of one protocol and type. The hot path adds to plain numbers;
 * the observable instruments read them when metrics are collected, so a
 * response costs no attribute hashing for its counters.
 */
export class TypeCounters {
  /** Responses sent. */
  responses = 0;
  /** Bytes of responses encoded here (Connect routes serialize themselves and count 0). */
  bytes = 0;
  /** ACKs received. */
  acks = 0;
  /** NACKs received. */
  nacks = 0;
  /** The protocol and type attributes the instruments report these counters under. */
  readonly attributes: Attributes;

  constructor(attributes: Attributes) {
    this.attributes = attributes;
  }
}

/** Counters nobody reads: what a type state holds before the server gives it its own. */
export const NO_COUNTERS = new TypeCounters({});

const NO_ATTRIBUTES: Attributes = Object.freeze({});

// Distinct (protocol, type) counters kept; a client naming more types on ADS shares "other".
const MAX_TYPES = 64;
const OTHER_TYPE = "other";

const SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const COUNTS = [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000];

// Where `@opentelemetry/api` (major version 1) keeps what an application registers with
// `metrics.setGlobalMeterProvider`: every copy of the API in a process shares this object, and
// `metrics.getMeterProvider()` returns its `metrics` entry (a no-op provider when there is none).
const OTEL_API_GLOBAL = Symbol.for("opentelemetry.js.api.1");

/** A histogram that records nothing: what the server uses when no meter provider is registered. */
const NO_HISTOGRAM: Pick<Histogram, "record"> = { record() {} };

/**
 * The meter of the server's instruments: from the provider given in the options, else from the
 * globally registered one, else none. Read from the API's global rather than through its
 * `metrics` object, so that a server in a process without OpenTelemetry does not load the API's
 * ~50 modules at start (~20 ms); a provider registered after the server is made is not seen,
 * as with the API itself (its metrics have no proxy provider).
 */
function serverMeter(provider: MeterProvider | undefined): Meter | undefined {
  if (provider !== undefined) return provider.getMeter(METER_NAME);
  const api = (globalThis as { [OTEL_API_GLOBAL]?: { metrics?: Partial<MeterProvider> } })[OTEL_API_GLOBAL];
  const registered = api?.metrics;
  return typeof registered?.getMeter === "function" ? registered.getMeter(METER_NAME) : undefined;
}

/** The type attribute of a type URL: its message name. */
export function typeAttribute(typeUrl: string): string {
  const slash = typeUrl.lastIndexOf("/");
  return slash < 0 ? typeUrl : typeUrl.slice(slash + 1);
}

/**
 * One server's metrics (through `@opentelemetry/api`: none until the
 * application registers a meter provider, or one given in the options) and
 * its client-status revision. The instruments and their names are in the
 * `@xdskit/server` README.
 */
export class ServerTelemetry {
  /** Increases whenever any client status changes: readers compare it to skip unchanged snapshots. */
  revision = 0;
  readonly #counters = new Map<string, TypeCounters>();
  readonly #rejections = new Map<RejectionReason, number>();
  readonly #pushDuration: Pick<Histogram, "record"> = NO_HISTOGRAM;
  readonly #convergence: Pick<Histogram, "record"> = NO_HISTOGRAM;
  readonly #resourcesPerResponse: Pick<Histogram, "record"> = NO_HISTOGRAM;

  /** @param streams the open streams, read when metrics are collected. */
  constructor(provider: MeterProvider | undefined, streams: () => Iterable<StreamState>) {
    const meter = serverMeter(provider);
    if (meter === undefined) return;
    this.#pushDuration = meter.createHistogram("xds.server.push.duration", {
      unit: "s",
      description: "From the cache's answer to the response handed to the transport",
      advice: { explicitBucketBoundaries: SECONDS },
    });
    this.#convergence = meter.createHistogram("xds.server.convergence.duration", {
      unit: "s",
      description: "From the cache's answer to the client's ACK of it",
      advice: { explicitBucketBoundaries: SECONDS },
    });
    this.#resourcesPerResponse = meter.createHistogram("xds.server.response.resources", {
      unit: "{resource}",
      description: "Resources per response",
      advice: { explicitBucketBoundaries: COUNTS },
    });
    const responses = meter.createObservableCounter("xds.server.responses", { unit: "{response}", description: "Responses sent" });
    const sent = meter.createObservableCounter("xds.server.response.bytes", { unit: "By", description: "Bytes of responses sent (gRPC transports; not counted on Connect routes)" });
    const acks = meter.createObservableCounter("xds.server.acks", { unit: "{ack}", description: "Responses the client accepted" });
    const nacks = meter.createObservableCounter("xds.server.nacks", { unit: "{nack}", description: "Responses the client rejected" });
    const rejections = meter.createObservableCounter("xds.server.rejections", {
      unit: "{stream}",
      description: "Streams the server refused or ended: limits, identity, refused by a callback, bad input",
    });
    const open = meter.createObservableUpDownCounter("xds.server.streams", { unit: "{stream}", description: "Open streams" });
    const nodes = meter.createObservableUpDownCounter("xds.server.nodes", {
      unit: "{node}",
      description: "Connected nodes (distinct node ids) with a subscription to the type",
    });
    const watches = meter.createObservableUpDownCounter("xds.server.watches", { unit: "{watch}", description: "Open cache watches" });
    const observables: Observable[] = [responses, sent, acks, nacks, rejections, open, nodes, watches];
    meter.addBatchObservableCallback((result: BatchObservableResult) => {
      for (const counters of this.#counters.values()) {
        result.observe(responses, counters.responses, counters.attributes);
        result.observe(sent, counters.bytes, counters.attributes);
        result.observe(acks, counters.acks, counters.attributes);
        result.observe(nacks, counters.nacks, counters.attributes);
      }
      for (const [reason, count] of this.#rejections) result.observe(rejections, count, { "xds.rejection.reason": reason });
      observeStreams(result, { open, nodes, watches }, streams());
    }, observables);
  }

  /**
   * The counters of a protocol and type, made on first use. Past `MAX_TYPES`
   * pairs, a new type shares its protocol's `other` counters (made even
   * over the limit: at most one per protocol).
   */
  countersOf(protocol: "sotw" | "delta", typeUrl: string): TypeCounters {
    const key = `${protocol} ${typeUrl}`;
    const known = this.#counters.get(key);
    if (known !== undefined) return known;
    const over = this.#counters.size >= MAX_TYPES;
    const otherKey = `${protocol} ${OTHER_TYPE}`;
    if (over) {
      const other = this.#counters.get(otherKey);
      if (other !== undefined) return other;
    }
    const counters = new TypeCounters({ "xds.protocol": protocol, "xds.type": over ? OTHER_TYPE : typeAttribute(typeUrl) });
    this.#counters.set(over ? otherKey : key, counters);
    return counters;
  }

  // The histograms are recorded without attributes: the OpenTelemetry SDK hashes a record's
  // attributes (sorted keys, JSON) on every call, about 1 µs, several times a response; the
  // per-type figures are in the counters, which cost nothing here.

  /** A response was handed to the transport: `bytes` when the transport encoded it here (else 0). */
  responseSent(counters: TypeCounters, resources: number, bytes: number, pushSeconds: number): void {
    counters.responses += 1;
    counters.bytes += bytes;
    this.revision += 1;
    this.#resourcesPerResponse.record(resources, NO_ATTRIBUTES);
    this.#pushDuration.record(pushSeconds, NO_ATTRIBUTES);
  }

  /** Counts an ACK and records how long the response took to be accepted. */
  acked(counters: TypeCounters, convergenceSeconds: number): void {
    counters.acks += 1;
    this.revision += 1;
    this.#convergence.record(convergenceSeconds, NO_ATTRIBUTES);
  }

  /** Counts a NACK. */
  nacked(counters: TypeCounters): void {
    counters.nacks += 1;
    this.revision += 1;
  }

  /** Counts a stream the server refused or ended, by reason. */
  rejected(reason: RejectionReason): void {
    this.#rejections.set(reason, (this.#rejections.get(reason) ?? 0) + 1);
  }
}

interface StreamInstruments {
  readonly open: Observable;
  readonly nodes: Observable;
  readonly watches: Observable;
}

// Counts open streams, nodes per type and watches per type in one pass over the streams.
function observeStreams(result: BatchObservableResult, instruments: StreamInstruments, streams: Iterable<StreamState>): void {
  const open = new Map<string, { attributes: Attributes; count: number }>();
  const perType = new Map<TypeCounters, { nodes: Set<string>; watches: number }>();
  for (const stream of streams) {
    const service = stream.typeUrl === "" ? "ads" : typeAttribute(stream.typeUrl);
    const streamKey = `${stream.protocol} ${service}`;
    const entry = open.get(streamKey);
    if (entry === undefined) open.set(streamKey, { attributes: { "xds.protocol": stream.protocol, "xds.service": service }, count: 1 });
    else entry.count += 1;
    const nodeId = stream.node?.id;
    for (const state of stream.types.values()) {
      let types = perType.get(state.counters);
      if (types === undefined) {
        types = { nodes: new Set(), watches: 0 };
        perType.set(state.counters, types);
      }
      if (nodeId !== undefined) types.nodes.add(nodeId);
      if (state.hasWatch()) types.watches += 1;
    }
  }
  for (const { attributes, count } of open.values()) result.observe(instruments.open, count, attributes);
  for (const [{ attributes }, { nodes, watches }] of perType) {
    result.observe(instruments.nodes, nodes.size, attributes);
    result.observe(instruments.watches, watches, attributes);
  }
}
