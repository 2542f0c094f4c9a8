import { create } from "@bufbuild/protobuf";
import { AddressSchema, SocketAddressSchema, type Address } from "@xdskit/envoy-api/envoy/config/core/v3/address_pb";

// Internal: a TCP socket address. Callers validate host and port first.
export function socketAddress(host: string, port: number): Address {
  return create(AddressSchema, {
    address: { case: "socketAddress", value: create(SocketAddressSchema, { address: host, portSpecifier: { case: "portValue", value: port } }) },
  });
}
