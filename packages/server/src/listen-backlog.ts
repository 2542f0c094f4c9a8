// Kept apart (no imports) so that the hold-port entry point stays node:net only.

/**
 * Default accept queue length of `listen` and `holdPort`: connections the
 * kernel completes before the server accepts them. Node's own default, 511,
 * is small for a fleet reconnecting at once to a restarted control plane: past
 * it the kernel drops a client's handshake, which the client retries only
 * after a second (measured: ~300 dropped handshakes when 1,000 gRPC clients
 * reconnected). Linux caps it at `net.core.somaxconn` (4,096 by default since
 * kernel 5.4), which is also what Go's listeners use.
 */
export const DEFAULT_LISTEN_BACKLOG = 4096;
