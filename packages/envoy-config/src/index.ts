export { ConfigReadError, type ConfigProblem, type ConfigReadErrorCode, formatProblem } from "./config-problem.js";
export { decodeMessage, type DecodeOptions, type DecodeResult, type ValueProblem } from "./decode-message.js";
export { lazyEnvoyRegistry } from "./lazy-envoy-registry.js";
export { listenerNameOf } from "./listener-name.js";
export type { ConfigFormat } from "./parse-config-text.js";
export { readMessage, type ReadMessageResult } from "./read-message.js";
export { type ConfigResource, type ReadOptions, type ReadResourcesResult, readResources } from "./read-resources.js";
export { createResourceReader, type ResourceReader } from "./resource-reader.js";
export { staticResources, type StaticResourcesOptions, type StaticResourcesResult } from "./static-resources.js";
