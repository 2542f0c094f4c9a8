import type { DescMessage, Message, Registry } from "@bufbuild/protobuf";
import { AnyTypes } from "./any-types.js";
import { ObjectWalker } from "./object-walker.js";
import { PlanCompiler } from "./plan-compiler.js";
import { ValidContentCache } from "./valid-content-cache.js";
import type { Violation } from "./violation.js";
import { formatPath, Walk, WalkAborted, type WalkLimits } from "./walk.js";
import { WireWalker } from "./wire-walker.js";

/**
 * Everything compiled for one registry: the plans of its message types (built on first use,
 * then kept) and the walkers that apply them. Validators with the same registry share one.
 */
export class Engine {
  readonly compiler = new PlanCompiler();
  readonly anys: AnyTypes;
  readonly #objects: ObjectWalker;
  readonly #wire: WireWalker;

  constructor(
    readonly registry: Registry,
    generate: boolean,
  ) {
    this.anys = new AnyTypes(registry, this.compiler);
    this.#objects = new ObjectWalker(this.anys, generate);
    this.#wire = new WireWalker(this.#objects, this.anys, generate, new ValidContentCache());
    this.#objects.wire = this.#wire;
  }

  // One walk, reused: validation is synchronous; a check that validates from inside one gets its own.
  readonly #walk = new Walk();
  #busy = false;

  /** Every PGV violation of a protobuf-es message of type `desc`, recursively through `Any`. */
  validateObject(desc: DescMessage, message: Message, typeUrl: string, name: string, limits: WalkLimits): readonly Violation[] {
    const plan = this.compiler.planFor(desc);
    if (plan === null) return NONE;
    const w = this.#start(typeUrl, name, limits);
    w.root = message;
    w.rootDesc = desc;
    try {
      this.#objects.descend(plan, message, w, 0);
    } catch (error) {
      this.#failed(w, error);
    }
    return this.#finish(w);
  }

  /** The same for an encoded message; bytes that do not decode are a `resource.decode` violation. */
  validateBytes(desc: DescMessage, bytes: Uint8Array, typeUrl: string, name: string, limits: WalkLimits): readonly Violation[] {
    const plan = this.compiler.planFor(desc);
    if (plan === null) return NONE;
    const w = this.#start(typeUrl, name, limits);
    try {
      this.#wire.whole(plan, bytes, w, 0, "resource.decode");
    } catch (error) {
      this.#failed(w, error);
    }
    return this.#finish(w);
  }

  #start(typeUrl: string, name: string, limits: WalkLimits): Walk {
    const w = this.#busy ? new Walk() : this.#walk;
    this.#busy = true;
    w.reset(typeUrl, name, limits);
    return w;
  }

  #finish(w: Walk): readonly Violation[] {
    if (w === this.#walk) this.#busy = false;
    const found = w.violations;
    w.root = undefined;
    return found.length === 0 ? NONE : found;
  }

  #failed(w: Walk, error: unknown): void {
    if (error instanceof WalkAborted) return;
    // A message object that is not what its type says (a number where a list belongs, …).
    const why = error instanceof Error ? error.message : String(error);
    try {
      w.add(formatPath(w.path), "message.malformed", `could not be read: ${why}`);
    } catch {
      // over maxViolations: already said so
    }
  }
}

const NONE: readonly Violation[] = Object.freeze([]);

const compiled = new WeakMap<Registry, Engine>();
const interpreted = new WeakMap<Registry, Engine>();

/** The engine of a registry, shared by every validator that uses it (and the same `generate`). */
export function engineFor(registry: Registry, generate: boolean): Engine {
  const engines = generate ? compiled : interpreted;
  let engine = engines.get(registry);
  if (engine === undefined) {
    engine = new Engine(registry, generate);
    engines.set(registry, engine);
  }
  return engine;
}
