/**
 * What went wrong, as a stable string:
 * - `invalid-key`: a group, type URL or name cannot be written as a key (empty, or a group with `/`).
 * - `invalid-resource`: a resource does not decode as its type, is named differently from its key,
 *   has an unknown type, or fails the injected validator.
 * - `too-large`: the request would exceed etcd's request size limit (`--max-request-bytes`).
 * - `too-many-operations`: a transaction would exceed etcd's `--max-txn-ops`.
 * - `conflict`: a `replace` kept losing to concurrent writers and gave up.
 * - `unavailable`: etcd could not be reached or did not answer in time.
 * - `etcd-error`: etcd refused the request for another reason.
 * - `closed`: the mirror was closed before its first load (`start()` rejects with it).
 */
export type EtcdStoreErrorCode =
  | "invalid-key"
  | "invalid-resource"
  | "too-large"
  | "too-many-operations"
  | "conflict"
  | "unavailable"
  | "etcd-error"
  | "closed";

/** Details attached to an {@link EtcdStoreError}; each names what was involved. */
export interface EtcdStoreErrorDetails {
  /** The etcd key involved, when there is one. */
  readonly key?: string | undefined;
  /** The node group involved, when there is one. */
  readonly group?: string | undefined;
  /** The type URL involved, when there is one. */
  readonly typeUrl?: string | undefined;
  /** The resource involved, when there is one. */
  readonly resourceName?: string | undefined;
  /** The underlying error (etcd, decoding, validation). */
  readonly cause?: unknown;
}

/** The one error type of `@xdskit/store-etcd`. */
export class EtcdStoreError extends Error {
  /** The class name, for logs. */
  override readonly name = "EtcdStoreError";
  /** What went wrong, as a stable string (see {@link EtcdStoreErrorCode}). */
  readonly code: EtcdStoreErrorCode;
  /** The etcd key involved, when there is one. */
  readonly key: string | undefined;
  /** The node group involved, when there is one. */
  readonly group: string | undefined;
  /** The type URL involved, when there is one. */
  readonly typeUrl: string | undefined;
  /** The resource involved, when there is one. */
  readonly resourceName: string | undefined;

  constructor(code: EtcdStoreErrorCode, message: string, details: EtcdStoreErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.key = details.key;
    this.group = details.group;
    this.typeUrl = details.typeUrl;
    this.resourceName = details.resourceName;
  }
}
