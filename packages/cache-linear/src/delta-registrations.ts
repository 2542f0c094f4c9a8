import type { Subscription } from "@xdskit/cache-core";
import type { DeltaRegistration, DeltaWatch } from "./delta-watch.js";
import { WatchesByName } from "./watches-by-name.js";
import { watchKeysOf } from "./watch-keys.js";

/**
 * The delta subscriptions a linear cache indexes (see DeltaRegistration), and
 * their open watches: a registration is kept across the watches of its
 * subscription and freed once its stream is gone.
 */
export class DeltaRegistrations {
  /** Registrations by the names they cover. */
  readonly index = new WatchesByName<DeltaRegistration>();
  /** Open (pending) watches. */
  open = 0;
  // The registration of each delta subscription, kept across its watches.
  readonly #bySubscription = new WeakMap<Subscription, DeltaRegistration>();
  // A server that never cancels an answered watch would otherwise leave its registration
  // indexed after the stream is gone; once the subscription is collected, it is removed.
  readonly #orphans = new FinalizationRegistry<DeltaRegistration>((reg) => this.unregister(reg));
  // Released registrations (answered or cancelled watches) to look at once the current job ends, with their `attached` then.
  #releasing = new Map<DeltaRegistration, number>();

  /** The registration of `subscription` that a new watch may reuse: registered, idle, same names. */
  reusable(subscription: Subscription): DeltaRegistration | undefined {
    const reg = this.#bySubscription.get(subscription);
    if (reg?.registered && reg.watch === undefined && reg.revision === subscription.namesRevision()) return reg;
    // Its names changed: the old registration goes, unless a watch still holds it.
    if (reg !== undefined && reg.watch === undefined) this.unregister(reg);
    return undefined;
  }

  register(subscription: Subscription): DeltaRegistration {
    const keys = watchKeysOf(subscription);
    const reg: DeltaRegistration = {
      keys,
      exact: new Set(keys.names),
      revision: subscription.namesRevision(),
      watch: undefined,
      stale: new Set(),
      errorsDue: new Set(),
      attached: 0,
      registered: true,
    };
    this.index.add(reg);
    this.#bySubscription.set(subscription, reg);
    this.#orphans.register(subscription, reg, reg);
    return reg;
  }

  unregister(reg: DeltaRegistration): void {
    if (!reg.registered) return;
    reg.registered = false;
    this.index.remove(reg);
    this.#orphans.unregister(reg);
  }

  /** Leaves `watch` open on `reg` until an update answers it or it is cancelled. */
  hold(reg: DeltaRegistration, watch: DeltaWatch): void {
    reg.watch = watch;
    this.open++;
  }

  /** Closes the open watch of `reg`, which an update answers now. */
  answered(reg: DeltaRegistration, watch: DeltaWatch): void {
    reg.watch = undefined;
    watch.open = false;
    this.open--;
  }

  cancel(reg: DeltaRegistration, watch: DeltaWatch): void {
    if (watch.open) {
      watch.open = false;
      if (reg.watch === watch) {
        reg.watch = undefined;
        this.open--;
      }
    }
    this.release(reg);
  }

  // A cancelled or answered watch: the server either watches the subscription again at once
  // (it replaces the watch: cancel, then create, in one go) or the stream ended. Decide after
  // the current job, so that a replacement keeps the registration and an ended stream frees it.
  // One microtask for every release of the job (an update's answers are re-watched by hundreds of ACKs).
  release(reg: DeltaRegistration): void {
    if (!reg.registered || reg.watch !== undefined) return;
    const releasing = this.#releasing;
    if (releasing.size === 0) queueMicrotask(this.#unregisterReleased);
    releasing.set(reg, reg.attached);
  }

  readonly #unregisterReleased = (): void => {
    const releasing = this.#releasing;
    this.#releasing = new Map();
    for (const [reg, attached] of releasing) if (reg.watch === undefined && reg.attached === attached) this.unregister(reg);
  };
}
