import type { StreamStatus, TypeState, TypeStatus } from "@xdskit/server-core/internal";

/** What the page asks for: the filters of its form. */
export interface StatusFilter {
  /** Part of the node id (any case). */
  readonly node: string;
  /** Part of the type URL (any case). */
  readonly type: string;
  /** Only types in this state (and the streams that have one). */
  readonly state: TypeState | "";
}

const STATES: ReadonlySet<string> = new Set(["requested", "pending", "acked", "nacked"]);

/** The filter of a request's query string; unknown states are ignored. */
export function filterOf(query: URLSearchParams): StatusFilter {
  const state = query.get("state") ?? "";
  return {
    node: (query.get("node") ?? "").trim().toLowerCase().slice(0, 256),
    type: (query.get("type") ?? "").trim().toLowerCase().slice(0, 256),
    state: STATES.has(state) ? (state as TypeState) : "",
  };
}

/** The page's view of the client status: the streams that match, their matching types, at most `limit` streams. */
export interface StatusView {
  readonly revision: number;
  /** Open streams in all. */
  readonly total: number;
  /** Streams that match the filter. */
  readonly matching: number;
  /** Nodes (distinct ids) among the matching streams. */
  readonly nodes: number;
  /** Types NACKed right now among the matching streams. */
  readonly nacked: number;
  readonly streams: readonly StreamStatus[];
}

function typeMatches(type: TypeStatus, filter: StatusFilter): boolean {
  if (filter.type !== "" && !type.typeUrl.toLowerCase().includes(filter.type)) return false;
  return filter.state === "" || type.state === filter.state;
}

/** Applies `filter` to a snapshot of the client status. */
export function statusView(revision: number, streams: readonly StreamStatus[], filter: StatusFilter, limit: number): StatusView {
  const shown: StreamStatus[] = [];
  const nodes = new Set<string>();
  let matching = 0;
  let nacked = 0;
  for (const stream of streams) {
    if (filter.node !== "" && !(stream.node?.id ?? "").toLowerCase().includes(filter.node)) continue;
    const typed = filter.type !== "" || filter.state !== "";
    const types = typed ? stream.types.filter((type) => typeMatches(type, filter)) : stream.types;
    if (typed && types.length === 0) continue;
    matching += 1;
    if (stream.node !== undefined) nodes.add(stream.node.id);
    for (const type of types) if (type.state === "nacked") nacked += 1;
    if (shown.length < limit) shown.push(types === stream.types ? stream : { ...stream, types });
  }
  return { revision, total: streams.length, matching, nodes: nodes.size, nacked, streams: shown };
}
