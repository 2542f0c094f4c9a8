export { CacheError, type CacheErrorCode, type CacheErrorDetails } from "./cache-error.js";
export {
  prepareRawResource,
  prepareResource,
  versionMapOf,
  type CachedResource,
  type PrepareResourceOptions,
  type RawResourceInit,
} from "./cached-resource.js";
export type { ChangeFeed, ChangeFollower } from "./change-feed.js";
export { ChangeListeners } from "./change-listeners.js";
export { collectReferences } from "./collect-references.js";
export type { Cache, Cancel, ConfigFetcher, ConfigWatcher, DeltaResponse, FetchResult, SotwResponse } from "./config-watcher.js";
export { findInconsistencies, type ConsistencyOptions, type Inconsistency } from "./find-inconsistencies.js";
export { hashResource } from "./hash-resource.js";
export { silentLogger, type LogFields, type Logger } from "./logger.js";
export { marshalDeterministic, type MarshalOptions } from "./marshal-deterministic.js";
export { nodeIdHash, type NodeHash } from "./node-hash.js";
export type { ResourceReferences } from "./resource-references.js";
export { resourceErrorReport, type ResourceErrorDetail, type ResourceErrorReport } from "./resource-error-report.js";
export {
  createResourceTypeRegistry,
  defaultResourceTypes,
  defineResourceType,
  resourceName,
  resourceReferences,
  type ResourceType,
  type ResourceTypeOptions,
  type ResourceTypeRegistry,
} from "./resource-type-registry.js";
export {
  ABSENT_RESOURCE_VERSION,
  createSubscription,
  isSubscribed,
  WILDCARD_RESOURCE_NAME,
  type MutableSubscription,
  type Subscription,
  type SubscriptionOptions,
} from "./subscription.js";
export {
  ADS_RESPONSE_ORDER,
  CLUSTER_TYPE_URL,
  compareTypeUrls,
  ENDPOINT_TYPE_URL,
  EXTENSION_CONFIG_TYPE_URL,
  LB_ENDPOINT_TYPE_URL,
  LISTENER_TYPE_URL,
  RESOURCE_WRAPPER_TYPE_URL,
  ROUTE_TYPE_URL,
  RUNTIME_TYPE_URL,
  SCOPED_ROUTE_TYPE_URL,
  SECRET_TYPE_URL,
  TYPE_URL_PREFIX,
  typeNameOfUrl,
  typeUrlOf,
  VIRTUAL_HOST_TYPE_URL,
} from "./type-urls.js";
export {
  formatXdstpName,
  isXdstpGlob,
  isXdstpName,
  normalizeResourceName,
  parseXdstpName,
  xdstpCollectionOf,
  type XdstpName,
  type XdstpNameInit,
} from "./xdstp-name.js";
