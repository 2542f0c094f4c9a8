// Raw HTTP/2 frames on a net.Socket, for attacks no client library sends
// (CONTINUATION floods, SETTINGS and PING floods, rapid resets): the client
// preface, frames built by hand, and what the server answered (GOAWAY).
import { once } from "node:events";
import * as net from "node:net";

export const FRAME = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, CONTINUATION: 9 } as const;
export const FLAG = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4 } as const;
const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

export function frame(type: number, flags: number, streamId: number, payload: Uint8Array = new Uint8Array()): Buffer {
  const out = Buffer.alloc(9 + payload.length);
  out.writeUIntBE(payload.length, 0, 3);
  out[3] = type;
  out[4] = flags;
  out.writeUInt32BE(streamId & 0x7fffffff, 5);
  out.set(payload, 9);
  return out;
}

/** An HPACK block of literal headers without indexing (new names, no Huffman): valid for any header. */
export function headerBlock(headers: ReadonlyArray<readonly [string, string]>): Buffer {
  const parts: Buffer[] = [];
  const literal = (text: string): Buffer => {
    const bytes = Buffer.from(text);
    return Buffer.concat([integer(bytes.length, 7, 0), bytes]);
  };
  for (const [name, value] of headers) parts.push(Buffer.from([0]), literal(name), literal(value));
  return Buffer.concat(parts);
}

// HPACK integer with an n-bit prefix (RFC 7541 5.1).
function integer(value: number, bits: number, high: number): Buffer {
  const max = (1 << bits) - 1;
  if (value < max) return Buffer.from([high | value]);
  const out = [high | max];
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return Buffer.from(out);
}

export const GRPC_HEADERS: ReadonlyArray<readonly [string, string]> = [
  [":method", "POST"],
  [":scheme", "http"],
  [":path", "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources"],
  [":authority", "127.0.0.1"],
  ["content-type", "application/grpc"],
  ["te", "trailers"],
];

export interface RawH2 {
  readonly socket: net.Socket;
  /** Writes frames; false once the socket is gone. */
  send(...frames: Buffer[]): boolean;
  /** Resolves once the server closed the connection, with the first GOAWAY it sent, if any. */
  readonly closed: Promise<{ readonly goawayCode: number | undefined; readonly goawayData: string }>;
}

/** Connects, sends the preface and an empty SETTINGS, and reads the server's frames. */
export async function rawH2(port: number, localAddress = "127.0.0.1"): Promise<RawH2> {
  const socket = net.connect({ host: "127.0.0.1", port, localAddress });
  socket.on("error", () => {});
  await once(socket, "connect");
  let buffered = Buffer.alloc(0);
  let goawayCode: number | undefined;
  let goawayData = "";
  socket.on("data", (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 9) {
      const length = buffered.readUIntBE(0, 3);
      if (buffered.length < 9 + length) break;
      const type = buffered[3];
      const payload = buffered.subarray(9, 9 + length);
      if (type === FRAME.GOAWAY && payload.length >= 8 && goawayCode === undefined) {
        goawayCode = payload.readUInt32BE(4);
        goawayData = payload.subarray(8).toString();
      }
      buffered = buffered.subarray(9 + length);
    }
  });
  const closed = new Promise<{ goawayCode: number | undefined; goawayData: string }>((resolve) =>
    socket.once("close", () => resolve({ goawayCode, goawayData })),
  );
  socket.write(Buffer.concat([PREFACE, frame(FRAME.SETTINGS, 0, 0)]));
  return {
    socket,
    send: (...frames) => {
      if (socket.destroyed) return false;
      socket.write(Buffer.concat(frames));
      return true;
    },
    closed,
  };
}
