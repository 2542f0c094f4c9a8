import { create, type DescMessage, type Message, toBinary } from "@bufbuild/protobuf";
import { type Any, AnySchema } from "@bufbuild/protobuf/wkt";
import { type CachedResource, hashResource } from "@xdskit/cache-core";

interface Encoding {
  bytes: Uint8Array | undefined;
  hash: string | undefined;
  any: Any | undefined;
}

/**
 * A resource read by @xdskit/envoy-config, ready for the cache. The reader writes map entries and
 * Struct fields in key order, so `toBinary` gives the bytes cache-core's `prepareResource` would
 * (its deterministic marshal sorts maps as it writes them), at a fraction of the cost on large
 * configs: that marshal walks every message by reflection. Bytes and hash are computed on first
 * use; {@link withoutMessage} gives the same resource as its bytes only (a raw resource).
 */
class MessageResource implements CachedResource {
  constructor(
    readonly typeUrl: string,
    readonly name: string,
    readonly schema: DescMessage | undefined,
    readonly message: Message | undefined,
    readonly ttlMs: number | undefined,
    private readonly encoding: Encoding,
  ) {}

  get bytes(): Uint8Array {
    if (this.encoding.bytes === undefined) {
      // Only a resource with its message is made without bytes (withoutMessage encodes first).
      this.encoding.bytes = toBinary(this.schema as DescMessage, this.message as Message);
    }
    return this.encoding.bytes;
  }

  get hash(): string {
    this.encoding.hash ??= hashResource(this.bytes);
    return this.encoding.hash;
  }

  get any(): Any {
    this.encoding.any ??= create(AnySchema, { typeUrl: this.typeUrl, value: this.bytes });
    return this.encoding.any;
  }

  withTtl(ttlMs: number | undefined): CachedResource {
    return new MessageResource(this.typeUrl, this.name, this.schema, this.message, ttlMs, this.encoding);
  }

  withoutMessage(): CachedResource {
    void this.hash; // encoded and hashed while the message is there
    return new MessageResource(this.typeUrl, this.name, undefined, undefined, this.ttlMs, this.encoding);
  }
}

/** A message read from a config file as a {@link CachedResource} (see MessageResource). */
export function messageResource(typeUrl: string, name: string, schema: DescMessage, message: Message): CachedResource {
  return new MessageResource(typeUrl, name, schema, message, undefined, { bytes: undefined, hash: undefined, any: undefined });
}

/**
 * The same resource without its message (bytes, hash and Any shared): what a cache needs to serve
 * it. The message is garbage once nothing else holds it.
 */
export function withoutMessage(resource: CachedResource): CachedResource {
  return resource instanceof MessageResource ? resource.withoutMessage() : resource;
}
