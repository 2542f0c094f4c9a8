// A held port and what it keeps (hold-port.ts makes it, listen-xds.ts takes
// it over), apart from hold-port.ts so that its public entry point
// (`@xdskit/server/hold-port`) exports only what users call.
import type * as net from "node:net";

/**
 * A listening port whose connections wait, unread, for a server: give it to
 * `XdsServer.listen({ heldPort })`, which takes the port and every waiting
 * connection. Made by `holdPort`.
 */
export interface HeldPort {
  /** The port it is bound to (the one the system chose, for port 0). */
  readonly port: number;
  /** The address it is bound to. */
  readonly host: string;
  /** Connections accepted and waiting for a server now. */
  readonly waiting: number;
  /** Whether a server has taken the port (`listen({ heldPort })`). */
  readonly taken: boolean;
  /**
   * Closes the port and every waiting connection, for a process that will
   * not serve it after all. Does nothing once a server has taken the port
   * (close that server instead).
   */
  release(): Promise<void>;
}

/** What a server takes over from a held port. */
export interface HeldPortTakeover {
  /** The listening net.Server whose handle the taking server listens on. */
  readonly listening: net.Server;
  /** Connections accepted so far, paused, oldest first. */
  readonly sockets: readonly net.Socket[];
  /** The accept queue length the port was bound with, kept when the server takes it. */
  readonly backlog: number;
}

/** A held port's listening server, its waiting connections, and whether a server took it. */
export interface HeldState {
  readonly server: net.Server;
  readonly backlog: number;
  /** Waiting connections, with the close listener that drops each. */
  readonly sockets: Map<net.Socket, () => void>;
  readonly onConnection: (socket: net.Socket) => void;
  status: "holding" | "taken" | "released";
}

const held = new WeakMap<HeldPort, HeldState>();

/** Records the state behind a held port made by `holdPort`. */
export function registerHeldPort(heldPort: HeldPort, state: HeldState): void {
  held.set(heldPort, state);
}

/** The error listener of a waiting connection: a client that gives up is dropped by its close listener. */
export function ignoreError(): void {}

/**
 * The state of a port still held, for a server about to take it. Throws a
 * TypeError for a port not made by `holdPort`, released, or taken already.
 */
export function holdingState(heldPort: HeldPort): HeldState {
  const state = held.get(heldPort);
  if (state === undefined) throw new TypeError("listen: heldPort was not made by holdPort()");
  if (state.status !== "holding") throw new TypeError(`listen: the held port ${heldPort.port} was ${state.status} already`);
  return state;
}

/**
 * Takes a held port for a server: stops keeping connections and returns the
 * listening handle's server and the waiting connections. Throws a TypeError
 * for a port not made by `holdPort`, released, or taken already.
 */
export function takeHeldPort(heldPort: HeldPort): HeldPortTakeover {
  const state = holdingState(heldPort);
  state.status = "taken";
  state.server.off("connection", state.onConnection);
  const sockets = [...state.sockets.keys()];
  for (const [socket, drop] of state.sockets) {
    socket.off("error", ignoreError);
    socket.off("close", drop);
  }
  state.sockets.clear();
  return { listening: state.server, sockets, backlog: state.backlog };
}
