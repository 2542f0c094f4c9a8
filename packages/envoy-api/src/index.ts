// The package root loads the whole API (about 700 files). To load only what
// you use, import a file by its subpath instead, for example
// "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb".
export { envoyFiles, envoyRegistry } from "./registry.js";
