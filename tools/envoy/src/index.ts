export { ensureEnvoy, envoyVersion, EnvoyInstallError, versionOf } from "./install-envoy.js";
export { withInstallLock } from "./install-lock.js";
export { startEnvoy, EnvoyProcessError, type ConfigDump, type EnvoyOptions, type EnvoyProcess } from "./envoy-process.js";
export { get, startUpstream, type GetOptions, type HttpAnswer, type Upstream } from "./loopback.js";
export { bootstrapFor, configSource, type BootstrapOptions, type XdsAddress, type XdsMode } from "./bootstrap.js";
