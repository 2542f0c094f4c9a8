import { type DescMessage, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { ClientStatusRequestSchema, ClientStatusResponseSchema } from "@xdskit/envoy-api/envoy/service/status/v3/csds_pb";
import type { ServerContextState } from "@xdskit/server-core/internal";
import { clientStatusResponse } from "./client-status-service.js";

/**
 * One CSDS answer as bytes, for transports that carry raw messages (grpc-js):
 * `decode` turns the request bytes into a ClientStatusRequest (the caller's
 * size limit and error). Loaded on the first CSDS call, with the CSDS types.
 */
export function answerClientStatus(
  context: ServerContextState,
  decode: <I extends DescMessage>(schema: I) => MessageShape<I>,
): Uint8Array {
  return toBinary(ClientStatusResponseSchema, clientStatusResponse(context, decode(ClientStatusRequestSchema)));
}
