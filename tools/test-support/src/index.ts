export { type LoggedProcess, type LoggedProcessOptions, type LogLine, PROCESS_START_BOUND_MS, startLoggedProcess } from "./logged-process.js";
export { LOG_LOADS_PRELOAD, type ModulesLoadedOptions, modulesLoadedBy } from "./modules-loaded.js";
export { FLAG, FRAME, frame, GRPC_HEADERS, headerBlock, type RawH2, rawH2 } from "./raw-h2.js";
export { type MetricPoint, PullMetricReader } from "./pull-metric-reader.js";
