export { ConfigReadError, type ConfigProblem, type ConfigReadErrorCode, formatProblem } from "./config-problem.js";
export { decodeMessage, type DecodeOptions, type DecodeResult, type ValueProblem } from "./decode-message.js";
// The registry readResources and convertStaticConfig usually take, from its home in envoy-api.
export { lazyEnvoyRegistry } from "@xdskit/envoy-api/lazy-registry";
export { listenerNameOf } from "./listener-name.js";
export type { ConfigFormat } from "./parse-config-text.js";
export { readMessage, type ReadMessageResult } from "./read-message.js";
export { type ConfigResource, type ReadOptions, type ReadResourcesResult, readResources } from "./read-resources.js";
export {
  createPreparingResourceReader,
  createResourceReader,
  type PreparedReadResult,
  type PreparedResource,
  type PreparingReaderOptions,
  type PreparingResourceReader,
  type ResourceReader,
} from "./resource-reader.js";
export { staticResources, type StaticResourcesOptions, type StaticResourcesResult } from "./static-resources.js";
export { convertStaticConfig, type ConvertOptions, type ConvertResult } from "./convert-static-config.js";
export { toYaml } from "./to-yaml.js";
