// What the primary and its workers say to each other over node:cluster's IPC (advanced
// serialization: structured clone, so resource bytes cross as Uint8Arrays). Internal.

/** Marks our messages among any others the application sends on the same channel. */
export const WORKERS_CHANNEL = "xdskit.workers.v1";

/** Worker → primary. */
export type ToPrimary =
  /** The worker is ready for the state of these feeds, then their changes. */
  { readonly channel: typeof WORKERS_CHANNEL; readonly kind: "follow"; readonly names: readonly string[] };

/** Primary → worker. */
export type ToWorker =
  | {
      readonly channel: typeof WORKERS_CHANNEL;
      readonly kind: "start";
      /** Feed name → its `feedState()`, taken when this message was sent. */
      readonly states: Readonly<Record<string, unknown>>;
      readonly port: number;
      readonly host: string;
    }
  | { readonly channel: typeof WORKERS_CHANNEL; readonly kind: "change"; readonly name: string; readonly change: unknown }
  | { readonly channel: typeof WORKERS_CHANNEL; readonly kind: "close" };

/** Whether an IPC message is one of ours. */
export function isWorkersMessage(message: unknown): message is { readonly channel: typeof WORKERS_CHANNEL; readonly kind: string } {
  return typeof message === "object" && message !== null && (message as { channel?: unknown }).channel === WORKERS_CHANNEL;
}
