// Sizes of etcd transaction requests as etcd measures them against
// --max-request-bytes (the marshalled raft request), computed from protobuf's
// wire format so a write that etcd would refuse is refused here first, with
// the resource named.

/** etcd's default `--max-request-bytes`. */
export const ETCD_DEFAULT_MAX_REQUEST_BYTES = 1_572_864;
/** etcd's default `--max-txn-ops`. */
export const ETCD_DEFAULT_MAX_TXN_OPS = 128;
/** The raft request's own header and the txn field around the request. */
const RAFT_OVERHEAD = 64;

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    size++;
  }
  return size;
}

/** A length-delimited field: tag, length, bytes. */
const field = (length: number): number => 1 + varintSize(length) + length;

/** Bytes one put adds to a txn request. */
export function putOpSize(keyBytes: number, valueBytes: number): number {
  return field(field(field(keyBytes) + field(valueBytes)));
}

/** Bytes one single-key delete adds to a txn request. */
export function deleteOpSize(keyBytes: number): number {
  return field(field(field(keyBytes)));
}

/** Bytes a mod-revision compare over a key range adds to a txn request. */
export function rangeCompareSize(keyBytes: number, rangeEndBytes: number): number {
  // result, target, key, mod_revision (≤ 10 bytes), range_end (tag 64: 2 bytes)
  return field(2 + 2 + field(keyBytes) + 11 + 1 + field(rangeEndBytes));
}

/** What etcd compares with --max-request-bytes, given the ops' sizes. */
export function txnRequestSize(opSizes: Iterable<number>): number {
  let total = RAFT_OVERHEAD;
  for (const size of opSizes) total += size;
  return total;
}
