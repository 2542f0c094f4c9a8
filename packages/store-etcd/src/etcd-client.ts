import { circuitBreaker, ConsecutiveBreaker, ExponentialBackoff, handleWhen, retry } from "cockatiel";
import { Etcd3, isRecoverableError, type IOptions } from "etcd3";

/** Options of {@link createEtcdClient}. */
export interface EtcdClientOptions {
  /** Client URLs of the etcd members (`http://10.0.0.1:2379`); calls go to any of them. */
  readonly endpoints: readonly string[];
  /** Deadline of each unary call (reads, writes), in milliseconds. Default 5000. */
  readonly callTimeoutMs?: number | undefined;
  /**
   * How long a member that failed three calls in a row is skipped before it is
   * tried again, in milliseconds. Default 1000 (etcd3's own default is 5 s,
   * which delays recovery after the whole cluster was down).
   */
  readonly memberCooldownMs?: number | undefined;
  /** TLS and auth, passed through to etcd3. Default: plaintext, no auth. */
  readonly credentials?: IOptions["credentials"] | undefined;
  /** User name and password, passed through to etcd3. Default: no auth. */
  readonly auth?: IOptions["auth"] | undefined;
}

/**
 * An `etcd3` client set up for a control plane: every call has a deadline, a
 * call that fails or times out on one member is tried again on another (up to
 * 4 more times, 100 ms to 1 s apart, so a write survives a leader election), a
 * failing member is skipped for a short cooldown, connections are kept
 * alive with HTTP/2 pings so a dead peer is noticed, and received messages
 * have no size limit (etcd's own client has none either: a watch catch-up
 * can exceed grpc-js's 4 MiB default). Close it with `close()`.
 */
export function createEtcdClient(options: EtcdClientOptions): Etcd3 {
  if (options.endpoints.length === 0) throw new TypeError("createEtcdClient needs at least one endpoint");
  const callTimeoutMs = options.callTimeoutMs ?? 5_000;
  const cooldown = options.memberCooldownMs ?? 1_000;
  return new Etcd3({
    hosts: [...options.endpoints],
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    ...(options.auth === undefined ? {} : { auth: options.auth }),
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + callTimeoutMs }),
    grpcOptions: {
      // grpc-js refuses messages over 4 MiB by default; a watch catch-up or a page of a
      // range can be larger, and a refused message would be asked for again forever.
      "grpc.max_receive_message_length": -1,
      "grpc.keepalive_time_ms": 10_000,
      "grpc.keepalive_timeout_ms": 5_000,
      "grpc.initial_reconnect_backoff_ms": 200,
      "grpc.max_reconnect_backoff_ms": 2_000,
    },
    faultHandling: {
      host: () => circuitBreaker(handleWhen(isRecoverableError), { halfOpenAfter: cooldown, breaker: new ConsecutiveBreaker(3) }),
      // A call in flight when the leader dies times out (etcd: "request timed out, possibly due
      // to previous leader failure"); the next attempt, on any member, lands after the election.
      global: retry(handleWhen(isRecoverableError), { maxAttempts: 4, backoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 1_000 }) }),
    },
  });
}
