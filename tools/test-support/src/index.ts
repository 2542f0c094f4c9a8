export { type LoggedProcess, type LoggedProcessOptions, type LogLine, startLoggedProcess } from "./logged-process.js";
export { FLAG, FRAME, frame, GRPC_HEADERS, headerBlock, type RawH2, rawH2 } from "./raw-h2.js";
