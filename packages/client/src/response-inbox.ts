import type { ConnectError } from "@connectrpc/connect";
import { ClientError } from "./client-error.js";
import type { ClientResponse } from "./client-response.js";

/**
 * The responses not yet taken, and everything that waits: for a response
 * (`next`) or for a condition on the client's state (`waitFor`). Waits are
 * re-checked on every change and fail with a {@link ClientError} on timeout
 * or once the stream has ended.
 */
export class ResponseInbox {
  readonly #responses: ClientResponse[] = [];
  readonly #listeners = new Set<() => void>();
  /** `null` while the stream runs; then `undefined` (clean end or close) or the error that ended it. */
  #ended: ConnectError | undefined | null = null;

  push(response: ClientResponse): void {
    this.#responses.push(response);
  }

  /** Re-checks every wait: call after anything a wait may look at changed. */
  changed(): void {
    for (const listener of [...this.#listeners]) listener();
  }

  /** The stream ended: waits that are not met now fail. */
  end(error: ConnectError | undefined): void {
    this.#ended = error;
    this.changed();
  }

  /** The oldest response not yet taken (of one type, if given). */
  next(typeUrl: string | undefined, timeoutMs: number): Promise<ClientResponse> {
    return this.#until(
      () => {
        const i = this.#responses.findIndex((r) => typeUrl === undefined || r.typeUrl === typeUrl);
        return i < 0 ? undefined : this.#responses.splice(i, 1)[0];
      },
      timeoutMs,
      `response${typeUrl ? ` of ${typeUrl}` : ""}`,
    );
  }

  waitFor(holds: () => boolean, timeoutMs: number): Promise<void> {
    return this.#until(() => (holds() ? true : undefined), timeoutMs, "the awaited state").then(() => undefined);
  }

  #until<T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#listeners.delete(attempt);
      };
      const attempt = (): void => {
        const value = check();
        if (value !== undefined) {
          done();
          resolve(value);
        } else if (this.#ended !== null) {
          done();
          reject(new ClientError(this.#ended ? "stream" : "closed", `stream ended while waiting for ${what}`, this.#ended));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new ClientError("timeout", `no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#listeners.add(attempt);
      attempt();
    });
  }
}
