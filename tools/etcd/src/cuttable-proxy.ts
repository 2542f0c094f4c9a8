import { createServer, Socket } from "node:net";

/**
 * A TCP proxy on 127.0.0.1 (port 0, read back) in front of one target port,
 * whose connections can be cut and refused on demand: a network outage between
 * one client and etcd while etcd itself keeps running and taking writes.
 */
export interface CuttableProxy {
  readonly port: number;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Destroys every open connection and refuses new ones until {@link restore}. */
  cut(): void;
  restore(): void;
  /** Connections accepted while not cut. */
  connections(): number;
  close(): Promise<void>;
}

export async function startCuttableProxy(targetPort: number): Promise<CuttableProxy> {
  const open = new Set<Socket>();
  let cut = false;
  let accepted = 0;
  const server = createServer((client) => {
    if (cut) {
      client.destroy();
      return;
    }
    accepted++;
    const upstream = new Socket();
    open.add(client);
    open.add(upstream);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    upstream.connect(targetPort, "127.0.0.1");
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    cut() {
      cut = true;
      for (const s of open) s.destroy();
      open.clear();
    },
    restore() {
      cut = false;
    },
    connections: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        cut = true;
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
