import type { ReceivedResource } from "./client-response.js";

/** What the client accepted (ACKed) for one type, and how many responses of it it ACKed and NACKed. */
export interface AcceptedState {
  /** The version of the last accepted response ("" before the first). */
  readonly version: string;
  /** The accepted resources by name. */
  readonly resources: ReadonlyMap<string, ReceivedResource>;
  /** How many responses of the type were ACKed. */
  readonly acks: number;
  /** How many responses of the type were NACKed. */
  readonly nacks: number;
}
