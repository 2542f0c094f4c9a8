/**
 * How much of what a client sends the client status keeps or shows, so that
 * a hostile client cannot make it grow without bound. Strings are cut to the
 * length given and end with `…` when cut; lists past their limit show the
 * first entries and say how many there were.
 */
export const STATUS_LIMITS = Object.freeze({
  /** Envoy's NACK message (`error_detail.message`), kept per type: UTF-16 code units. */
  maxMessageLength: 4096,
  /** Node id, cluster, locality, user agent, resource names, type URLs, peer identities: UTF-16 code units. */
  maxTextLength: 256,
  /** Subscribed names listed per type (the count is always whole). */
  maxNamesPerType: 1000,
  /** Types listed per stream, the first ones the client asked for (the count is always whole). Envoy uses about ten. */
  maxTypesPerStream: 64,
  /** Certificate identities listed per stream. */
  maxIdentities: 16,
} as const);

/**
 * `text` cut to `max` code units (ending in `…` when cut), as a fresh
 * string: a slice of a large string would keep the whole of it alive.
 */
export function capText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - 1);
  // Do not split a surrogate pair.
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${decoder.decode(encoder.encode(text.slice(0, end)))}…`;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
