import type { ResourceErrorReport } from "@xdskit/cache-core";
import type { ReceivedResource } from "./client-response.js";

/** What the client accepted (ACKed) for one type, and how many responses of it it ACKed and NACKed. */
export interface AcceptedState {
  /** The version of the last accepted response ("" before the first). */
  readonly version: string;
  /** The accepted resources by name. */
  readonly resources: ReadonlyMap<string, ReceivedResource>;
  /**
   * The last error the server reported per name (`resource_errors`), kept
   * across responses until a response carries the resource or the name is
   * unsubscribed, as xRFC TP3 asks of clients. A name may have both a
   * resource here and an error (its last good version is kept).
   */
  readonly errors: ReadonlyMap<string, ResourceErrorReport>;
  /** How many responses of the type were ACKed. */
  readonly acks: number;
  /** How many responses of the type were NACKed. */
  readonly nacks: number;
}
