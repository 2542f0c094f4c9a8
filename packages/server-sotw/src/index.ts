export { encodeSotwResponseBytes, resourceAnyBytes } from "./encode-sotw-bytes.js";
export { encodeSotwResponse, resourceAny } from "./encode-sotw-response.js";
export { fetchDiscovery, type FetchCall, type FetchOutcome } from "./fetch-discovery.js";
export { createFetchHandler, type FetchHandler, type FetchHandlerOptions } from "./fetch-handler.js";
export { runSotwStream, type SotwEncoder } from "./run-sotw-stream.js";
export { registerSotwServices, type SotwServicesOptions } from "./sotw-routes.js";
export { SOTW_SERVICES, type SotwService } from "./sotw-services.js";
export { createSotwStreamHandler, type SotwStreamHandler, type SotwStreamOptions } from "./sotw-stream.js";
export { requestReadError, toConnectError } from "./to-connect-error.js";
