import type { DescField, DescMessage, ScalarType } from "@bufbuild/protobuf";
import type { Check } from "./rule-reader.js";
import type { Walk } from "./walk.js";

// How a value is read and what is checked about it, shared by the object and the wire walker.
/** A string, bytes, number, bool or enum. */
export const SCALAR = 0;
/** A google.protobuf.*Value wrapper whose rules apply to the wrapped value. */
export const WRAPPER = 1;
/** A google.protobuf.Duration or Timestamp. */
export const TIME = 2;
/** A google.protobuf.Any: its own rules, then its content, validated with the type it names. */
export const ANY = 3;
/** Any other message: descended into when its type has anything to check. */
export const MESSAGE = 4;
export type Shape = typeof SCALAR | typeof WRAPPER | typeof TIME | typeof ANY | typeof MESSAGE;

export const SINGULAR = 0;
export const LIST = 1;
export const MAP = 2;
export type Cardinality = typeof SINGULAR | typeof LIST | typeof MAP;

/** Presence rules: `message.required`, `duration.required`, `any.required`, a required wrapper. */
export interface Requirement {
  readonly rule: string;
  readonly message: string;
}

/** One value: a singular field, a list item or a map value. */
export interface ValuePlan {
  readonly shape: Shape;
  /** The scalar (SCALAR, or the wrapped one for WRAPPER); enums read as INT32. */
  readonly scalar: ScalarType | undefined;
  readonly isEnum: boolean;
  /** TIME: a Timestamp (else a Duration). */
  readonly timestamp: boolean;
  readonly check: Check | undefined;
  readonly required: Requirement | undefined;
  /** `message.skip`: nothing below this value is validated. */
  readonly skip: boolean;
  /** MESSAGE: the plan of its type, `null` when that type has nothing to check. */
  plan: MessagePlan | null;
  /** SCALAR / WRAPPER: the value of an absent field (its default). */
  zero: unknown;
  /** ANY: the type URL (as bytes) last seen in this field and what it resolved to. */
  lastUrl: Uint8Array | undefined;
  lastTarget: MessagePlan | null;
}

export interface FieldPlan {
  readonly field: DescField;
  /** The proto field name, as paths show it. */
  readonly name: string;
  /** The property of the protobuf-es message. */
  readonly key: string;
  readonly number: number;
  readonly cardinality: Cardinality;
  /** A proto3 `optional` scalar: rules apply only when it is set, as in Go. */
  readonly explicitPresence: boolean;
  readonly value: ValuePlan;
  /** LIST / MAP: min/max items or pairs, checked against the count. */
  readonly countCheck: Check | undefined;
  readonly unique: boolean;
  /** LIST / MAP ignore_empty: an empty one skips every rule. */
  readonly ignoreEmpty: boolean;
  readonly noSparse: boolean;
  /** MAP: the key type and its rules. */
  readonly mapKey: ScalarType | undefined;
  readonly keyCheck: Check | undefined;
  /** The oneof this field is a member of. */
  readonly oneof: OneofPlan | undefined;
  /** Wire walk: where the last occurrence of a singular field (or its oneof) is kept. */
  slot: number;
  /** Wire walk: the position of this member in its oneof. */
  member: number;
}

export interface OneofPlan {
  readonly name: string;
  readonly key: string;
  readonly required: boolean;
  /** Every member with anything to check, by protobuf-es case name. */
  readonly members: Map<string, FieldPlan>;
  readonly memberList: FieldPlan[];
  /** The names of all its members, for the message of a missing required oneof. */
  readonly allMembers: string;
  slot: number;
}

/** What to check in a message of one type. */
export interface MessagePlan {
  readonly desc: DescMessage;
  /** Fields outside oneofs that have anything to check. */
  readonly fields: FieldPlan[];
  readonly oneofs: OneofPlan[];
  /** Wire walk: fields (oneof members too) by field number. */
  readonly byNumber: (FieldPlan | undefined)[];
  /** Wire walk: slots for singular fields and oneofs (their last occurrence) and lists (their count). */
  slots: number;
  /** The compiled walk of message objects of this type, once generated. */
  objectFn: ((m: Record<string, unknown>, w: Walk, d: number) => void) | undefined;
  /** The compiled walk of encoded messages of this type, once generated. */
  wireFn: ((b: Uint8Array, start: number, end: number, w: Walk, d: number) => void) | undefined;
}
