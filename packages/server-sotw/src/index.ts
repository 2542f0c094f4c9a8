export type { FetchCall, FetchOutcome } from "./sotw-fetch.js";
export { createSotwProtocol, type SotwProtocol } from "./sotw-protocol.js";
