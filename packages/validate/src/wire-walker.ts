import { fromBinary, ScalarType } from "@bufbuild/protobuf";
import type { AnyTarget, AnyTypes } from "./any-types.js";
import { LIST, MAP, MESSAGE, SCALAR, TIME, WRAPPER, type FieldPlan, type MessagePlan, type ValuePlan } from "./message-plan.js";
import type { ObjectWalker } from "./object-walker.js";
import { zeroOf } from "./value-rules.js";
import type { StringCheck } from "./string-rules.js";
import type { ValidContentCache } from "./valid-content-cache.js";
import { uniqueKey } from "./values.js";
import { MapKey, WalkAborted, type Walk } from "./walk.js";
import { compileWireFn, type ScalarListState, type WireFn, type WireHelpers } from "./wire-codegen.js";
import { LEN, readLength, readVarint, skipField, varint, WireError, wireTypeOf } from "./wire-reader.js";
import { anyParts, readAnyRange, readerFns, readSecondsNanos, readString, readWrapped, scalarAt } from "./wire-values.js";

/**
 * Validates encoded messages (the content of an `Any`, a resource given as bytes) against their
 * plans without decoding them into objects: one pass reads the fields that matter (the last
 * occurrence of a singular field wins, list items are taken as they come), then the rules run
 * on what was found. The rare encodings whose meaning needs merging (a singular message field
 * that occurs twice) are decoded with protobuf-es instead. With `generate`, each type's pass is
 * compiled (compileWireFn); `message` is the interpreter of the same plan.
 */
export class WireWalker implements WireHelpers {
  constructor(
    private readonly objects: ObjectWalker,
    private readonly anys: AnyTypes,
    private readonly generate: boolean,
    private readonly valid: ValidContentCache,
  ) {}

  /** The content of an `Any` (an object's `value` bytes) at the current path. */
  anyContent(target: AnyTarget, typeUrl: string, bytes: Uint8Array, w: Walk, depth: number): void {
    if (target === undefined) unknownType(typeUrl, w);
    else if (target !== null) this.whole(target, bytes, w, depth, "any.decode");
  }

  /**
   * A whole byte array as a message of `plan`'s type (an object's `Any` value, a resource given
   * as bytes); with `rememberValid`, bytes already found valid are not walked again.
   */
  whole(plan: MessagePlan, bytes: Uint8Array, w: Walk, depth: number, rule: string): void {
    if (!w.rememberValid) {
      this.content(plan, bytes, 0, bytes.length, w, depth, rule);
      return;
    }
    const room = w.maxDepth - depth;
    const known = this.valid.visitsIfValid(plan, bytes, room, w.maxVisits - w.visits);
    if (known >= 0) {
      w.visits += known;
      return;
    }
    const mark = w.violations.length;
    const visits = w.visits;
    this.content(plan, bytes, 0, bytes.length, w, depth, rule);
    if (w.violations.length === mark) this.valid.rememberValid(plan, bytes, room, w.visits - visits);
  }

  /** An encoded `Any` at `[start, end)`, at the current path: its rules, then its content. */
  anyAt(vp: ValuePlan, buf: Uint8Array, start: number, end: number, w: Walk, depth: number): void {
    readAnyRange(buf, start, end);
    const { urlStart, urlEnd, valueStart, valueEnd } = anyParts;
    if (vp.check !== undefined) {
      w.leaf = undefined;
      w.leafIndex = undefined;
      vp.check({ typeUrl: readString(buf, urlStart, urlEnd) }, w);
    }
    if (vp.skip) return;
    // Most Any fields hold one type; compare with the last one seen here before hashing.
    let target: AnyTarget;
    const last = vp.lastUrl;
    if (last !== undefined && sameBytes(last, buf, urlStart, urlEnd)) target = vp.lastTarget;
    else {
      target = this.anys.resolveBytes(buf, urlStart, urlEnd);
      if (target !== undefined) {
        vp.lastUrl = buf.slice(urlStart, urlEnd);
        vp.lastTarget = target;
      }
    }
    if (target === undefined) unknownType(readString(buf, urlStart, urlEnd), w);
    else if (target !== null) this.content(target, buf, valueStart, valueEnd, w, depth, "any.decode");
  }

