import { type DescMessage, fromBinary, type MessageShape } from "@bufbuild/protobuf";
import type { DeltaDiscoveryRequest, DiscoveryRequest } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";

const SOTW_REQUEST = "envoy.service.discovery.v3.DiscoveryRequest";
const DELTA_REQUEST = "envoy.service.discovery.v3.DeltaDiscoveryRequest";

// Tags (field number << 3 | wire type 2, length-delimited) of the fields the readers take.
const SOTW_VERSION_INFO = (1 << 3) | 2;
const SOTW_RESOURCE_NAMES = (3 << 3) | 2;
const SOTW_TYPE_URL = (4 << 3) | 2;
const SOTW_RESPONSE_NONCE = (5 << 3) | 2;
const DELTA_TYPE_URL = (2 << 3) | 2;
const DELTA_SUBSCRIBE = (3 << 3) | 2;
const DELTA_UNSUBSCRIBE = (4 << 3) | 2;
const DELTA_RESPONSE_NONCE = (6 << 3) | 2;

/**
 * Decodes a request message of a gRPC method.
 *
 * A discovery request in the form clients send after their first one (an
 * ACK, or a request that changes names, without an error detail: type URL,
 * nonce, version, names; every string ASCII) is read by {@link readSotwRequest} / {@link readDeltaRequest},
 * which build the message protobuf-es's `fromBinary` builds (the same
 * properties, in the same order) at a fraction of its cost: ACKs are most of
 * what a server reads. Anything else (a node, an error detail, locators,
 * initial resource versions, a field they do not take, a string with a byte
 * past ASCII, bytes that do not parse) is left to `fromBinary`, which also
 * gives the error for a malformed message.
 */
export function decodeRequest<I extends DescMessage>(schema: I, bytes: Uint8Array): MessageShape<I> {
  return readDiscoveryRequest(schema, bytes) ?? fromBinary(schema, bytes);
}

/** The message when `schema` is a discovery request's and its readers take `bytes`, else `undefined`. */
export function readDiscoveryRequest<I extends DescMessage>(schema: I, bytes: Uint8Array): MessageShape<I> | undefined {
  const typeName = schema.typeName;
  const read = typeName === DELTA_REQUEST ? readDeltaRequest(bytes) : typeName === SOTW_REQUEST ? readSotwRequest(bytes) : undefined;
  return read as MessageShape<I> | undefined;
}

/**
 * A `DiscoveryRequest` of fields 1, 3, 4 and 5 only, every string ASCII;
 * `undefined` for anything else.
 */
export function readSotwRequest(bytes: Uint8Array): DiscoveryRequest | undefined {
  const reader = new WireStrings(bytes);
  let versionInfo = "";
  let typeUrl = "";
  let responseNonce = "";
  const resourceNames: string[] = [];
  while (reader.more()) {
    const tag = reader.tag();
    if (tag < 0) return undefined;
    const value = tag === SOTW_TYPE_URL ? reader.typeUrl() : reader.string();
    if (value === undefined) return undefined;
    if (tag === SOTW_RESOURCE_NAMES) resourceNames.push(value);
    else if (tag === SOTW_TYPE_URL) typeUrl = value;
    else if (tag === SOTW_RESPONSE_NONCE) responseNonce = value;
    else if (tag === SOTW_VERSION_INFO) versionInfo = value;
    else return undefined;
  }
  return { $typeName: SOTW_REQUEST, versionInfo, resourceNames, resourceLocators: [], typeUrl, responseNonce };
}

/**
 * A `DeltaDiscoveryRequest` of fields 2, 3, 4 and 6 only, every string
 * ASCII; `undefined` for anything else.
 */
export function readDeltaRequest(bytes: Uint8Array): DeltaDiscoveryRequest | undefined {
  const reader = new WireStrings(bytes);
  let typeUrl = "";
  let responseNonce = "";
  const resourceNamesSubscribe: string[] = [];
  const resourceNamesUnsubscribe: string[] = [];
  while (reader.more()) {
    const tag = reader.tag();
    if (tag < 0) return undefined;
    const value = tag === DELTA_TYPE_URL ? reader.typeUrl() : reader.string();
    if (value === undefined) return undefined;
    if (tag === DELTA_TYPE_URL) typeUrl = value;
    else if (tag === DELTA_RESPONSE_NONCE) responseNonce = value;
    else if (tag === DELTA_SUBSCRIBE) resourceNamesSubscribe.push(value);
    else if (tag === DELTA_UNSUBSCRIBE) resourceNamesUnsubscribe.push(value);
    else return undefined;
  }
  return {
    $typeName: DELTA_REQUEST,
    typeUrl,
    resourceNamesSubscribe,
    resourceNamesUnsubscribe,
    resourceLocatorsSubscribe: [],
    resourceLocatorsUnsubscribe: [],
    initialResourceVersions: {},
    responseNonce,
  };
}

/** How many type URLs read lately are kept (an ADS stream asks for up to eight types). */
const RECENT_TYPE_URLS = 8;
const recentTypeUrls: string[] = [];
let nextRecent = 0;

/**
 * Reads a message made only of length-delimited fields with one-byte tags
 * (field numbers 1 to 15) whose values are ASCII strings. A tag of another
 * kind or a value that is not such a string reads as `undefined`, and the
 * caller gives up on the message.
 */
class WireStrings {
  readonly #bytes: Buffer;
  #at = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  more(): boolean {
    return this.#at < this.#bytes.length;
  }

  /** The next field's tag when it is one byte and length-delimited (wire type 2), else -1. */
  tag(): number {
    const tag = this.#bytes[this.#at++] as number;
    return tag < 0x80 && (tag & 7) === 2 ? tag : -1;
  }

  /** The next length-delimited value as a string if it lies within the message and is ASCII. */
  string(): string | undefined {
    const end = this.#valueEnd();
    if (end < 0) return undefined;
    const start = this.#at;
    this.#at = end;
    return end === start ? "" : this.#bytes.toString("latin1", start, end);
  }

  /**
   * As {@link WireStrings.string}, for a type URL: the same few come on every request, so one
   * seen lately is returned as the string made then (compared byte for byte), not made again.
   */
  typeUrl(): string | undefined {
    const end = this.#valueEnd();
    if (end < 0) return undefined;
    const bytes = this.#bytes;
    const start = this.#at;
    this.#at = end;
    const length = end - start;
    for (const known of recentTypeUrls) {
      if (known.length !== length) continue;
      let i = 0;
      while (i < length && known.charCodeAt(i) === bytes[start + i]) i++;
      if (i === length) return known;
    }
    const value = length === 0 ? "" : bytes.toString("latin1", start, end);
    recentTypeUrls[nextRecent] = value;
    nextRecent = (nextRecent + 1) % RECENT_TYPE_URLS;
    return value;
  }

  // Reads a value's length; the offset where the value ends if it lies within the message and is
  // ASCII (the read position is then at its start), else -1.
  #valueEnd(): number {
    const bytes = this.#bytes;
    let length = 0;
    // A length of at most four varint bytes (256 MiB), far past any request limit.
    for (let shift = 0; ; shift += 7) {
      if (shift > 21 || this.#at >= bytes.length) return -1;
      const byte = bytes[this.#at++] as number;
      length |= (byte & 0x7f) << shift;
      if (byte < 0x80) break;
    }
    const start = this.#at;
    const end = start + length;
    if (end > bytes.length) return -1;
    for (let i = start; i < end; i++) if ((bytes[i] as number) > 0x7f) return -1;
    return end;
  }
}
