import type { DescMessage, Message, Registry } from "@bufbuild/protobuf";
import { AnyTypes } from "./any-types.js";
import { ObjectWalker } from "./object-walker.js";
import { PlanCompiler } from "./plan-compiler.js";
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
    this.#wire = new WireWalker(this.#objects, this.anys, generate);
    this.#objects.wire = this.#wire;
  }

  /** Every PGV violation of a protobuf-es message of type `desc`, recursively through `Any`. */
  validateObject(desc: DescMessage, message: Message, typeUrl: string, name: string, limits: WalkLimits): Violation[] {
    return this.#run(typeUrl, name, limits, (w) => {
      const plan = this.compiler.planFor(desc);
      w.root = message;
      w.rootDesc = desc;
      if (plan !== null) this.#objects.descend(plan, message, w, 0);
    });
  }

  /** The same for an encoded message; bytes that do not decode are a `resource.decode` violation. */
  validateBytes(desc: DescMessage, bytes: Uint8Array, typeUrl: string, name: string, limits: WalkLimits): Violation[] {
    return this.#run(typeUrl, name, limits, (w) => {
      const plan = this.compiler.planFor(desc);
      if (plan !== null) this.#wire.content(plan, bytes, 0, bytes.length, w, 0, "resource.decode");
    });
  }

  #run(typeUrl: string, name: string, limits: WalkLimits, body: (w: Walk) => void): Violation[] {
    const w = new Walk(typeUrl, name, limits);
    try {
      body(w);
    } catch (error) {
      if (!(error instanceof WalkAborted)) {
        // A message object that is not what its type says (a number where a list belongs, …).
        const where = formatPath(w.path);
        const why = error instanceof Error ? error.message : String(error);
        w.violations.push({ typeUrl, resourceName: name, field: where, rule: "message.malformed", message: `could not be read: ${why}` });
      }
    }
    return w.violations;
  }
}

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