  /** Validates `[start, end)` as a message of `plan`'s type; bytes that do not decode are one violation (`rule`). */
  content(plan: MessagePlan, buf: Uint8Array, start: number, end: number, w: Walk, depth: number, rule: string): void {
    const pathLength = w.path.length;
    try {
      (plan.wireFn ?? this.compile(plan))(buf, start, end, w, depth);
    } catch (error) {
      if (!(error instanceof WireError)) throw error;
      w.path.length = pathLength;
      w.reportHere(rule, `does not decode as ${plan.desc.typeName}: ${error.message}`);
    }
  }

  compile(plan: MessagePlan): WireFn {
    plan.wireFn = this.generate ? compileWireFn(plan, this, readerFns) : (b, s, e, w, d) => this.message(plan, b, s, e, w, d);
    return plan.wireFn;
  }

  tooDeep(w: Walk): never {
    w.reportHere("message.depth", `messages nested deeper than ${w.maxDepth} levels`);
    throw new WalkAborted();
  }

  /** A singular message field occurred twice (protobuf merges them): decode, then walk the object. */
  merged(plan: MessagePlan, buf: Uint8Array, start: number, end: number, w: Walk, depth: number, mark: number): void {
    w.violations.length = mark;
    let msg: unknown;
    try {
      msg = fromBinary(plan.desc, buf.subarray(start, end));
    } catch (error) {
      throw new WireError(error instanceof Error ? error.message : String(error));
    }
    this.objects.message(plan, msg as Record<string, unknown>, w, depth);
  }

  /** The value SCALAR, WRAPPER and TIME rules apply to. */
  plainValue(vp: ValuePlan, buf: Uint8Array, vs: number, ve: number): unknown {
    if (vp.shape === SCALAR) return scalarAt(buf, vs, ve, vp.scalar as ScalarType);
    if (vp.shape === WRAPPER) return readWrapped(buf, vs, ve, vp.scalar as ScalarType, vp.zero);
    return readSecondsNanos(buf, vs, ve);
  }

  scalarItems(f: FieldPlan, buf: Uint8Array, p: number, end: number, wt: number, state: ScalarListState, w: Walk): number {
    const ewt = wireTypeOf(f.value.scalar as ScalarType);
    if (wt === LEN && ewt !== LEN) {
      const start = readLength(buf, p, end);
      const packedEnd = start + varint.lo;
      for (let q = start; q < packedEnd; ) {
        const vs = q;
        q = skipField(buf, q, packedEnd, ewt, f.number);
        this.#scalarItem(f, buf, vs, q, state, w);
      }
      return packedEnd;
    }
    let vs = p;
    let ve: number;
    if (wt === LEN) {
      vs = readLength(buf, p, end);
      ve = vs + varint.lo;
    } else ve = skipField(buf, p, end, wt, f.number);
    this.#scalarItem(f, buf, vs, ve, state, w);
    return ve;
  }

