// The cleartext port's protocol sniffing (h2c or HTTP/1.1) over real sockets: the connection goes
// to the server that speaks its protocol with what was read put back, and nothing of what was
// read is kept once it is handed on. A kept first chunk is a view into a buffer that other
// connections' chunks share: idle-1000 kept 66 buffers of 64 KiB (4.4 KB per connection) until
// the sniffer stopped holding it in a closure that lives as long as the connection.
import { EventEmitter, once } from "node:events";
import type * as http from "node:http";
import type * as http2 from "node:http2";
import * as net from "node:net";
import { setImmediate as nextTurn } from "node:timers/promises";
import { queryObjects } from "node:v8";
import { afterEach, describe, expect, it } from "vitest";
import { cleartextDemux } from "./cleartext-demux.js";
import { until } from "./test-fixtures.test-helper.js";

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
// A SETTINGS frame with no settings: length 0, type 4, no flags, stream 0.
const EMPTY_SETTINGS = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]);

const open: { close(): void }[] = [];
afterEach(() => {
  for (const o of open.splice(0)) o.close();
});

/** A connection handed to one of the demux's two "servers", with what was put back for it to read. */
interface Handed {
  readonly protocol: "h2" | "h1";
  readonly socket: net.Socket;
  readonly text: string;
}

/** A demux on a loopback port whose two "servers" record the connections handed to them. */
async function startDemux(): Promise<{ port: number; handed: Handed[] }> {
  const handed: Handed[] = [];
  const take = (protocol: "h2" | "h1") => (socket: net.Socket) => {
    handed.push({ protocol, socket, text: (socket.read() as Buffer).toString("latin1") });
  };
  const h2 = new EventEmitter().on("connection", take("h2")) as unknown as http2.Http2Server;
  const h1 = new EventEmitter().on("connection", take("h1")) as unknown as http.Server;
  const server = cleartextDemux(h2, h1, 10_000);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  open.push({ close: () => server.close() });
  return { port: (server.address() as net.AddressInfo).port, handed };
}

async function connect(port: number, writes: Buffer[]): Promise<net.Socket> {
  const socket = net.connect({ host: "127.0.0.1", port });
  socket.on("error", () => {});
  await once(socket, "connect");
  open.push({ close: () => socket.destroy() });
  for (const w of writes) socket.write(w);
  return socket;
}

describe("cleartext protocol sniffing", () => {
  it("hands h2c and HTTP/1.1 to their servers with every byte read put back, a preface cut in two included", async () => {
    const { port, handed } = await startDemux();
    await connect(port, [Buffer.concat([PREFACE, EMPTY_SETTINGS])]);
    await until(() => handed.length === 1);
    // A preface written in two parts (read in two chunks when the second arrives later): handed on with both.
    const split = await connect(port, []);
    split.write(PREFACE.subarray(0, 5));
    await nextTurn();
    split.write(PREFACE.subarray(5));
    await until(() => handed.length === 2);
    await connect(port, [Buffer.from("GET /v3/discovery:clusters HTTP/1.1\r\nhost: x\r\n\r\n")]);
    await until(() => handed.length === 3);
    expect(handed.map((h) => h.protocol)).toEqual(["h2", "h2", "h1"]);
    expect(handed[0]?.text).toBe(Buffer.concat([PREFACE, EMPTY_SETTINGS]).toString("latin1"));
    expect(handed[1]?.text.startsWith(PREFACE.toString("latin1"))).toBe(true);
    expect(handed[2]?.text).toMatch(/^GET \/v3\/discovery:clusters HTTP\/1\.1\r\n/);
  });

  it("keeps nothing it read once the connection is handed on, for as long as the connection lives", async () => {
    const { port, handed } = await startDemux();
    // What the demux puts back into each socket (a weak reference: the test must not keep it).
    const putBack: WeakRef<Buffer>[] = [];
    const unshift = net.Socket.prototype.unshift;
    net.Socket.prototype.unshift = function (this: net.Socket, chunk: Buffer, encoding?: BufferEncoding) {
      putBack.push(new WeakRef(chunk));
      return unshift.call(this, chunk, encoding);
    };
    const n = 20;
    try {
      for (let i = 0; i < n; i += 1) await connect(port, [PREFACE, EMPTY_SETTINGS]);
      await until(() => handed.length === n);
    } finally {
      net.Socket.prototype.unshift = unshift;
    }
    expect(putBack).toHaveLength(n);
    // The recorded sockets stay open (and referenced): only what the demux holds can keep what it read.
    await nextTurn();
    queryObjects(Buffer, { format: "count" }); // collects garbage first
    await nextTurn(); // weak references are cleared once the job that made them has ended
    expect(putBack.filter((r) => r.deref() !== undefined)).toHaveLength(0);
    expect(handed.every((h) => !h.socket.destroyed)).toBe(true);
  });
});
