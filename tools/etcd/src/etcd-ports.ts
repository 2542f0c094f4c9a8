// Ports for etcd, which cannot bind port 0 for its client and peer URLs (it
// would advertise ":0" and members could not find each other).
//
// Why this is race-free enough to pass every time on a shared machine:
// - Ports come from *below* the kernel's ephemeral range
//   (/proc/sys/net/ipv4/ip_local_port_range). bind(0) and outgoing connect()
//   only ever take ports from that range, so no other test's port-0 server and
//   no outgoing connection can take ours, neither between choosing and binding
//   nor while a member is down for a restart (a restart must rebind the same
//   ports: they are in the cluster's membership and the clients' endpoints).
// - The only other takers are explicit binds of the same port (another copy of
//   this harness choosing the same random port). etcd then fails to bind and
//   exits; the harness sees "address already in use" and starts over with
//   fresh ports. It also asks each started member for the member list and
//   checks its own random cluster token's member names are there, so it never
//   mistakes someone else's etcd for its own.
//
// Unix sockets (`unix://`) were the other option: no ports at all. They were
// not taken because etcd 3.4 derives the socket path from the URL's host
// (relative to its working directory), the example control plane and its CLI
// take `http://host:port` endpoints as production does, and the fault tests
// should exercise the same TCP paths a deployment uses.
import { readFileSync } from "node:fs";
import { createServer } from "node:net";

const WIDTH = 12_000;

/** The range ports are drawn from: the `WIDTH` ports just below the kernel's ephemeral range. */
export function etcdPortRange(): { readonly low: number; readonly high: number } {
  let ephemeralLow = 32_768;
  try {
    const [low] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/);
    if (low !== undefined && Number(low) > 2_048) ephemeralLow = Number(low);
  } catch {
    // not Linux: keep the IANA-ish default
  }
  const high = ephemeralLow - 1;
  return { low: Math.max(1_024, high - WIDTH), high };
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen({ port, host: "127.0.0.1", exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/**
 * `n` distinct ports below the ephemeral range that were bindable on
 * 127.0.0.1 a moment ago (a cheap filter; the caller still handles a bind
 * failure by retrying with fresh ports).
 */
export async function pickEtcdPorts(n: number): Promise<number[]> {
  const { low, high } = etcdPortRange();
  const chosen = new Set<number>();
  for (let tries = 0; chosen.size < n; tries++) {
    if (tries > 1_000) throw new Error(`no ${n} free ports found in ${low}-${high}`);
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (!chosen.has(port) && (await canBind(port))) chosen.add(port);
  }
  return [...chosen];
}
