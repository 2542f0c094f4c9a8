export { ClientError, type ClientErrorCode } from "./client-error.js";
export { resourceNameInAny } from "./resource-name-in-any.js";
export {
  createXdsClient,
  type ClientResponse,
  type ReceivedResource,
  type TypeState,
  type XdsClient,
  type XdsClientOptions,
} from "./xds-client.js";
