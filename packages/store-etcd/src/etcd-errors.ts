import { isBrokenCircuitError } from "cockatiel";
import { GRPCCancelledError, GRPCDeadlineExceededError, GRPCUnavailableError, isRecoverableError } from "etcd3";
import { EtcdStoreError, type EtcdStoreErrorDetails } from "./etcd-store-error.js";

/** Whether an etcd3 error means etcd could not be reached or did not answer (worth retrying later). */
export function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return (
    error instanceof GRPCUnavailableError ||
    error instanceof GRPCDeadlineExceededError ||
    error instanceof GRPCCancelledError ||
    isBrokenCircuitError(error) ||
    isRecoverableError(error)
  );
}

/** An etcd3 error as an {@link EtcdStoreError}, with `doing` saying what failed. */
export function storeErrorOf(error: unknown, doing: string, details: EtcdStoreErrorDetails = {}): EtcdStoreError {
  if (error instanceof EtcdStoreError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/request is too large/.test(message)) {
    return new EtcdStoreError("too-large", `${doing}: etcd refused the request as too large (its --max-request-bytes is lower than this writer's maxRequestBytes): ${message}`, {
      ...details,
      cause: error,
    });
  }
  if (/too many operations in txn request/.test(message)) {
    return new EtcdStoreError("too-many-operations", `${doing}: etcd refused the transaction: ${message} (its --max-txn-ops is lower than this writer's maxTxnOps)`, {
      ...details,
      cause: error,
    });
  }
  if (isUnavailable(error)) {
    return new EtcdStoreError("unavailable", `${doing}: etcd is unavailable: ${message}`, { ...details, cause: error });
  }
  return new EtcdStoreError("etcd-error", `${doing}: ${message}`, { ...details, cause: error });
}
