export type { AcceptedState } from "./accepted-state.js";
export { ClientError, type ClientErrorCode } from "./client-error.js";
export type { ClientResponse, ReceivedResource } from "./client-response.js";
export type { ResourceErrorReport } from "@xdskit/cache-core";
export { resourceNameInAny } from "./resource-name-in-any.js";
export { createXdsClient, type XdsClient, type XdsClientOptions } from "./xds-client.js";
