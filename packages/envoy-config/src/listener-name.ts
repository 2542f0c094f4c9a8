import type { Address } from "@xdskit/envoy-api/envoy/config/core/v3/address_pb";
import type { Listener } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";

// envoy.config.core.v3.SocketAddress.Protocol.UDP (a number, so that this file loads no Envoy type).
const UDP = 1;

/**
 * The name a listener without one is given: its address as Envoy names it in its own listener stats
 * (`listener.0.0.0.0_10000.…`): `0.0.0.0_10000`, `[::]_443`, `0.0.0.0_53_udp`, `pipe_/run/envoy.sock`,
 * `internal_<name>`; `listener` when it has no address (an API listener). Stable: the same address
 * always gives the same name. Envoy itself gives an unnamed listener a random UUID, which a control
 * plane cannot use: over xDS a listener is known by its name.
 */
export function listenerNameOf(address: Address | undefined): string {
  const a = address?.address;
  switch (a?.case) {
    case "socketAddress": {
      const host = a.value.address.includes(":") ? `[${a.value.address}]` : a.value.address;
      const port = a.value.portSpecifier.case === "namedPort" ? a.value.portSpecifier.value : String(a.value.portSpecifier.value ?? 0);
      return `${host}_${port}${a.value.protocol === UDP ? "_udp" : ""}`;
    }
    case "pipe":
      return `pipe_${a.value.path}`;
    case "envoyInternalAddress": {
      const target = a.value.addressNameSpecifier;
      return `internal_${target.case === "serverListenerName" ? target.value : "listener"}${a.value.endpointId === "" ? "" : `_${a.value.endpointId}`}`;
    }
    default:
      return "listener";
  }
}

/**
 * Names every unnamed listener of `listeners` (in place) with {@link listenerNameOf}; a name
 * already taken gets `_2`, `_3`… in list order. Returns the indexes and names given.
 */
export function nameListeners(listeners: readonly Listener[], taken: Iterable<string> = []): { index: number; name: string }[] {
  const used = new Set(taken);
  for (const l of listeners) if (l.name !== "") used.add(l.name);
  const given: { index: number; name: string }[] = [];
  listeners.forEach((l, index) => {
    if (l.name !== "") return;
    const base = listenerNameOf(l.address);
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base}_${n}`;
    used.add(name);
    l.name = name;
    given.push({ index, name });
  });
  return given;
}
