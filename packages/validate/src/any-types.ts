import type { Registry } from "@bufbuild/protobuf";
import type { MessagePlan } from "./message-plan.js";
import type { PlanCompiler } from "./plan-compiler.js";
import { decodeUtf8 } from "./utf8.js";

// Type URLs seen in Any fields are few; a flood of distinct unknown ones must not grow memory.
const MAX_REMEMBERED_UNKNOWN = 1000;
const MAX_REMEMBERED_BYTES = 10_000;

/** What an `Any` type URL resolves to: the plan of its type, `null` (nothing to check), or unknown. */
export type AnyTarget = MessagePlan | null | undefined;

/** Resolves `Any` type URLs with the registry, as Go's FindMessageByURL does (name after the last "/"). */
export class AnyTypes {
  readonly #known = new Map<string, MessagePlan | null>();
  readonly #unknown = new Set<string>();
  readonly #byHash = new Map<number, { bytes: Uint8Array; target: MessagePlan | null }[]>();

  constructor(
    private readonly registry: Registry,
    private readonly compiler: PlanCompiler,
  ) {}

  /**
   * The same for a type URL still encoded (UTF-8 `buf[start, end)`): known URLs are found by a
   * hash of their bytes, without decoding a string each time.
   */
  resolveBytes(buf: Uint8Array, start: number, end: number): AnyTarget {
    let hash = 0x811c9dc5;
    for (let i = start; i < end; i++) hash = Math.imul(hash ^ (buf[i] as number), 0x01000193);
    const candidates = this.#byHash.get(hash);
    if (candidates !== undefined) {
      outer: for (const c of candidates) {
        if (c.bytes.length !== end - start) continue;
        for (let i = 0; i < c.bytes.length; i++) if (c.bytes[i] !== buf[start + i]) continue outer;
        return c.target;
      }
    }
    const url = decodeUtf8(buf, start, end);
    const target = url === undefined ? undefined : this.resolve(url);
    if (target !== undefined && this.#byHash.size < MAX_REMEMBERED_BYTES) {
      const list = candidates ?? [];
      list.push({ bytes: buf.slice(start, end), target });
      this.#byHash.set(hash, list);
    }
    return target;
  }

  resolve(typeUrl: string): AnyTarget {
    const known = this.#known.get(typeUrl);
    if (known !== undefined) return known;
    if (this.#unknown.has(typeUrl)) return undefined;
    const name = typeUrl.slice(typeUrl.lastIndexOf("/") + 1);
    const desc = name === "" ? undefined : this.registry.getMessage(name);
    if (desc === undefined) {
      if (this.#unknown.size < MAX_REMEMBERED_UNKNOWN) this.#unknown.add(typeUrl);
      return undefined;
    }
    const plan = this.compiler.planFor(desc);
    this.#known.set(typeUrl, plan);
    return plan;
  }
}