  #scalarItem(f: FieldPlan, buf: Uint8Array, vs: number, ve: number, state: ScalarListState, w: Walk): void {
    const index = state.count++;
    const vp = f.value;
    if (vp.check === undefined && !f.unique) return;
    const value = this.plainValue(vp, buf, vs, ve);
    if (f.unique) {
      state.seen ??= new Set();
      const key = uniqueKey(value);
      if (!Number.isNaN(key)) {
        if (state.seen.has(key)) {
          w.leaf = f.name;
          w.leafIndex = index;
          w.report("repeated.unique", "repeats an earlier item", value);
        } else state.seen.add(key);
      }
    }
    if (vp.check !== undefined) {
      w.leaf = f.name;
      w.leafIndex = index;
      vp.check(value, w);
    }
  }

  /** The interpreter: the same pass as compileWireFn's code, driven by the plan's field table. */
  message(plan: MessagePlan, buf: Uint8Array, start: number, end: number, w: Walk, depth: number): void {
    if (depth > w.maxDepth) this.tooDeep(w);
    w.visit();
    const mark = w.violations.length;
    const byNumber = plan.byNumber;
    // Per slot: where the last occurrence starts (-1: none) and ends, the oneof member, a list's count.
    const starts = new Array<number>(plan.slots).fill(-1);
    const ends = new Array<number>(plan.slots).fill(0);
    const members = new Array<number>(plan.slots).fill(-1);
    let scalarLists: Map<FieldPlan, ScalarListState> | undefined;
    let maps: Map<FieldPlan, number[]> | undefined;
    let pos = start;
    while (pos < end) {
      pos = readVarint(buf, pos, end);
      const tag = varint.lo >>> 0;
      const num = tag >>> 3;
      const wt = tag & 7;
      if (num === 0) throw new WireError("field number 0");
      const f = num < byNumber.length ? byNumber[num] : undefined;
      if (f === undefined) {
        pos = skipField(buf, pos, end, wt, num);
        continue;
      }
      const vp = f.value;
      const ewt = vp.shape === SCALAR && f.cardinality !== MAP ? wireTypeOf(vp.scalar as ScalarType) : LEN;
      if (f.cardinality === LIST && vp.shape === SCALAR) {
        if (wt !== ewt && wt !== LEN) {
          pos = skipField(buf, pos, end, wt, num);
          continue;
        }
        scalarLists ??= new Map();
        let state = scalarLists.get(f);
        if (state === undefined) {
          state = { count: 0, seen: undefined };
          scalarLists.set(f, state);
        }
        pos = this.scalarItems(f, buf, pos, end, wt, state, w);
        continue;
      }
      if (wt !== ewt) {
        // A known field with another wire type is an unknown field to protobuf runtimes.
        pos = skipField(buf, pos, end, wt, num);
        continue;
      }
      let vs = pos;
      let ve: number;
      if (wt === LEN) {
        vs = readLength(buf, pos, end);
        ve = vs + varint.lo;
      } else ve = skipField(buf, pos, end, wt, num);
      pos = ve;
      if (f.cardinality === LIST) {
        const index = ends[f.slot] as number;
        ends[f.slot] = index + 1;
        if (vp.shape === MESSAGE && vp.plan === null) continue;
        if (vp.shape === WRAPPER || vp.shape === TIME) {
          if (vp.check === undefined) continue;
          w.leaf = f.name;
          w.leafIndex = index;
          vp.check(this.plainValue(vp, buf, vs, ve), w);
          continue;
        }
        w.path.push(f.name, index);
        this.#value(vp, buf, vs, ve, w, depth);
        w.path.length -= 2;
      } else if (f.cardinality === MAP) {
        maps ??= new Map();
        let entries = maps.get(f);
        if (entries === undefined) {
          entries = [];
          maps.set(f, entries);
        }
        entries.push(vs, ve);
      } else {
        const slot = f.slot;
        if (vp.shape !== SCALAR && (starts[slot] as number) >= 0 && members[slot] === f.member) {
          this.merged(plan, buf, start, end, w, depth, mark);
          return;
        }
        starts[slot] = vs;
        ends[slot] = ve;
        members[slot] = f.member;
      }
    }
    for (const f of plan.fields) {
      if (f.cardinality === LIST) {
        const n = f.value.shape === SCALAR ? (scalarLists?.get(f)?.count ?? 0) : (ends[f.slot] as number);
        if ((n === 0 && f.ignoreEmpty) || f.countCheck === undefined) continue;
        w.leaf = f.name;
        w.leafIndex = undefined;
        f.countCheck(n, w);
      } else if (f.cardinality === MAP) {
        this.mapAt(f, buf, maps?.get(f) ?? [], w, depth);
      } else {
        this.#singular(f, buf, starts[f.slot] as number, ends[f.slot] as number, w, depth);
      }
    }
    for (const o of plan.oneofs) {
      const vs = starts[o.slot] as number;
      if (vs < 0) {
        if (o.required) {
          w.leaf = o.name;
          w.leafIndex = undefined;
          w.report("oneof.required", `one of ${o.allMembers} must be set`);
        }
        continue;
      }
      this.#singular(o.memberList[members[o.slot] as number] as FieldPlan, buf, vs, ends[o.slot] as number, w, depth);
    }
  }

  #singular(f: FieldPlan, buf: Uint8Array, vs: number, ve: number, w: Walk, depth: number): void {
    const vp = f.value;
    if (vs < 0) {
      if (vp.shape === SCALAR) {
        if (f.explicitPresence || vp.check === undefined) return;
        w.leaf = f.name;
        w.leafIndex = undefined;
        vp.check(vp.zero, w);
      } else if (vp.required !== undefined) {
        w.leaf = f.name;
        w.leafIndex = undefined;
        w.report(vp.required.rule, vp.required.message);
      }
      return;
    }
    if (vp.shape === SCALAR || vp.shape === WRAPPER || vp.shape === TIME) {
      if (vp.check === undefined) return;
      const onBytes = vp.scalar === ScalarType.STRING ? (vp.check as StringCheck).onBytes : undefined;
      if (onBytes !== undefined && !onBytes(buf, vs, ve)) return;
      w.leaf = f.name;
      w.leafIndex = undefined;
      vp.check(this.plainValue(vp, buf, vs, ve), w);
      return;
    }
    w.path.push(f.name);
    this.#value(vp, buf, vs, ve, w, depth);
    w.path.pop();
  }

  /** A message or an `Any` at the current path. */
  #value(vp: ValuePlan, buf: Uint8Array, vs: number, ve: number, w: Walk, depth: number): void {
    if (vp.shape === MESSAGE) {
      if (vp.plan !== null) (vp.plan.wireFn ?? this.compile(vp.plan))(buf, vs, ve, w, depth + 1);
      return;
    }
    this.anyAt(vp, buf, vs, ve, w, depth + 1);
  }

  /** Map entries: the last entry of a key wins; a missing key or value reads as its zero value. */
  mapAt(f: FieldPlan, buf: Uint8Array, ranges: readonly number[], w: Walk, depth: number): void {
    const keyType = f.mapKey as ScalarType;
    const vp = f.value;
    const valueWireType = vp.shape === SCALAR ? wireTypeOf(vp.scalar as ScalarType) : LEN;
    const byKey = new Map<unknown, [number, number]>();
    for (let i = 0; i < ranges.length; i += 2) {
      const s = ranges[i] as number;
      const e = ranges[i + 1] as number;
      let ks = -1;
      let ke = -1;
      let vs = -1;
      let ve = -1;
      for (let pos = s; pos < e; ) {
        pos = readVarint(buf, pos, e);
        const tag = varint.lo >>> 0;
        const num = tag >>> 3;
        const wt = tag & 7;
        const at = pos;
        let valueStart = pos;
        if (wt === LEN) {
          valueStart = readLength(buf, pos, e);
          pos = valueStart + varint.lo;
        } else pos = skipField(buf, pos, e, wt, num);
        if (num === 1 && wt === wireTypeOf(keyType)) {
          ks = wt === LEN ? valueStart : at;
          ke = pos;
        } else if (num === 2 && wt === valueWireType) {
          vs = wt === LEN ? valueStart : at;
          ve = pos;
        }
      }
      byKey.set(ks < 0 ? zeroOf(keyType) : scalarAt(buf, ks, ke, keyType), [vs, ve]);
    }
    if (byKey.size === 0 && f.ignoreEmpty) return;
    if (f.countCheck !== undefined) {
      w.leaf = f.name;
      w.leafIndex = undefined;
      f.countCheck(byKey.size, w);
    }
    for (const [key, [vs, ve]] of byKey) {
      const k = key as string | number | bigint | boolean;
      if (f.keyCheck !== undefined) {
        w.leaf = f.name;
        w.leafIndex = new MapKey(k);
        f.keyCheck(key, w);
      }
      // A missing message value decodes as an empty message, never as "sparse".
      const s = Math.max(vs, 0);
      const e = vs < 0 ? 0 : ve;
      if (vp.shape === SCALAR || vp.shape === WRAPPER || vp.shape === TIME) {
        if (vp.check === undefined) continue;
        w.leaf = f.name;
        w.leafIndex = new MapKey(k);
        vp.check(vs < 0 && vp.shape === SCALAR ? vp.zero : this.plainValue(vp, buf, s, e), w);
        continue;
      }
      if (vp.shape === MESSAGE && vp.plan === null) continue;
      w.path.push(f.name, new MapKey(k));
      this.#value(vp, buf, s, e, w, depth);
      w.path.length -= 2;
    }
  }
}

/** Whether `buf[start, end)` holds exactly `bytes` (compared from the end, where type URLs differ). */
function sameBytes(bytes: Uint8Array, buf: Uint8Array, start: number, end: number): boolean {
  if (bytes.length !== end - start) return false;
  for (let i = bytes.length - 1; i >= 0; i--) if (bytes[i] !== buf[start + i]) return false;
  return true;
}

function unknownType(typeUrl: string, w: Walk): void {
  w.reportHere("any.type", typeUrl === "" ? "has no type URL" : `names a type the validator does not know: "${typeUrl}"`, typeUrl);
}
