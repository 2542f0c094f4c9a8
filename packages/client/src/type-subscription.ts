import type { ResourceErrorReport } from "@xdskit/cache-core";
import type { AcceptedState } from "./accepted-state.js";
import type { ClientResponse, ReceivedResource } from "./client-response.js";

/**
 * One type of the stream, protocol-neutral: what the client subscribes to,
 * the last nonce it received, and what it accepted. The protocol streams turn
 * it into requests; ACK and NACK change it here.
 */
export class TypeSubscription {
  readonly names = new Set<string>();
  wildcard = false;
  /** Whether the type's subscription was sent (after its first request). */
  subscribed = false;
  /** The nonce of the last response received, for the next SotW request. */
  nonce = "";
  #version = "";
  #resources = new Map<string, ReceivedResource>();
  readonly #errors = new Map<string, ResourceErrorReport>();
  #acks = 0;
  #nacks = 0;

  /** The version of the last accepted response, sent back as SotW `version_info`. */
  get version(): string {
    return this.#version;
  }

  /** name → per-resource version of what is held: a delta stream's `initial_resource_versions`. */
  heldVersions(): Record<string, string> {
    return Object.fromEntries([...this.#resources].map(([name, r]) => [name, r.version]));
  }

  /** Records a subscription change; returns the names it adds. `"*"` or no names is a wildcard. */
  subscribe(names: readonly string[] | "*" | undefined): string[] {
    const added = names === "*" ? [] : (names ?? []).filter((n) => !this.names.has(n));
    if (names === undefined || names === "*") this.wildcard = true;
    for (const n of added) this.names.add(n);
    return added;
  }

  unsubscribe(names: readonly string[]): void {
    for (const n of names) {
      if (n === "*") this.wildcard = false;
      this.names.delete(n);
      this.#errors.delete(n);
    }
  }

  /** ACK: SotW replaces what is held, delta applies the changes. */
  accept(response: ClientResponse): void {
    if (response.protocol === "sotw") {
      this.#resources = new Map(response.resources.map((r) => [r.name, r]));
    } else {
      for (const r of response.resources) this.#resources.set(r.name, r);
      for (const n of response.removed) this.#resources.delete(n);
    }
    // An error stays until a response carries the resource (xRFC TP3), or a newer error replaces it.
    for (const r of response.resources) this.#errors.delete(r.name);
    for (const e of response.errors) this.#errors.set(e.name, e);
    this.#version = response.version;
    this.#acks++;
  }

  /** NACK: what is held stays as it was. */
  reject(): void {
    this.#nacks++;
  }

  accepted(): AcceptedState {
    return { version: this.#version, resources: this.#resources, errors: this.#errors, acks: this.#acks, nacks: this.#nacks };
  }
}
