export { registerDeltaServices, type DeltaServicesOptions } from "./delta-routes.js";
export { DELTA_SERVICES, type DeltaService } from "./delta-services.js";
export { createDeltaStreamHandler, type DeltaStreamHandler, type DeltaStreamOptions } from "./delta-stream.js";
export { deltaResourceBytes, encodeDeltaResponseBytes } from "./encode-delta-bytes.js";
export { deltaResource, encodeDeltaResponse } from "./encode-delta-response.js";
export { type DeltaEncoder, runDeltaStream } from "./run-delta-stream.js";
export { requestReadError, toConnectError } from "./to-connect-error.js";
